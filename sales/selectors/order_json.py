"""A page of orders' line items and returns written as JSON by PostgreSQL (issue 25): one statement gives, per
order, its ``line_items`` and its ``returns`` as the API renders them (``sales.representations``: the same keys
in the same order, amounts in the currency's minor unit rounded half-up, compact), which the page puts in its data
as ``PrebuiltJSON``. It replaces ``order_lines_read``'s 150 wide rows (a page of 50 orders of 3 lines) and making a
dict of each, the largest share of the list's CPU time. SQLite keeps ``order_lines_read``.

What each value becomes, as ``sales.representations`` writes it:
- a string as ``to_json`` writes it (PostgreSQL escapes as orjson does: quote, backslash, the control characters,
  nothing else), an integer as its digits, NULL as ``null``;
- an amount as ``amounts(currency)`` writes it: ``round(value, minor unit)`` (half away from zero, as
  ``ROUND_HALF_UP``), with the sign Python keeps on a negative amount that rounds to zero (``"-0.00"``);
- a tax rate as its column's four decimals; a line's tax rows and discount from their stored JSON values (the
  pricing module stores strings), a percent discount's value without trailing zeros (an integer when whole);
- a line's ``returned_quantity``: what its requested, received and credited returns claim; the order's returns:
  those with a line of it, by id (code point order, as Python sorts them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from django.conf import settings
from django.db import connection

from synthesq.core.money import currency_codes, minor_unit
from synthesq.core.postgres_rows import on_postgresql
from synthesq.core.representation import renders_in_utc

from ..addresses import ADDRESS_PARTS
from ..models import (
    RETURN_CLAIMING_STATUSES,
    Order,
    OrderLine,
    OrderLineAllocation,
    Return,
    ReturnLine,
)
from ..pricing_models import PromotionCode
from .orders import OrderLinesRead, order_lines_read


class OrderDocument:
    """An order as the API renders it, written by PostgreSQL: the JSON text before its ``allowed_statuses`` (which
    depend on who asks) and after them."""

    __slots__ = ("head", "tail")

    def __init__(self, head: str, tail: str) -> None:
        self.head = head
        self.tail = tail


def order_page_documents(order_ids: Sequence[str]) -> Mapping[str, OrderLinesRead | OrderDocument]:
    """A page of orders as the API renders them, but for who may move them: written as JSON by PostgreSQL when
    datetimes are rendered in UTC (``order_documents``); elsewhere their lines and returns read as rows
    (``order_lines_read``). One statement either way."""
    if on_postgresql() and renders_in_utc():
        return order_documents(order_ids)
    return order_lines_read(order_ids)


def order_documents(order_ids: Sequence[str]) -> dict[str, OrderDocument]:
    """These orders as JSON (PostgreSQL only; datetimes in UTC), by id, in one statement."""
    if not order_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [settings.ORDER_RETURN_WINDOW_DAYS, list(order_ids)])
        return {order_id: OrderDocument(head, tail) for order_id, head, tail in cursor.fetchall()}


def _text(expression: str) -> str:
    return f"to_json({expression})::text"


def _nullable(expression: str, written: str) -> str:
    return f"CASE WHEN {expression} IS NULL THEN 'null' ELSE {written} END"


def _money(expression: str) -> str:
    """An amount column as ``amounts(currency)`` writes it (``page.e``: the order's minor unit)."""
    rounded = f"round({expression}, page.e)"
    sign = f"CASE WHEN {expression} < 0 AND {rounded} = 0 THEN '-' ELSE '' END"
    return _nullable(expression, f"'\"' || {sign} || {rounded}::text || '\"'")


def _json_value(expression: str) -> str:
    """A stored JSON value as it is (a missing key: null)."""
    return f"coalesce(({expression})::text, 'null')"


def _object(*pairs: tuple[str, str]) -> str:
    parts = [f"'{',' if index else '{'}\"{key}\":', {value}" for index, (key, value) in enumerate(pairs)]
    return "concat(" + ", ".join(parts) + ", '}')"


def _array(element: str, source: str, order: str) -> str:
    return f"('[' || coalesce((SELECT string_agg({element}, ',' ORDER BY {order}) {source}), '') || ']')"


def _percent(value: str) -> str:
    """A percent discount's value as entered: an integer when whole, else without trailing zeros."""
    return f"CASE WHEN mod({value}, 1) = 0 THEN trunc({value})::text ELSE trim_scale({value})::text END"


def _discount(kind: str, value: str, reason: str, amount: str) -> str:
    """``_discount`` of ``sales.representations``: null without a kind."""
    shown = f"CASE {kind} WHEN 'amount' THEN {_money(value)} ELSE '\"' || {_percent(value)} || '\"' END"
    written = _object(("type", _text(kind)), ("value", shown), ("reason", reason), ("amount", _money(amount)))
    return f"CASE WHEN coalesce({kind}, '') = '' THEN 'null' ELSE {written} END"


def _iso(expression: str) -> str:
    """A datetime as ``iso_datetimes`` writes it in UTC: microseconds only when there are, ``Z``."""
    utc = f"{expression} AT TIME ZONE 'UTC'"
    fraction = f"CASE WHEN date_trunc('second', {expression}) = {expression} THEN '' ELSE to_char({utc}, '.US') END"
    return _nullable(expression, f"'\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} || 'Z\"'")


def _rows(source: str, keys: Sequence[str]) -> str:
    """A stored JSON array of objects (tax rows, charges) with ``keys`` in this order, values as stored."""
    row = _object(*((key, _json_value(f"row->'{key}'")) for key in keys))
    return _array(row, f"FROM jsonb_array_elements({source}) WITH ORDINALITY AS rows(row, n)", "n")


_ITEM_TAX_KEYS = ("name", "rate", "country", "region", "tax_amount")


def _address() -> str:
    """``address_representation``: its known parts present, in order; a value not null as text."""
    names = ", ".join(f"'{part.name}'" for part in ADDRESS_PARTS)
    value = ("CASE jsonb_typeof(a->part) WHEN 'null' THEN 'null' WHEN 'string' THEN (a->part)::text "
             "WHEN 'boolean' THEN CASE WHEN (a->part)::boolean THEN '\"True\"' ELSE '\"False\"' END "
             "ELSE to_json((a->part)::text)::text END")
    parts = (f"SELECT string_agg(to_json(part)::text || ':' || {value}, ',' ORDER BY n) "
             f"FROM unnest(ARRAY[{names}]) WITH ORDINALITY AS parts(part, n) WHERE a ? part")
    return (f"(SELECT CASE WHEN jsonb_typeof(a) = 'object' THEN '{{' || coalesce(({parts}), '') || '}}' "
            "ELSE 'null' END FROM (SELECT page.shipping_address AS a) address)")


def _line() -> str:
    claiming = ", ".join(f"'{status}'" for status in RETURN_CLAIMING_STATUSES)
    returned = (f"(SELECT coalesce(sum(rl.quantity), 0) FROM {ReturnLine._meta.db_table} rl "
                f"JOIN {Return._meta.db_table} r ON r.id = rl.sales_return_id "
                f"WHERE rl.order_line_id = line.id AND r.status IN ({claiming}))::text")
    allocation = _object(("warehouse_id", _text("a.warehouse_id")), ("quantity", "a.quantity::text"))
    return _object(
        ("product_id", _text("line.product_id")), ("sku", _text("line.sku")), ("name", _text("line.name")),
        ("quantity", "line.quantity::text"), ("unit_price", _money("line.unit_price")),
        ("line_total", _money("line.line_total")), ("returned_quantity", returned),
        ("tax_class", _text("line.tax_class")), ("tax_rate", "'\"' || line.tax_rate::text || '\"'"),
        ("net_amount", _money("line.net_amount")), ("tax_amount", _money("line.tax_amount")),
        ("gross_amount", _money("line.gross_amount")),
        ("taxes", _rows("line.taxes", _ITEM_TAX_KEYS)),
        ("allocations", _array(allocation, f"FROM {OrderLineAllocation._meta.db_table} a WHERE a.line_id = line.id",
                               "a.id")),
        ("list_price", _money("line.list_price")), ("price_list_id", _nullable("line.price_list_id",
                                                                              _text("line.price_list_id"))),
        ("discount", _discount("line.discount->>'type'", "(line.discount->>'value')::numeric",
                               "coalesce((line.discount->'reason')::text, '\"\"')", "line.discount_amount")),
        ("order_discount_amount", _money("line.order_discount_amount")),
    )


def _minor_units() -> str:
    """The order's currency's minor unit (``minor_unit``), as a CASE over the currencies that have other than 2."""
    others = " ".join(f"WHEN '{code}' THEN {minor_unit(code)}" for code in currency_codes() if minor_unit(code) != 2)
    return f"CASE o.currency {others} ELSE 2 END"


def _returns() -> str:
    summary = _object(("id", _text("s.id")), ("return_number", _text("s.return_number")),
                      ("status", _text("s.status")))
    returns = (f"FROM (SELECT DISTINCT r.id, r.return_number, r.status FROM {OrderLine._meta.db_table} l "
               f"JOIN {ReturnLine._meta.db_table} rl ON rl.order_line_id = l.id "
               f"JOIN {Return._meta.db_table} r ON r.id = rl.sales_return_id WHERE l.order_id = page.id) s")
    return _array(summary, returns, 's.id COLLATE "C"')


def _members(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"'{',' if index else ''}\"{key}\":', {value}" for index, (key, value) in enumerate(pairs))


def _head() -> str:
    """The order's members before ``allowed_statuses``, as ``_order`` writes them, and that key."""
    lines = _array(_line(), f"FROM {OrderLine._meta.db_table} line WHERE line.order_id = page.id", "line.position")
    charge = ("kind", "description", "amount", "tax_class", "tax_rate", "net_amount", "tax_amount", "gross_amount")
    charges = _array(_object(*((key, _json_value(f"row->'{key}'")) for key in charge),
                             ("taxes", _rows("row->'taxes'", _ITEM_TAX_KEYS))),
                     "FROM jsonb_array_elements(page.charges) WITH ORDINALITY AS rows(row, n)", "n")
    return "concat('{', " + _members([
        ("id", _text("page.id")), ("order_number", _text("page.order_number")), ("status", _text("page.status")),
        ("fulfilment_status", _text("page.fulfilment_status")), ("customer_id", _text("page.customer_id")),
        ("currency", _text("page.currency")), ("line_items", lines), ("charges", charges),
        ("subtotal", _money("page.subtotal")), ("charges_total", _money("page.charges_total")),
        ("tax_total", _money("page.tax_total")), ("total", _money("page.total")),
        ("prices_include_tax", _text("page.prices_include_tax")), ("tax_rounding", _text("page.tax_rounding")),
        ("taxes", _rows("page.taxes", ("name", "rate", "country", "region", "taxable_amount", "tax_amount"))),
        ("tax_exempt_reason", _text("page.tax_exempt_reason")), ("shipping_address", _address()),
        ("tracking_number", _text("page.tracking_number")), ("carrier", _text("page.carrier")),
        ("cancellation_reason", _text("page.cancellation_reason")), ("on_hold", _text("page.on_hold")),
        ("hold_reason", _text("page.hold_reason")), ("held_at", _iso("page.held_at")),
        ("return_window_ends_at", _iso("page.window_ends")),
    ]) + ", ',\"allowed_statuses\":')"


def _tail() -> str:
    """The order's members after ``allowed_statuses``, as ``_order`` writes them."""
    moments = ("created_at", "updated_at", "confirmed_at", "processing_at", "shipped_at", "delivered_at",
               "closed_at", "cancelled_at")
    discount = _discount("page.discount_type", "page.discount_value", _text("page.discount_reason"),
                         "page.discount_amount")
    total = "page.lines_discount_total + page.discount_amount + page.promotion_discount_amount"
    return "concat(',', " + _members([
        *((moment, _iso(f"page.{moment}")) for moment in moments), ("returns", _returns()),
        ("discount", discount), ("promotion_code", _nullable("page.code", _text("page.code"))),
        ("promotion_discount", _money("page.promotion_discount_amount")), ("discount_total", _money(total)),
    ]) + ", '}')"


@cache
def _statement() -> str:
    # its minor unit, its promotion code's text, when its return window ends (``Order.return_window_ends_at``)
    page = (f"SELECT o.*, {_minor_units()} AS e, code.code, "
            f"o.delivered_at + make_interval(hours => 24 * %s) AS window_ends FROM {Order._meta.db_table} o "
            f"LEFT JOIN {PromotionCode._meta.db_table} code ON code.id = o.promotion_code_id WHERE o.id = ANY(%s)")
    return f"WITH page AS ({page}) SELECT page.id, {_head()}, {_tail()} FROM page"
