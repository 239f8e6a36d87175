"""Shared by the sales tests: URLs, request bodies, order builders (delivered orders, bulk clones), snapshots
to show a refused request changed nothing, and assertions on closing and invoice numbering."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from billing.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus
from integrations.models import Event
from inventory.models import Product, StockMovement, WarehouseStock
from sales.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    Return,
    ReturnEvent,
    ReturnLine,
)
from synthesq.core.models import IdempotencyKey
from synthesq.core.models import Sequence as Counter
from tests.factories import OrderFactory
from tests.helpers import rows_of
from tests.inventory.helpers import ledger_sum as ledger_sum  # the stock tests of orders read them here too
from tests.inventory.helpers import stock_of as stock_of

ORDERS_URL = "/api/v1/sales/orders"
CUSTOMERS_URL = "/api/v1/sales/customers"
INVOICE_NUMBER = re.compile(r"^INV-(\d{4})-(\d{6})$")
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
    "id", "order_number", "status", "fulfilment_status", "customer_id", "currency", "line_items", "subtotal", "total",
    "charges", "charges_total", "tax_total", "prices_include_tax", "tax_rounding", "taxes", "tax_exempt_reason",
    "shipping_address", "tracking_number", "carrier", "cancellation_reason", "on_hold", "hold_reason", "held_at",
    "return_window_ends_at", "allowed_statuses",
    "created_at", "updated_at", "confirmed_at", "processing_at", "shipped_at", "delivered_at",
    "closed_at", "cancelled_at", "returns", "discount", "promotion_code", "promotion_discount", "discount_total",
}
LINE_FIELDS = {"product_id", "sku", "name", "quantity", "unit_price", "line_total", "returned_quantity", "tax_class",
               "tax_rate", "net_amount", "tax_amount", "gross_amount", "taxes", "allocations", "list_price",
               "price_list_id", "discount", "order_discount_amount"}
EVENT_FIELDS = {"id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"}


def order_url(order_id: str, suffix: str = "") -> str:
    return f"{ORDERS_URL}/{order_id}{suffix}"


def status_url(order_id: str) -> str:
    return order_url(order_id, "/status")


def history_url(order_id: str) -> str:
    return order_url(order_id, "/history")


def hold_url(order_id: str) -> str:
    return order_url(order_id, "/hold")


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
    return rows_of(Order, OrderLine, OrderEvent, Product, StockMovement, WarehouseStock, OrderLineAllocation,
                   IdempotencyKey)


def movements(order_id: str, kind: str | None = None) -> list[tuple[str, int]]:
    """The order's ledger rows as (product_id, quantity_delta), optionally of one kind."""
    rows = StockMovement.objects.filter(reference=order_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("product_id", "quantity_delta"))


def events_of(order_id: str) -> list[tuple[str, str, str]]:
    return list(OrderEvent.objects.filter(order_id=order_id).order_by("id")
                .values_list("kind", "from_status", "to_status"))


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


# --- building orders --------------------------------------------------------------------------------------


def set_delivered_at(order: Order | str, when: datetime) -> None:
    pk = order if isinstance(order, str) else order.pk
    Order.objects.filter(pk=pk).update(delivered_at=when)


def put_on_hold(order: Order | str, reason: str = "customer dispute") -> None:
    """A hold written straight to the row (the API path has its own tests)."""
    pk = order if isinstance(order, str) else order.pk
    Order.objects.filter(pk=pk).update(on_hold=True, hold_reason=reason, held_at=timezone.now())


def delivered_order(delivered_at: datetime | None = None, *, hold: str | None = None, **kwargs: Any) -> Order:
    """A delivered order made through the services (so it has a draft invoice), delivered at ``delivered_at``
    (default: just now) and optionally on hold."""
    order = OrderFactory(status=OrderStatus.DELIVERED, **kwargs)
    if delivered_at is not None:
        set_delivered_at(order, delivered_at)
    if hold is not None:
        put_on_hold(order, hold)
    order.refresh_from_db()
    return order


def clone_delivered(template: Order, delivered_ats: Sequence[datetime],
                    held: Sequence[bool] | None = None) -> list[str]:
    """Copies of a delivered ``template`` (order, lines, draft invoice and its lines) written in bulk, one per
    ``delivered_ats`` entry, optionally on hold. For large scenarios: the lifecycle itself is tested elsewhere.
    Returns the new order ids, in the order of ``delivered_ats``."""
    assert template.status == OrderStatus.DELIVERED
    invoice = Invoice.objects.get(order=template)
    assert invoice.status == InvoiceStatus.DRAFT
    lines = list(OrderLine.objects.filter(order=template))
    invoice_lines = list(InvoiceLine.objects.filter(invoice=invoice))
    held = held or [False] * len(delivered_ats)
    first = Order.objects.filter(order_number__startswith=f"{template.order_number}-").count()
    orders: list[Order] = []
    for index, (when, on_hold) in enumerate(zip(delivered_ats, held, strict=True)):
        copy = Order.objects.get(pk=template.pk)
        copy.pk = Order._meta.pk.get_default()
        copy.order_number = f"{template.order_number}-{first + index:05d}"
        copy.delivered_at = when
        copy.on_hold = on_hold
        copy.hold_reason = "bulk dispute" if on_hold else ""
        copy.held_at = timezone.now() if on_hold else None
        orders.append(copy)
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create([
        OrderLine(order=order, position=line.position, product_id=line.product_id, sku=line.sku, name=line.name,
                  quantity=line.quantity, unit_price=line.unit_price, line_total=line.line_total)
        for order in orders for line in lines
    ])
    invoices = []
    for order in orders:
        copy = Invoice.objects.get(pk=invoice.pk)
        copy.pk = Invoice._meta.pk.get_default()
        copy.order = order
        invoices.append(copy)
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=inv, position=line.position, product_id=line.product_id, sku=line.sku,
                    description=line.description, quantity=line.quantity, unit_price=line.unit_price,
                    line_total=line.line_total)
        for inv in invoices for line in invoice_lines
    ])
    return [order.pk for order in orders]


# --- snapshots ---------------------------------------------------------------------------------------------


def full_state() -> dict[str, list[dict[str, Any]]]:
    """Every row the close path could touch, to show a run or a refused request changed nothing."""
    return rows_of(Order, OrderEvent, Invoice, InvoiceEvent, Counter)


def order_state(order_id: str) -> dict[str, Any]:
    """What a refused close or hold must leave as it was."""
    order = Order.objects.get(pk=order_id)
    invoice = Invoice.objects.filter(order_id=order_id).first()
    return {
        "status": order.status, "closed_at": order.closed_at, "on_hold": order.on_hold,
        "hold_reason": order.hold_reason, "held_at": order.held_at, "held_by": order.held_by_id,
        "invoice": (invoice.status, invoice.number, invoice.issued_at) if invoice else None,
        "history": OrderEvent.objects.filter(order_id=order_id).count(),
        "invoice_history": InvoiceEvent.objects.filter(invoice__order_id=order_id).count(),
    }


# --- assertions ---------------------------------------------------------------------------------------------


def close_events(order_id: str) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order_id=order_id, kind=OrderEvent.Kind.STATUS_CHANGED,
                                          to_status=OrderStatus.CLOSED).order_by("id"))


def assert_closed_and_invoiced(order_id: str) -> Invoice:
    """Closed once (one history row), with its invoice issued once and numbered."""
    order = Order.objects.get(pk=order_id)
    assert order.status == OrderStatus.CLOSED, order_id
    assert order.closed_at is not None
    events = close_events(order_id)
    assert len(events) == 1, events
    assert events[0].from_status == OrderStatus.DELIVERED
    invoice = Invoice.objects.get(order_id=order_id)
    assert invoice.status == InvoiceStatus.ISSUED, order_id
    assert INVOICE_NUMBER.match(invoice.number or ""), invoice.number
    assert invoice.issued_at is not None and invoice.due_at is not None
    issued = InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED,
                                         to_status=InvoiceStatus.ISSUED)
    assert issued.count() == 1
    assert issued.get().data["number"] == invoice.number
    return invoice


def assert_untouched_delivered(order_id: str) -> None:
    """Still delivered with a draft, unnumbered invoice and no close in its history."""
    order = Order.objects.get(pk=order_id)
    assert order.status == OrderStatus.DELIVERED, order_id
    assert order.closed_at is None
    assert close_events(order_id) == []
    invoice = Invoice.objects.get(order_id=order_id)
    assert (invoice.status, invoice.number, invoice.issued_at) == (InvoiceStatus.DRAFT, None, None)


def invoice_sequence_values() -> list[int]:
    """Sequence values of all numbered invoices (one year), sorted."""
    values = []
    years = set()
    for number in Invoice.objects.exclude(number=None).values_list("number", flat=True):
        match = INVOICE_NUMBER.match(number)
        assert match, number
        years.add(match.group(1))
        values.append(int(match.group(2)))
    assert len(years) <= 1, years
    return sorted(values)


def assert_invoice_numbers_gap_free() -> list[int]:
    """Every numbered invoice has a distinct number and together they are 1..n, no gap or duplicate."""
    values = invoice_sequence_values()
    assert values == list(range(1, len(values) + 1)), values
    return values


# --- returns ----------------------------------------------------------------------------------------------
RETURNS_URL = "/api/v1/sales/returns"
RETURN_NUMBER = re.compile(r"^RMA-(\d{8})$")
RETURN_FIELDS = {
    "id", "return_number", "order_id", "customer_id", "status", "reason", "rejection_reason",
    "return_window_waived", "currency", "value", "lines", "allowed_statuses",
    "requested_at", "received_at", "credited_at", "rejected_at", "created_at", "updated_at",
}
RETURN_LINE_FIELDS = {"product_id", "sku", "name", "quantity", "unit_price", "line_total", "restock"}
RETURN_STATUSES = ["requested", "received", "credited", "rejected"]
# The return lifecycle: every allowed (from, to) pair, and who may make it (superusers: everything).
RETURN_MOVES = {("requested", "received"), ("received", "credited"), ("requested", "rejected")}
RETURN_ROLE_TARGETS = {"sales": {"rejected"}, "warehouse": {"received"}, "finance": {"credited", "rejected"}}


def order_returns_url(order_id: str) -> str:
    return order_url(order_id, "/returns")


def return_url(return_id: str, suffix: str = "") -> str:
    return f"{RETURNS_URL}/{return_id}{suffix}"


def return_body(*lines: tuple[str, int] | tuple[str, int, bool], reason: str = "damaged",
                **extra: Any) -> dict[str, Any]:
    """The body of ``POST …/orders/{id}/returns``; a line is (product_id, quantity) or with ``restock``."""
    items = [{"product_id": line[0], "quantity": line[1], **({"restock": line[2]} if len(line) > 2 else {})}
             for line in lines]
    return {"lines": items, "reason": reason, **extra}


def returns_db_state() -> dict[str, list[dict[str, Any]]]:
    """``db_state`` plus the returns, their lines and history, and the counters: a refused return request or
    move changed none of it."""
    return {**db_state(), **rows_of(Return, ReturnLine, ReturnEvent, Counter, Event, Invoice)}
