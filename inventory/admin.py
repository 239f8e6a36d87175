"""Products and the stock ledger in the back-office: product list (low-stock filter, prices in the currency's
minor unit), the product page with its variants and ledger, "Adjust stock…" (a detail and row action calling
``inventory.services.stock_adjust``), the ledger's own list with its export, and the warehouse's stock figures on
the dashboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import strip_tags
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RadioFilter, RelatedDropdownFilter
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action
from unfold.enums import ActionVariant

from synthesq.core import backoffice
from synthesq.core.actors import acting_user
from synthesq.core.admin_fields import CurrencyChoiceField
from synthesq.core.admin_filters import LocalDateRangeFilter
from synthesq.core.admin_messages import object_names, refusal_message
from synthesq.core.admin_tools import (
    ACTOR,
    BackofficeForm,
    ReadOnlyInline,
    ViewOnlyAdmin,
    action_form_page,
    admin_link,
    admin_object,
    back_to,
    local_minute,
    run_service,
)
from synthesq.core.backoffice import Figure, Panel
from synthesq.core.errors import DomainError
from synthesq.core.exports import ExportResource, count, local_time, text
from synthesq.core.money import format_money, quantize, scale_error

from . import selectors, services
from .admin_messages import NamedReferenceFormSet, ReferenceMixin, name_references
from .admin_picker import SellableProductSearch
from .models import Product, StockMovement


class ProductAdminForm(forms.ModelForm):
    currency = CurrencyChoiceField()

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "currency", "parent", "is_active", "tax_class"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.price is not None:  # "129.99", not the column's "129.9900"
            self.initial["price"] = quantize(self.instance.price, self.instance.currency)

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
                self.add_error("parent", refusal_message(exc))
        return data


class StockMovementInline(ReferenceMixin, ReadOnlyInline):
    model = StockMovement
    formset = NamedReferenceFormSet
    fields = readonly_fields = ("when", "kind", "quantity_delta", "balance_after", "reason", "reference_display",
                                ACTOR)
    verbose_name = "stock movement"
    verbose_name_plural = "stock ledger"
    ordering = ["id"]  # chronological, like the history

    @admin.display(description="when")
    def when(self, movement: StockMovement) -> str:
        return local_minute(movement.created_at)


class LowStockFilter(RadioFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("low", f"Low (≤ {settings.LOW_STOCK_THRESHOLD})"), ("out", "Out of stock")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "low":
            return selectors.products_low_stock(queryset, threshold=settings.LOW_STOCK_THRESHOLD)
        if self.value() == "out":
            return selectors.products_out_of_stock(queryset)
        return queryset


class VariantInline(ReadOnlyInline):
    model = Product
    fk_name = "parent"
    fields = readonly_fields = ("variant_link", "name", "price_display", "stock_quantity", "is_active")
    verbose_name = "variant"
    verbose_name_plural = "variants"

    @admin.display(description="SKU")
    def variant_link(self, product: Product) -> str:
        return admin_link("admin:inventory_product_change", product.pk, product.sku)

    @admin.display(description="price")
    def price_display(self, product: Product) -> str:
        return format_money(product.price, product.currency)


class StockAdjustmentForm(BackofficeForm):
    quantity_delta = forms.IntegerField(label="Change", help_text="Positive adds stock, negative removes it.")
    reason = forms.CharField(max_length=255, help_text="Why, e.g. 'cycle count' or 'goods received'.")

    def clean_quantity_delta(self) -> int:
        value = self.cleaned_data["quantity_delta"]
        if value == 0:
            raise forms.ValidationError("Must not be zero.")
        return int(value)


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    form = ProductAdminForm
    list_display = ["sku", "name", "price_display", "stock_quantity", "parent", "is_active"]
    list_filter = [LowStockFilter, "is_active", ("currency", ChoicesDropdownFilter)]
    search_fields = ["sku", "name"]
    search_help_text = "SKU or name"
    list_select_related = ["parent"]
    readonly_fields = ["stock_quantity", "created_at", "updated_at"]
    fields = ["sku", "name", "description", "price", "currency", "parent", "is_active", "tax_class",
              "stock_quantity", "created_at", "updated_at"]
    autocomplete_fields = ["parent"]
    inlines = [VariantInline, StockMovementInline]
    actions_detail = ["adjust_stock"]
    actions_row = ["adjust_stock"]

    @admin.display(description="price", ordering="price")
    def price_display(self, product: Product) -> str:
        return format_money(product.price, product.currency)

    def get_urls(self) -> list[Any]:
        search = self.admin_site.admin_view(SellableProductSearch.as_view(admin_site=self.admin_site))
        return [path("sellable-search/", search, name="inventory_product_sellable_search"), *super().get_urls()]

    def get_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        """A role that only reads sees the price in its currency's minor unit ("19.00 USD", "1300 JPY"), not the
        column's "19.0000"."""
        if obj is not None and not self.has_change_permission(request, obj):
            return ["price_display" if name == "price" else name for name in self.fields]
        return list(self.fields)

    def has_adjust_stock_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        return request.user.has_perm("inventory.adjust_stock")

    @action(description="Adjust stock…", url_path="adjust-stock", permissions=["adjust_stock"], icon="tune",
            variant=ActionVariant.PRIMARY, attrs={"data-action": "adjust-stock"})
    def adjust_stock(self, request: HttpRequest, object_id: str) -> HttpResponse:
        product: Product = admin_object(self, request, object_id)
        form = StockAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            delta = form.cleaned_data["quantity_delta"]
            ok = run_service(request, lambda: services.stock_adjust(
                product=product, quantity_delta=delta, reason=form.cleaned_data["reason"],
                actor=acting_user(request),
            ), f"Stock of {product.sku} {product.name} adjusted by {delta:+d}.")
            if ok:
                return back_to(product)
        return action_form_page(self, request, product, form, submit_label="Adjust stock",
                                title=f"Adjust stock of {product.sku} {product.name} (now {product.stock_quantity})",
                                facts=[("SKU", product.sku), ("Product", product.name),
                                       ("In stock now", str(product.stock_quantity))])

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in form.changed_data if field in form.cleaned_data}
        if change:
            services.product_update(product=obj, actor=acting_user(request), data=data)
        else:
            created = services.product_create(
                actor=acting_user(request), sku=obj.sku, name=obj.name, description=obj.description,
                price=obj.price, currency=obj.currency, parent=obj.parent, is_active=obj.is_active,
                tax_class=obj.tax_class,
            )
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Product | None = None) -> bool:
        return False


class StockMovementResource(ExportResource):
    when = local_time("when", "created_at")
    sku = text("SKU", "product__sku")
    product = text("product", "product__name")
    kind = text("kind", "kind")
    quantity_delta = count("change", "quantity_delta")
    balance_after = count("balance after", "balance_after")
    reason = text("reason", "reason")
    reference = text("reference", "reference")
    actor = text("by", "actor__username")

    class Meta:
        model = StockMovement
        fields = ("when", "sku", "product", "kind", "quantity_delta", "balance_after", "reason", "reference",
                  "actor")

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        """References named as on the ledger's page ("Order SO-…"), all of the file's at once."""
        rows = self.get_queryset() if queryset is None else queryset
        references = ({movement.reference for movement in rows} if not isinstance(rows, QuerySet)
                      else set(rows.values_list("reference", flat=True)))
        self.reference_names = {reference: strip_tags(name)
                                for reference, name in object_names(filter(None, references)).items()}
        return super().export(queryset, **kwargs)

    def dehydrate_reference(self, movement: StockMovement) -> str:
        return getattr(self, "reference_names", {}).get(movement.reference, movement.reference)


@admin.register(StockMovement)
class StockMovementAdmin(ReferenceMixin, ViewOnlyAdmin, ExportMixin, ModelAdmin):
    """The stock ledger, every product's movements, oldest first; read-only (stock changes through services)."""

    list_display = ["when", "product_link", "kind", "quantity_delta", "balance_after", "reason", "reference_display",
                    "actor"]
    list_filter = [("kind", ChoicesDropdownFilter), ("product", RelatedDropdownFilter),
                   ("created_at", LocalDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["product__sku", "product__name", "reason", "reference"]
    list_select_related = ["product", "actor"]
    resource_classes = [StockMovementResource]
    export_form_class = ExportForm
    ordering = ["id"]
    fields = readonly_fields = ("when", "product_link", "kind", "quantity_delta", "balance_after", "reason",
                                "reference_display", ACTOR)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        name_references(changelist.result_list)
        return changelist

    @admin.display(description="when", ordering="created_at")
    def when(self, movement: StockMovement) -> str:
        return local_minute(movement.created_at)

    @admin.display(description="product", ordering="product__sku")
    def product_link(self, movement: StockMovement) -> str:
        return admin_link("admin:inventory_product_change", movement.product_id, str(movement.product))


# -- the back-office's shape ------------------------------------------------------------------------------------
def products_url(**params: Any) -> str:
    return reverse("admin:inventory_product_changelist") + "?" + urlencode(params)


backoffice.nav_group("Warehouse", order=20)
backoffice.nav_item("Warehouse", title="Products", url_name="admin:inventory_product_changelist", icon="category",
                    permission="inventory.view_product", order=20)
backoffice.nav_item("Warehouse", title="Low stock", url_name="admin:inventory_product_changelist",
                    icon="production_quantity_limits", permission="inventory.view_product", order=21,
                    query="stock=low&is_active__exact=1")
backoffice.nav_item("Warehouse", title="Stock ledger", url_name="admin:inventory_stockmovement_changelist",
                    icon="history", permission="inventory.view_stockmovement", order=30)


@backoffice.dashboard_panel("warehouse", order=20)
def stock(request: HttpRequest) -> Panel:
    threshold = settings.LOW_STOCK_THRESHOLD
    counts = selectors.stock_figures(threshold=threshold)
    return Panel("Stock", [
        Figure(f"Low stock (≤ {threshold})", str(counts["low"]), products_url(stock="low", is_active__exact=1),
               tone="warning" if counts["low"] else ""),
        Figure("Out of stock", str(counts["out"]), products_url(stock="out", is_active__exact=1),
               tone="danger" if counts["out"] else ""),
    ])
