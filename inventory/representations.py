"""Products and stock movements as the API and inventory's events render them, built as plain dicts (the
serializers in ``api/serializers.py`` declare their fields for the schema; a test holds the two to the same keys
and types)."""

from __future__ import annotations

from typing import Any

from synthesq.core.representation import amount, iso_datetime, username

from .models import Product, StockMovement


def product_representation(product: Product) -> dict[str, Any]:
    """The product with ``has_variants`` (annotated by ``product_list``)."""
    return {
        "id": product.pk, "sku": product.sku, "name": product.name, "description": product.description,
        "price": amount(product.price, product.currency), "currency": product.currency,
        "stock_quantity": product.stock_quantity,
        "parent_id": None if product.parent_id is None else str(product.parent_id),
        # The product_list annotation: "has variants" is stated once, in the selector.
        "has_variants": bool(product.has_variants),  # type: ignore[attr-defined]
        "active": product.is_active, "tax_class": product.tax_class_id,
        "created_at": iso_datetime(product.created_at), "updated_at": iso_datetime(product.updated_at),
    }


def stock_movement_representation(movement: StockMovement) -> dict[str, Any]:
    """The ledger row (join ``actor`` for lists)."""
    return {
        "id": movement.pk, "product_id": movement.product_id, "kind": str(movement.kind),
        "quantity_delta": movement.quantity_delta, "balance_after": movement.balance_after,
        "reason": movement.reason, "reference": movement.reference, "actor": username(movement.actor),
        "created_at": iso_datetime(movement.created_at),
    }
