"""Inventory's refusals in staff's words (see ``synthesq.core.admin_messages``), and the stock ledger's references
named as staff know them (an order's or a return's number, linked) by the apps that make them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from synthesq.core.admin_messages import object_names, staff_wording

from .exceptions import ProductHasStock, ProductHasVariants
from .models import Product, StockMovement


def product_named(product_id: str) -> str:
    product = Product.objects.filter(pk=product_id).only("sku", "name").first()
    return f"{product.sku} {product.name}" if product is not None else "The product"


@staff_wording(ProductHasVariants)
def product_has_variants(exc: ProductHasVariants) -> str:
    return f"{product_named(exc.extra['product_id'])} has variants: stock and sales belong to its variants."


@staff_wording(ProductHasStock)
def product_has_stock(exc: ProductHasStock) -> str:
    return (f"{product_named(exc.extra['product_id'])} holds stock, so it cannot get variants: adjust its stock "
            "to 0 first.")


class ReferenceMixin:
    """A movement's reference as staff name it (an order's or a return's number, linked), not its id: the apps
    that make the references name them (``synthesq.core.admin_messages.object_namer``), all of a page at once."""

    @admin.display(description="reference")
    def reference_display(self, movement: StockMovement) -> str:
        if not movement.reference:
            return "—"
        named = getattr(movement, "reference_named", None)
        if named is None:
            named = object_names([movement.reference]).get(movement.reference, movement.reference)
        return named


def name_references(movements: Iterable[StockMovement]) -> None:
    """Name the references of a page of movements in one look-up per kind (kept on each movement)."""
    movements = list(movements)
    names = object_names(movement.reference for movement in movements if movement.reference)
    for movement in movements:
        movement.reference_named = names.get(movement.reference, movement.reference)  # type: ignore[attr-defined]


class NamedReferenceFormSet(BaseInlineFormSet):
    """A product's ledger rows with their references named in one look-up per kind (not one per row)."""

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if not getattr(self, "_references_named", False):
            name_references(queryset)  # fills the queryset's cache: the forms get these very rows
            self._references_named = True
        return queryset
