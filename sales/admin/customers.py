"""Customers in the back-office: their details and their orders. Changes go through ``sales.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from synthesq.core.admin_tools import ReadOnlyInline
from synthesq.core.money import format_money

from .. import services
from ..models import Customer, Order
from .orders import order_status_badge


class CustomerOrderInline(ReadOnlyInline):
    model = Order
    fields = readonly_fields = ("order_link", "status_display", "total_display", "created_at")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "orders"
    ordering = ["-id"]

    @admin.display(description="order")
    def order_link(self, order: Order) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:sales_order_change", args=[order.pk]),
                           order.order_number)

    @admin.display(description="status")
    def status_display(self, order: Order) -> str:
        return order_status_badge(order)

    @admin.display(description="total")
    def total_display(self, order: Order) -> str:
        return format_money(order.total, order.currency)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "created_at"]
    search_fields = ["name", "email"]
    readonly_fields = ["id", "created_at", "updated_at"]
    fields = ["id", "name", "email", "phone", "default_shipping_address", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [CustomerOrderInline]

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data}
            services.customer_update(customer=obj, data=data)
        else:
            created = services.customer_create(
                name=obj.name, email=obj.email, phone=obj.phone,
                default_shipping_address=obj.default_shipping_address,
            )
            obj.pk = created.pk
