"""Orders read as rows for the API's reads (GET one, the list): the columns the representation shows, without
model instances (a page of 50 orders was 100 of them with their promotion codes, the largest share of the page's
ORM time), the single read compiled once (``synthesq.core.compiled``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import QuerySet

from synthesq.core.compiled import CompiledQuery, Text
from synthesq.core.compiled_pages import CompiledPageRows
from synthesq.core.json_columns import json_text, json_value

from ..models import Order


class OrderRead(NamedTuple):
    """An order's fields as the API shows them, by the model's names (a transition's conditions read them as they
    read an order's); ``promotion_code`` is its code's text."""

    id: str
    order_number: str
    status: str
    fulfilment_status: str
    customer_id: str
    currency: str
    charges: list[dict[str, Any]]
    subtotal: Decimal
    charges_total: Decimal
    tax_total: Decimal
    total: Decimal
    prices_include_tax: bool
    tax_rounding: str
    taxes: list[dict[str, Any]]
    tax_exempt_reason: str
    shipping_address: dict[str, Any] | None
    tracking_number: str
    carrier: str
    cancellation_reason: str
    on_hold: bool
    hold_reason: str
    held_at: datetime | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    processing_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    discount_type: str
    discount_value: Decimal | None
    discount_reason: str
    discount_amount: Decimal
    promotion_code: str | None
    promotion_discount_amount: Decimal
    lines_discount_total: Decimal

    @property
    def pk(self) -> str:
        return self.id

    def return_window_ends_at(self) -> datetime | None:
        """The model's rule (it reads ``delivered_at`` only)."""
        return Order.return_window_ends_at(self)


# The row's keys, in ``OrderRead``'s order: its fields by name, its promotion code's text through the foreign key,
# its JSON columns as text (``synthesq.core.json_columns``: parsed in one step each).
_JSON_COLUMNS = ("charges", "taxes", "shipping_address")
_KEYS = tuple("promotion_code__code" if name == "promotion_code" else f"{name}_json" if name in _JSON_COLUMNS
              else name for name in OrderRead._fields)
_JSON_AT = tuple(OrderRead._fields.index(name) for name in _JSON_COLUMNS)


def _rows(orders: QuerySet[Order]) -> QuerySet[Order, dict[str, Any]]:
    return orders.values(*(key for key in _KEYS if not key.endswith("_json")),
                         **{f"{name}_json": json_text(name) for name in _JSON_COLUMNS})


def order_rows() -> QuerySet[Order, dict[str, Any]]:
    """Orders as rows (``values()``), newest first, for the list's filters and cursor pages;
    ``order_read_of_row`` makes each an ``OrderRead``. A copy of one queryset built once (building it, its JSON
    columns' expressions resolved, cost more than copying it); never evaluated itself."""
    return _ORDER_ROWS.all()


def order_rows_paged() -> CompiledPageRows:
    """``order_rows()`` for a list that names no filter and no sort: its cursor pages compiled once per shape
    (``synthesq.core.compiled_pages``)."""
    return CompiledPageRows("sales.order_rows_paged", order_rows, Order)


def order_read_of_row(row: dict[str, Any]) -> OrderRead:
    values = list(map(row.__getitem__, _KEYS))
    for index in _JSON_AT:
        values[index] = json_value(values[index])
    return OrderRead._make(values)


_ORDER_ROWS = _rows(Order.objects.order_by("-id"))
_ORDER_ROW = CompiledQuery("sales.order_row", lambda order_id: _rows(Order.objects.filter(pk=order_id)),
                           order_id=Text())


def order_row(order_id: str) -> OrderRead | None:
    """One order as a row (one statement, compiled once), or None when there is none."""
    rows = _ORDER_ROW(order_id=order_id)
    return order_read_of_row(rows[0]) if rows else None


def order_read_of(order: Order | OrderRead) -> OrderRead:
    """An order instance's fields as ``OrderRead`` (its promotion code read as its code, as it always was)."""
    if isinstance(order, OrderRead):
        return order
    code = order.promotion_code if order.promotion_code_id is not None else None
    return OrderRead(
        order.pk, order.order_number, order.status, order.fulfilment_status, order.customer_id, order.currency,
        order.charges, order.subtotal, order.charges_total, order.tax_total, order.total, order.prices_include_tax,
        order.tax_rounding, order.taxes, order.tax_exempt_reason, order.shipping_address, order.tracking_number,
        order.carrier, order.cancellation_reason, order.on_hold, order.hold_reason, order.held_at, order.created_at,
        order.updated_at, order.confirmed_at, order.processing_at, order.shipped_at, order.delivered_at,
        order.closed_at, order.cancelled_at, order.discount_type, order.discount_value, order.discount_reason,
        order.discount_amount, code.code if code is not None else None, order.promotion_discount_amount,
        order.lines_discount_total,
    )
