"""Orders as the API renders them, built as plain dicts (``OrderSerializer`` declares the fields for the
schema and delegates here; a test holds the two to the same output)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from synthesq.core.actors import Viewer
from synthesq.core.representation import amount, iso_datetime

from .addresses import address_representation
from .models import Order, OrderLine
from .selectors import order_allowed_statuses


def order_line_representation(line: OrderLine, currency: str) -> dict[str, Any]:
    return {
        "product_id": line.product_id, "sku": line.sku, "name": line.name, "quantity": line.quantity,
        "unit_price": amount(line.unit_price, currency), "line_total": amount(line.line_total, currency),
    }


def order_representation(order: Order, *, user: Viewer = None) -> dict[str, Any]:
    """The order with its lines (``order.lines.all()``: prefetch them for lists) and the statuses ``user`` may
    move it to now (without a user: every move possible now)."""
    currency = order.currency
    return {
        "id": order.pk, "order_number": order.order_number, "status": str(order.status),
        "customer_id": order.customer_id, "currency": currency,
        "line_items": [order_line_representation(line, currency) for line in order.lines.all()],
        "subtotal": amount(order.subtotal, currency), "total": amount(order.total, currency),
        "shipping_address": address_representation(order.shipping_address),
        "tracking_number": order.tracking_number, "carrier": order.carrier,
        "cancellation_reason": order.cancellation_reason, "on_hold": order.on_hold, "hold_reason": order.hold_reason,
        "held_at": iso_datetime(order.held_at), "return_window_ends_at": iso_datetime(order.return_window_ends_at()),
        "allowed_statuses": order_allowed_statuses(order, user),
        "created_at": iso_datetime(order.created_at), "updated_at": iso_datetime(order.updated_at),
        "confirmed_at": iso_datetime(order.confirmed_at), "processing_at": iso_datetime(order.processing_at),
        "shipped_at": iso_datetime(order.shipped_at), "delivered_at": iso_datetime(order.delivered_at),
        "closed_at": iso_datetime(order.closed_at), "cancelled_at": iso_datetime(order.cancelled_at),
    }


def order_representations(orders: Iterable[Order], *, user: Viewer = None) -> list[dict[str, Any]]:
    """A page of orders (lines prefetched), as ``OrderSerializer(many=True)`` renders them."""
    return [order_representation(order, user=user) for order in orders]
