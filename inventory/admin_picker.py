"""The product picker of other apps' forms (an order's lines): a searchable list of what can be sold, each product
with its price and stock, asking ``ProductAdmin``'s ``sellable-search/`` view."""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse

from synthesq.core.money import format_money

from . import selectors
from .models import Product


def product_choice_label(product: Product) -> str:
    """A product as a picker offers it: SKU and name, price and stock ("DESK-STD Desk · 129.99 USD · 8 in stock")."""
    return (f"{product.sku} {product.name} · {format_money(product.price, product.currency)} · "
            f"{product.stock_quantity} in stock")


class SellableProductSearch(AutocompleteJsonView):
    """The search behind a picker of products to sell: active products without variants (a product with variants
    is a catalogue grouping, only its variants are sold), each offered with its price and stock."""

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.sellable_products(super().get_queryset()).filter(is_active=True)

    def serialize_result(self, obj: models.Model, to_field_name: str) -> dict[str, str]:
        assert isinstance(obj, Product)
        return {"id": str(getattr(obj, to_field_name)), "text": product_choice_label(obj)}


class SellableProductSelect(AutocompleteSelect):
    """The admin's searchable product picker, asking ``SellableProductSearch``; a field using it labels its chosen
    product with ``product_choice_label`` too (see ``sellable_product_field``)."""

    def get_url(self) -> str:
        return reverse("admin:inventory_product_sellable_search")


def sellable_product_field(field: forms.ModelChoiceField) -> forms.ModelChoiceField:
    """Label a product field's choices as the sellable picker does (price and stock)."""
    field.label_from_instance = product_choice_label  # type: ignore[method-assign, assignment]
    return field
