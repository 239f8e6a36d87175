"""URLs, request bodies, snapshots and a thread runner shared by the order tests (test_orders_*.py)."""

from __future__ import annotations

from typing import Any

from inventory.models import Product, StockMovement
from sales.models import Order, OrderEvent, OrderLine
from synthesq.core.models import IdempotencyKey

ORDERS_URL = "/api/v1/sales/orders"
STATUSES = ["draft", "confirmed", "processing", "shipped", "delivered", "closed", "cancelled"]
# The lifecycle of the guide: every allowed (from, to) pair.
ALLOWED_MOVES = {
    ("draft", "confirmed"), ("draft", "cancelled"),
    ("confirmed", "processing"), ("confirmed", "cancelled"),
    ("processing", "shipped"),
    ("shipped", "delivered"),
    ("delivered", "closed"),
}
TRACKING = {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}
GUIDE_ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701",
                 "country": "US"}
ORDER_FIELDS = {
    "id", "order_number", "status", "customer_id", "currency", "line_items", "subtotal", "total",
    "shipping_address", "tracking_number", "carrier", "cancellation_reason", "on_hold", "hold_reason", "held_at",
    "return_window_ends_at", "allowed_statuses",
    "created_at", "updated_at", "confirmed_at", "processing_at", "shipped_at", "delivered_at",
    "closed_at", "cancelled_at",
}
LINE_FIELDS = {"product_id", "sku", "name", "quantity", "unit_price", "line_total"}
EVENT_FIELDS = {"id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"}


def order_url(order_id: str, suffix: str = "") -> str:
    return f"{ORDERS_URL}/{order_id}{suffix}"


def status_url(order_id: str) -> str:
    return order_url(order_id, "/status")


def history_url(order_id: str) -> str:
    return order_url(order_id, "/history")


def status_body(target: str, **extra: Any) -> dict[str, Any]:
    """The body of ``PATCH …/status`` to ``target``; tracking data is added for "shipped", and for "closed" the
    return-window waiver (these orders were just delivered; tests/sales/test_close_guard_api.py covers the
    window itself)."""
    body: dict[str, Any] = {"status": target}
    if target == "shipped":
        body.update(TRACKING)
    if target == "closed":
        body["waive_return_window"] = True
    body.update(extra)
    return body


def order_payload(customer_id: str, lines: list[tuple[str, int] | tuple[str, int, Any]], *,
                  currency: str = "USD", address: dict[str, str] | None = None) -> dict[str, Any]:
    """The guide's create body. A line is (product_id, quantity) or (product_id, quantity, unit_price)."""
    items = []
    for line in lines:
        item: dict[str, Any] = {"product_id": line[0], "quantity": line[1]}
        if len(line) > 2:
            item["unit_price"] = line[2]
        items.append(item)
    payload: dict[str, Any] = {"customer_id": customer_id, "currency": currency, "line_items": items}
    if address is not None:
        payload["shipping_address"] = address
    return payload


def line_field(field: str | None, index: int, name: str) -> bool:
    """Whether an ``errors[].field`` names ``line_items[index].name`` (the contract's form)."""
    return field == f"line_items[{index}].{name}"


def db_state() -> dict[str, list[dict[str, Any]]]:
    """Every row a request about orders may touch, to show that a refused request changed nothing."""
    return {
        "orders": list(Order.objects.order_by("id").values()),
        "lines": list(OrderLine.objects.order_by("id").values()),
        "events": list(OrderEvent.objects.order_by("id").values()),
        "products": list(Product.objects.order_by("id").values()),
        "ledger": list(StockMovement.objects.order_by("id").values()),
        "idempotency_keys": list(IdempotencyKey.objects.order_by("id").values()),
    }


def ledger_sum(product_id: str) -> int:
    return sum(StockMovement.objects.filter(product_id=product_id).values_list("quantity_delta", flat=True))


def stock_of(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


def movements(order_id: str, kind: str | None = None) -> list[tuple[str, int]]:
    """The order's ledger rows as (product_id, quantity_delta), optionally of one kind."""
    rows = StockMovement.objects.filter(reference=order_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("product_id", "quantity_delta"))


def events_of(order_id: str) -> list[tuple[str, str, str]]:
    return list(OrderEvent.objects.filter(order_id=order_id).order_by("id")
                .values_list("kind", "from_status", "to_status"))

