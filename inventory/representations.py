"""Products and stock movements as the API and inventory's events render them, built as plain dicts (the
serializers in ``api/serializers.py`` declare their fields for the schema; a test holds the two to the same keys
and types)."""

from __future__ import annotations

from typing import Any

from synthesq.core.representation import amount, iso_datetime, username

from .models import Product, StockMovement, Warehouse


def product_representation(product: Product) -> dict[str, Any]:
    """The product with ``has_variants`` (annotated by ``product_list``)."""
    return {
        "id": product.pk, "sku": product.sku, "name": product.name, "description": product.description,
        "price": amount(product.price, product.currency), "currency": product.currency,
        "stock_quantity": product.stock_quantity,
        "stock_by_warehouse": stock_by_warehouse(product),
        "parent_id": None if product.parent_id is None else str(product.parent_id),
        # The product_list annotation: "has variants" is stated once, in the selector.
        "has_variants": bool(product.has_variants),  # type: ignore[attr-defined]
        "active": product.is_active,
        "created_at": iso_datetime(product.created_at), "updated_at": iso_datetime(product.updated_at),
    }


def stock_by_warehouse(product: Product) -> list[dict[str, Any]]:
    """What each warehouse holds of the product (``product.warehouse_stocks.all()`` with their warehouses:
    ``product_list`` prefetches them), in allocation order; warehouses that never held it are left out."""
    rows = sorted(product.warehouse_stocks.all(), key=lambda row: (row.warehouse.priority, row.warehouse.code))
    return [{"warehouse_id": row.warehouse_id, "code": row.warehouse.code, "quantity": row.quantity}
            for row in rows]


def warehouse_representation(warehouse: Warehouse) -> dict[str, Any]:
    return {
        "id": warehouse.pk, "code": warehouse.code, "name": warehouse.name, "address": warehouse.address,
        "priority": warehouse.priority, "active": warehouse.is_active, "default": warehouse.is_default,
        "created_at": iso_datetime(warehouse.created_at), "updated_at": iso_datetime(warehouse.updated_at),
    }


def stock_transfer_representation(movements: list[StockMovement]) -> dict[str, Any]:
    """A transfer: its two ledger rows (out of one warehouse, into the other), sharing the ``trf_…`` reference."""
    out, into = movements
    return {
        "id": out.reference, "product_id": out.product_id, "from_warehouse_id": out.warehouse_id,
        "to_warehouse_id": into.warehouse_id, "quantity": into.quantity_delta, "reason": out.reason,
        "movements": [stock_movement_representation(row) for row in movements],
        "created_at": iso_datetime(out.created_at),
    }


def stock_movement_representation(movement: StockMovement) -> dict[str, Any]:
    """The ledger row (join ``actor`` for lists)."""
    return {
        "id": movement.pk, "product_id": movement.product_id, "warehouse_id": movement.warehouse_id,
        "kind": str(movement.kind),
        "quantity_delta": movement.quantity_delta, "balance_after": movement.balance_after,
        "reason": movement.reason, "reference": movement.reference, "actor": username(movement.actor),
        "created_at": iso_datetime(movement.created_at),
    }
