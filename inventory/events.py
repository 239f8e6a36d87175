"""What inventory publishes: products created and changed, manual stock adjustments, and stock running low
(a product's stock crossing LOW_STOCK_THRESHOLD downwards). Objects are rendered as the API renders them."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings

from integrations.events import previous_attributes, publish, register_event_types

from . import selectors
from .models import StockMovement
from .representations import product_representation, stock_movement_representation, stock_transfer_representation

register_event_types({
    "product.created": "A product was created (with its initial stock).",
    "product.updated": "A product's catalogue fields changed.",
    "stock.adjusted": "Stock was adjusted by hand (the ledger row, naming its warehouse).",
    "stock.transferred": "Stock moved from one warehouse to another (the transfer with its two ledger rows).",
    "stock.low": "A product's stock fell to LOW_STOCK_THRESHOLD or below.",
})


def product_data(product_id: str) -> dict[str, Any]:
    """The product as the API renders it."""
    return product_representation(selectors.product_get(product_id=product_id))


def publish_product_created(product_id: str) -> None:
    publish("product.created", object_id=product_id, obj=lambda: product_data(product_id))


def publish_product_updated(product_id: str, before: dict[str, Any]) -> None:
    after = product_data(product_id)
    changed = previous_attributes(before, after)
    if changed:
        publish("product.updated", object_id=product_id, obj=after, previous_attributes=changed)


def publish_stock_adjusted(movement: StockMovement) -> None:
    publish("stock.adjusted", object_id=movement.product_id,
            obj=lambda: stock_movement_representation(movement))


def low_stock_products(levels: dict[str, tuple[int, int]]) -> list[str]:
    """The products of ``levels`` (product id → stock before, stock after of one change) that it took to the low
    stock threshold or below, in id order: each gets a ``stock.low`` event."""
    threshold = settings.LOW_STOCK_THRESHOLD
    return [pk for pk, (before, after) in sorted(levels.items()) if before > threshold >= after]


def publish_low_stock(levels: dict[str, tuple[int, int]]) -> None:
    """``levels`` maps product ids to (stock before, stock after) of one change."""
    for product_id in low_stock_products(levels):
        publish("stock.low", object_id=product_id, obj=partial(product_data, product_id),
                previous_attributes={"stock_quantity": levels[product_id][0]})


def publish_stock_transferred(movements: list[StockMovement]) -> None:
    publish("stock.transferred", object_id=movements[0].reference,
            obj=lambda: stock_transfer_representation(movements))
