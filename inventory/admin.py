from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from synthesq.core.errors import DomainError
from synthesq.core.money import fits_currency, is_known_currency, minor_unit

from . import services
from .models import Product, StockMovement


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "currency", "parent", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        price, currency = data.get("price"), data.get("currency")
        if price is not None and currency and is_known_currency(currency) and not fits_currency(price, currency):
            self.add_error("price", f"{currency} amounts have at most {minor_unit(currency)} decimal places.")
        parent = data.get("parent")
        if parent is not None:
            try:
                services.validate_parent(self.instance if self.instance.pk else None, parent)
            except DomainError as exc:
                self.add_error("parent", exc.detail)
        return data


class StockMovementInline(admin.TabularInline):
    model = StockMovement
    fields = ["created_at", "kind", "quantity_delta", "balance_after", "reason", "reference", "actor"]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["sku", "name", "price", "currency", "stock_quantity", "parent", "is_active"]
    list_filter = ["is_active", "currency"]
    search_fields = ["sku", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["id", "stock_quantity", "created_at", "updated_at"]
    fields = ["id", "sku", "name", "description", "price", "currency", "parent", "is_active",
              "stock_quantity", "created_at", "updated_at"]
    autocomplete_fields = ["parent"]
    inlines = [StockMovementInline]

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in form.changed_data if field in form.cleaned_data}
        if change:
            services.product_update(product=obj, actor=request.user, data=data)
        else:
            created = services.product_create(
                actor=request.user, sku=obj.sku, name=obj.name, description=obj.description,
                price=obj.price, currency=obj.currency, parent=obj.parent, is_active=obj.is_active,
            )
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False
