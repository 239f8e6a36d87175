"""Warehouses in the back-office: their list and page (with what each holds), stock per warehouse on the product
page, and "Transfer stock…" on a product (calling ``inventory.services.stock_transfer``). The warehouse role
manages them; sales and finance read them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from unfold.admin import ModelAdmin

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import BackofficeForm, ReadOnlyInline, action_form_page, admin_link, back_to, run_service

from . import services
from .models import Product, Warehouse, WarehouseStock


class WarehouseAdminForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "address", "priority", "is_active"]


class StockOfWarehouseInline(ReadOnlyInline):
    """On a warehouse's page: what it holds of each product."""

    model = WarehouseStock
    fk_name = "warehouse"
    fields = readonly_fields = ("product_link", "quantity")
    verbose_name = "product held"
    verbose_name_plural = "stock held"
    ordering = ["product__sku"]

    @admin.display(description="product")
    def product_link(self, row: WarehouseStock) -> str:
        return admin_link("admin:inventory_product_change", row.product_id, str(row.product))


class StockByWarehouseInline(ReadOnlyInline):
    """On a product's page: what each warehouse holds of it (they sum to its stock)."""

    model = WarehouseStock
    fk_name = "product"
    fields = readonly_fields = ("warehouse_link", "priority", "quantity")
    verbose_name = "warehouse"
    verbose_name_plural = "stock by warehouse"
    ordering = ["warehouse__priority", "warehouse__code"]

    @admin.display(description="warehouse")
    def warehouse_link(self, row: WarehouseStock) -> str:
        return admin_link("admin:inventory_warehouse_change", row.warehouse_id, str(row.warehouse))

    @admin.display(description="priority")
    def priority(self, row: WarehouseStock) -> int:
        return row.warehouse.priority


@admin.register(Warehouse)
class WarehouseAdmin(ModelAdmin):
    form = WarehouseAdminForm
    list_display = ["code", "name", "priority", "is_active", "is_default"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    ordering = ["priority", "code"]
    fields = ["code", "name", "address", "priority", "is_active", "is_default"]
    readonly_fields = ["is_default"]
    inlines = [StockOfWarehouseInline]

    def save_model(self, request: HttpRequest, obj: Warehouse, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in form.changed_data if field in form.cleaned_data}
        if change:
            services.warehouse_update(warehouse=obj, actor=acting_user(request), data=data)
        else:
            created = services.warehouse_create(actor=acting_user(request), code=obj.code, name=obj.name,
                                                address=obj.address, priority=obj.priority, is_active=obj.is_active)
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Warehouse | None = None) -> bool:
        return False


class StockTransferForm(BackofficeForm):
    from_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.order_by("priority", "code"),
                                            label="From", help_text="The warehouse the units leave.")
    to_warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.order_by("priority", "code"), label="To",
                                          help_text="The warehouse they go to.")
    quantity = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=255, help_text="Why, e.g. 'rebalancing'.")


def transfer_stock_page(model_admin: Any, request: HttpRequest, product: Product) -> HttpResponse:
    """The "Transfer stock…" form of a product, and its submission."""
    form = StockTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok = run_service(request, lambda: services.stock_transfer(
            product=product, from_warehouse=data["from_warehouse"], to_warehouse=data["to_warehouse"],
            quantity=data["quantity"], reason=data["reason"], actor=acting_user(request),
        ), f"{data['quantity']} of {product.sku} moved from {data['from_warehouse'].code} to "
           f"{data['to_warehouse'].code}.")
        if ok:
            return back_to(product)
    held = ", ".join(f"{row.warehouse.code}: {row.quantity}" for row in WarehouseStock.objects.filter(
        product=product).select_related("warehouse").order_by("warehouse__priority", "warehouse__code")) or "none"
    return action_form_page(model_admin, request, product, form, submit_label="Transfer stock",
                            title=f"Transfer stock of {product.sku} {product.name}",
                            facts=[("SKU", product.sku), ("Product", product.name), ("Held", held)])
