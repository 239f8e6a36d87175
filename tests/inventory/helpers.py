"""Assertions and snapshots shared by the inventory tests."""

from __future__ import annotations

from typing import Any

from inventory.models import Product, StockMovement, WarehouseStock
from tests.helpers import assert_problem, error_fields, follow_pages

__all__ = ["assert_problem", "error_fields", "follow_pages", "held", "ledger_sum", "product_url", "snapshot"]

PRODUCTS_URL = "/api/v1/inventory/products"


def product_url(product_id: str, suffix: str = "") -> str:
    return f"{PRODUCTS_URL}/{product_id}{suffix}"



def snapshot() -> tuple[list[dict[str, Any]], ...]:
    """Every product, warehouse stock and ledger row, to show a refused request changed nothing."""
    return (
        list(Product.objects.order_by("id").values()),
        list(WarehouseStock.objects.order_by("id").values()),
        list(StockMovement.objects.order_by("id").values()),
    )


def held(product_id: str, warehouse_id: str) -> int:
    """What the warehouse holds of the product (0 without a row)."""
    row = WarehouseStock.objects.filter(product_id=product_id, warehouse_id=warehouse_id).first()
    return row.quantity if row else 0


def ledger_sum(product_id: str, warehouse_id: str | None = None) -> int:
    rows = StockMovement.objects.filter(product_id=product_id)
    if warehouse_id is not None:
        rows = rows.filter(warehouse_id=warehouse_id)
    return sum(rows.values_list("quantity_delta", flat=True))

