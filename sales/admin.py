from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import Customer, Order, OrderEvent, OrderLine


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "created_at"]
    search_fields = ["name", "email"]
    readonly_fields = ["id", "created_at", "updated_at"]
    fields = ["id", "name", "email", "phone", "default_shipping_address", "created_at", "updated_at"]
    date_hierarchy = "created_at"

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


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["position", "product", "sku", "name", "quantity", "unit_price", "line_total"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "reason", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "history"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Read-only until the back-office issue wires transitions to the services: the status field can only
    change through ``sales.services``."""

    list_display = ["order_number", "customer", "status", "total", "currency", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["order_number", "customer__name", "customer__email", "tracking_number"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        return [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False
