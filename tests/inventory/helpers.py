"""Assertions and snapshots shared by the inventory tests."""

from __future__ import annotations

from typing import Any

from inventory.models import Product, StockMovement
from tests.helpers import assert_problem, error_fields, follow_pages, rows_of

__all__ = ["assert_problem", "error_fields", "follow_pages", "ledger_sum", "product_url", "snapshot"]

PRODUCTS_URL = "/api/v1/inventory/products"


def product_url(product_id: str, suffix: str = "") -> str:
    return f"{PRODUCTS_URL}/{product_id}{suffix}"






def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every product and ledger row, to show a refused request changed nothing."""
    return rows_of(Product, StockMovement)


def ledger_sum(product_id: str) -> int:
    return sum(StockMovement.objects.filter(product_id=product_id).values_list("quantity_delta", flat=True))


def stock_of(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)

