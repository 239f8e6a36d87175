"""Customers in the back-office: their details, postal address and their orders. Changes go through
``sales.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from unfold.admin import ModelAdmin

from synthesq.core.actors import acting_user
from synthesq.core.admin_filters import LocalDateRangeFilter
from synthesq.core.admin_tools import ReadOnlyInline, admin_link, local_day, local_minute, money_column

from .. import selectors, services
from ..addresses import address_lines
from ..models import Customer, Order
from .forms import ADDRESS_FIELDS, CustomerForm
from .next_step import next_step_text
from .orders import order_status_badge


class CustomerOrderInline(ReadOnlyInline):
    model = Order
    fields = readonly_fields = ("order_link", "status_display", "total_display", "created", "next_step")
    verbose_name = "order"
    verbose_name_plural = "orders"
    ordering = ["id"]

    @admin.display(description="order")
    def order_link(self, order: Order) -> str:
        return admin_link("admin:sales_order_change", order.pk, order.order_number)

    @admin.display(description="status")
    def status_display(self, order: Order) -> str:
        return order_status_badge(order)

    total_display = money_column("total", "total")

    @admin.display(description="created")
    def created(self, order: Order) -> str:
        return local_day(order.created_at)

    @admin.display(description="next step")
    def next_step(self, order: Order) -> str:
        return next_step_text(selectors.order_next_step(order))


@admin.register(Customer)
class CustomerAdmin(ModelAdmin):
    form = CustomerForm
    list_display = ["name", "email", "phone", "city", "created_display"]
    list_filter = [("created_at", LocalDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["name", "email"]
    inlines = [CustomerOrderInline]
    ordering = ["name"]

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> list[Any]:
        details = ["name", "email", "phone", "tax_id", "tax_exempt", "tax_exempt_reason", "price_list"]
        if obj is not None:
            details = [*details, "address_display", "created_display"]
            if not self.has_change_permission(request, obj):  # read-only: "ships to" shows the address
                return [("Customer", {"fields": details})]
        return [("Customer", {"fields": details}),
                ("Default shipping address", {"fields": ADDRESS_FIELDS})]

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple[str, ...]:
        # A customer's price list is finance's to give (the service checks it too).
        given_by_finance = () if request.user.has_perm("sales.change_pricelist") else ("price_list",)
        return ("address_display", "created_display", *given_by_finance)

    @admin.display(description="city")
    def city(self, customer: Customer) -> str:
        return (customer.default_shipping_address or {}).get("city", "") or "—"

    @admin.display(description="created", ordering="created_at")
    def created_display(self, customer: Customer) -> str:
        return local_minute(customer.created_at)

    @admin.display(description="ships to")
    def address_display(self, customer: Customer) -> str:
        lines = address_lines(customer.default_shipping_address)
        return format_html_join("", "{}<br>", ((line,) for line in lines)) or "no default address"

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        address = form.cleaned_address
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data
                    if field in ("name", "email", "phone", "tax_id", "tax_exempt", "tax_exempt_reason")}
            if any(name in form.changed_data for name in ADDRESS_FIELDS):
                data["default_shipping_address"] = address
            if "price_list" in form.changed_data:
                data["price_list_id"] = getattr(form.cleaned_data["price_list"], "pk", None)
            services.customer_update(customer=obj, actor=acting_user(request), data=data)
        else:
            created = services.customer_create(actor=acting_user(request), name=obj.name, email=obj.email,
                                               phone=obj.phone, default_shipping_address=address, tax_id=obj.tax_id,
                                               tax_exempt=obj.tax_exempt, tax_exempt_reason=obj.tax_exempt_reason,
                                               price_list_id=getattr(form.cleaned_data.get("price_list"), "pk", None))
            obj.pk = created.pk
