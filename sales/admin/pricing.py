"""Promotion codes and price lists in the back-office (finance changes them, sales reads them). Saving goes
through ``sales.services.promotions``: the form only places the services' refusals next to the fields."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from synthesq.core.actors import acting_user
from synthesq.core.admin_messages import refusal_message
from synthesq.core.errors import DomainError
from synthesq.core.money import format_money

from ..pricing_models import PriceList, PriceListEntry, PromotionCode
from ..services import promotions as writes

_CODE_FORM_FIELDS = ["code", "description", "discount_type", "discount_value", "currency", "valid_from", "valid_to",
                     "min_subtotal", "products", "usage_limit", "usage_limit_per_customer", "active"]


@admin.register(PromotionCode)
class PromotionCodeAdmin(ModelAdmin):
    list_display = ["code", "discount_display", "valid_from", "valid_to", "uses_display", "active"]
    list_filter = ["active", "discount_type"]
    search_fields = ["code", "description"]
    fields = [*_CODE_FORM_FIELDS, "times_used"]
    readonly_fields = ["times_used"]
    autocomplete_fields = ["products"]

    @admin.display(description="discount")
    def discount_display(self, code: PromotionCode) -> str:
        if code.discount_type == "amount":
            return format_money(code.discount_value, code.currency)
        return f"{code.discount_value.normalize():f} %"

    @admin.display(description="uses")
    def uses_display(self, code: PromotionCode) -> str:
        return f"{code.times_used} / {code.usage_limit}" if code.usage_limit is not None else str(code.times_used)

    def save_model(self, request: HttpRequest, obj: PromotionCode, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in _CODE_FORM_FIELDS
                if name in form.cleaned_data and (not change or name in form.changed_data)}
        if "products" in data:
            data["products"] = [product.pk for product in data["products"]]
        try:
            saved = (writes.promotion_code_update(code_id=obj.pk, actor=acting_user(request), data=data) if change
                     else writes.promotion_code_create(actor=acting_user(request), data=data))
        except DomainError as exc:
            self.message_user(request, refusal_message(exc), messages.ERROR)
            return
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The products were set by the service."""


class PriceListEntryInline(TabularInline):
    model = PriceListEntry
    fields = ["product", "min_quantity", "unit_price"]
    autocomplete_fields = ["product"]
    extra = 1

    # Entries are part of their list: whoever may change lists changes them (they have no permissions of their own).
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.change_pricelist") or request.user.has_perm("sales.add_pricelist")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_pricelist")


@admin.register(PriceList)
class PriceListAdmin(ModelAdmin):
    list_display = ["name", "currency", "valid_from", "valid_to", "active"]
    list_filter = ["active", "currency"]
    search_fields = ["name"]
    fields = ["name", "currency", "valid_from", "valid_to", "active"]
    inlines = [PriceListEntryInline]

    def save_model(self, request: HttpRequest, obj: PriceList, form: Any, change: bool) -> None:
        """Saved with its entries in ``save_related`` (one service call)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: list[BaseInlineFormSet], change: bool) -> None:
        entries = [{"product_id": row["product"].pk, "min_quantity": row["min_quantity"],
                    "unit_price": row["unit_price"]}
                   for formset in formsets for row in formset.cleaned_data
                   if row and not row.get("DELETE") and row.get("product") is not None]
        data = {name: form.cleaned_data[name] for name in self.fields}
        saved = writes.price_list_save(actor=acting_user(request), data={**data, "entries": entries},
                                       price_list_id=form.instance.pk if change else None)
        form.instance.pk = saved.pk
        for formset in formsets:  # the entries were saved by the service: the change message lists none
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
