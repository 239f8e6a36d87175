from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import ReadOnlyInline, action_form_page, run_service
from synthesq.core.errors import DomainError
from synthesq.core.money import scale_error

from . import services
from .models import Product, StockMovement


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "currency", "parent", "is_active"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        price, currency = data.get("price"), data.get("currency")
        scale = scale_error(price, currency) if price is not None and currency else None
        if scale:
            self.add_error("price", scale)
        parent = data.get("parent")
        if parent is not None:
            try:
                services.validate_parent(self.instance if self.instance.pk else None, parent)
            except DomainError as exc:
                self.add_error("parent", exc.detail)
        return data


class StockMovementInline(ReadOnlyInline):
    model = StockMovement
    fields = readonly_fields = ("created_at", "kind", "quantity_delta", "balance_after", "reason", "reference",
                                "actor")
    ordering = ["-id"]


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("low", f"Low (≤ {settings.LOW_STOCK_THRESHOLD})"), ("out", "Out of stock")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        sellable = queryset.exclude(Exists(Product.objects.filter(parent_id=OuterRef("pk"))))
        if self.value() == "low":
            return sellable.filter(stock_quantity__lte=settings.LOW_STOCK_THRESHOLD)
        if self.value() == "out":
            return sellable.filter(stock_quantity=0)
        return queryset


class VariantInline(ReadOnlyInline):
    model = Product
    fk_name = "parent"
    fields = readonly_fields = ("variant_link", "name", "price", "currency", "stock_quantity", "is_active")
    verbose_name = "variant"
    verbose_name_plural = "variants"

    @admin.display(description="SKU")
    def variant_link(self, product: Product) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:inventory_product_change", args=[product.pk]),
                           product.sku)


class StockAdjustmentForm(forms.Form):
    quantity_delta = forms.IntegerField(label="Change", help_text="Positive adds stock, negative removes it.")
    reason = forms.CharField(max_length=255, help_text="Why, e.g. 'cycle count' or 'goods received'.")

    def clean_quantity_delta(self) -> int:
        value = self.cleaned_data["quantity_delta"]
        if value == 0:
            raise forms.ValidationError("Must not be zero.")
        return value


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["sku", "name", "price", "currency", "stock_quantity", "parent", "is_active"]
    list_filter = [LowStockFilter, "is_active", "currency"]
    change_form_template = "admin/inventory/product/change_form.html"
    search_fields = ["sku", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["id", "stock_quantity", "created_at", "updated_at"]
    fields = ["id", "sku", "name", "description", "price", "currency", "parent", "is_active",
              "stock_quantity", "created_at", "updated_at"]
    autocomplete_fields = ["parent"]
    inlines = [VariantInline, StockMovementInline]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = extra_context or {}
        if request.user.has_perm("inventory.adjust_stock"):
            extra_context["adjust_url"] = reverse("admin:inventory_product_adjust", args=[object_id])
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[Any]:
        return [
            path("<path:object_id>/adjust-stock/", self.admin_site.admin_view(self.adjust_view),
                 name="inventory_product_adjust"),
            *super().get_urls(),
        ]

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("inventory.adjust_stock"):
            raise PermissionDenied
        product = get_object_or_404(Product, pk=object_id)
        back = reverse("admin:inventory_product_change", args=[product.pk])
        form = StockAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            ok = run_service(request, lambda: services.stock_adjust(
                product=product, quantity_delta=form.cleaned_data["quantity_delta"],
                reason=form.cleaned_data["reason"], actor=acting_user(request),
            ), f"Stock of {product.sku} adjusted by {form.cleaned_data['quantity_delta']:+d}.")
            if ok:
                return HttpResponseRedirect(back)
        return action_form_page(self, request, product, form, submit_label="Adjust stock",
                                title=f"Adjust stock of {product.sku} (now {product.stock_quantity})")

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in form.changed_data if field in form.cleaned_data}
        if change:
            services.product_update(product=obj, actor=acting_user(request), data=data)
        else:
            created = services.product_create(
                actor=acting_user(request), sku=obj.sku, name=obj.name, description=obj.description,
                price=obj.price, currency=obj.currency, parent=obj.parent, is_active=obj.is_active,
            )
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False
