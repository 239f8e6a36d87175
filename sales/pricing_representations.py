"""Promotion codes and price lists as the API renders them (``api/promotions.py`` declares their fields for the
schema; a test holds the two to the same keys)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from synthesq.core.representation import amount, iso_datetime

from .pricing_models import PriceList, PromotionCode


def _decimal(value: Decimal) -> str:
    return str(value.normalize() if value % 1 else int(value))


def promotion_code_representation(code: PromotionCode) -> dict[str, Any]:
    """The code with its products (``code.products.all()``: prefetch them for lists)."""
    value = amount(code.discount_value, code.currency) if code.discount_type == "amount" else _decimal(
        code.discount_value)
    return {
        "id": code.pk, "code": code.code, "description": code.description,
        "discount": {"type": code.discount_type, "value": value, "currency": code.currency or None},
        "valid_from": iso_datetime(code.valid_from), "valid_to": iso_datetime(code.valid_to),
        "min_subtotal": {currency: amount(Decimal(str(value)), currency)
                         for currency, value in sorted((code.min_subtotal or {}).items())},
        "products": sorted(product.pk for product in code.products.all()),
        "usage_limit": code.usage_limit, "usage_limit_per_customer": code.usage_limit_per_customer,
        "times_used": code.times_used, "active": code.active,
        "created_at": iso_datetime(code.created_at), "updated_at": iso_datetime(code.updated_at),
    }


def price_list_representation(price_list: PriceList) -> dict[str, Any]:
    """The list with its entries (``price_list.entries.all()``: prefetch them for lists)."""
    currency = price_list.currency
    return {
        "id": price_list.pk, "name": price_list.name, "currency": currency,
        "valid_from": price_list.valid_from.isoformat() if price_list.valid_from else None,
        "valid_to": price_list.valid_to.isoformat() if price_list.valid_to else None,
        "active": price_list.active,
        "entries": [{"product_id": entry.product_id, "min_quantity": entry.min_quantity,
                     "unit_price": amount(entry.unit_price, currency)}
                    for entry in sorted(price_list.entries.all(),
                                        key=lambda entry: (entry.product_id, entry.min_quantity))],
        "created_at": iso_datetime(price_list.created_at), "updated_at": iso_datetime(price_list.updated_at),
    }
