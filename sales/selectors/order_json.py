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

from django.db import connection

from synthesq.core.money import currency_codes, minor_unit
from synthesq.core.postgres_rows import on_postgresql
from synthesq.core.prebuilt_json import PrebuiltJSON

from ..models import RETURN_CLAIMING_STATUSES, Order, OrderLine, OrderLineAllocation, Return, ReturnLine
from .orders import OrderLinesRead, order_lines_read


class OrderJSON:
    """An order's ``line_items`` and ``returns`` as JSON text."""

    __slots__ = ("line_items", "returns")

    def __init__(self, line_items: PrebuiltJSON, returns: PrebuiltJSON) -> None:
        self.line_items = line_items
        self.returns = returns


_EMPTY = PrebuiltJSON("[]")


def order_page_lines(order_ids: Sequence[str]) -> Mapping[str, OrderLinesRead | OrderJSON]:
    """The line items and returns of a page of orders: written as JSON by PostgreSQL (``order_lines_json``), read
    as rows elsewhere (``order_lines_read``). One statement either way."""
    return order_lines_json(order_ids) if on_postgresql() else order_lines_read(order_ids)


def order_lines_json(order_ids: Sequence[str]) -> dict[str, OrderJSON]:
    """The line items and returns of these orders (PostgreSQL only), by order id, in one statement."""
    found = {order_id: OrderJSON(_EMPTY, _EMPTY) for order_id in order_ids}
    if not found:
        return found
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [list(found)])
        for order_id, line_items, returns in cursor.fetchall():
            found[order_id] = OrderJSON(PrebuiltJSON(line_items), PrebuiltJSON(returns))
    return found


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
    parts = [f"'{',' if index else '{'}\"{key}\":' || {value}" for index, (key, value) in enumerate(pairs)]
    return "(" + " || ".join(parts) + " || '}')"


def _array(element: str, source: str, order: str) -> str:
    return f"('[' || coalesce((SELECT string_agg({element}, ',' ORDER BY {order}) {source}), '') || ']')"


def _discount() -> str:
    value = "(line.discount->>'value')::numeric"
    percent = f"CASE WHEN mod({value}, 1) = 0 THEN trunc({value})::text ELSE trim_scale({value})::text END"
    shown = f"CASE line.discount->>'type' WHEN 'amount' THEN {_money(value)} ELSE '\"' || {percent} || '\"' END"
    written = _object(("type", "(line.discount->'type')::text"), ("value", shown),
                      ("reason", "coalesce((line.discount->'reason')::text, '\"\"')"),
                      ("amount", _money("line.discount_amount")))
    return f"CASE WHEN coalesce(line.discount->>'type', '') = '' THEN 'null' ELSE {written} END"


def _line() -> str:
    claiming = ", ".join(f"'{status}'" for status in RETURN_CLAIMING_STATUSES)
    returned = (f"(SELECT coalesce(sum(rl.quantity), 0) FROM {ReturnLine._meta.db_table} rl "
                f"JOIN {Return._meta.db_table} r ON r.id = rl.sales_return_id "
                f"WHERE rl.order_line_id = line.id AND r.status IN ({claiming}))::text")
    tax = _object(*((key, _json_value(f"tax->'{key}'")) for key in ("name", "rate", "country", "region", "tax_amount")))
    allocation = _object(("warehouse_id", _text("a.warehouse_id")), ("quantity", "a.quantity::text"))
    return _object(
        ("product_id", _text("line.product_id")), ("sku", _text("line.sku")), ("name", _text("line.name")),
        ("quantity", "line.quantity::text"), ("unit_price", _money("line.unit_price")),
        ("line_total", _money("line.line_total")), ("returned_quantity", returned),
        ("tax_class", _text("line.tax_class")), ("tax_rate", "'\"' || line.tax_rate::text || '\"'"),
        ("net_amount", _money("line.net_amount")), ("tax_amount", _money("line.tax_amount")),
        ("gross_amount", _money("line.gross_amount")),
        ("taxes", _array(tax, "FROM jsonb_array_elements(line.taxes) WITH ORDINALITY AS taxes(tax, n)", "n")),
        ("allocations", _array(allocation, f"FROM {OrderLineAllocation._meta.db_table} a WHERE a.line_id = line.id",
                               "a.id")),
        ("list_price", _money("line.list_price")), ("price_list_id", _nullable("line.price_list_id",
                                                                              _text("line.price_list_id"))),
        ("discount", _discount()), ("order_discount_amount", _money("line.order_discount_amount")),
    )


def _minor_units() -> str:
    """The order's currency's minor unit (``minor_unit``), as a CASE over the currencies that have other than 2."""
    others = " ".join(f"WHEN '{code}' THEN {minor_unit(code)}" for code in currency_codes() if minor_unit(code) != 2)
    return f"CASE o.currency {others} ELSE 2 END"


@cache
def _statement() -> str:
    summary = _object(("id", _text("s.id")), ("return_number", _text("s.return_number")),
                      ("status", _text("s.status")))
    returns = (f"FROM (SELECT DISTINCT r.id, r.return_number, r.status FROM {OrderLine._meta.db_table} l "
               f"JOIN {ReturnLine._meta.db_table} rl ON rl.order_line_id = l.id "
               f"JOIN {Return._meta.db_table} r ON r.id = rl.sales_return_id WHERE l.order_id = page.id) s")
    lines = _array(_line(), f"FROM {OrderLine._meta.db_table} line WHERE line.order_id = page.id", "line.position")
    by_id = 's.id COLLATE "C"'
    return (f"WITH page AS (SELECT o.id, {_minor_units()} AS e FROM {Order._meta.db_table} o WHERE o.id = ANY(%s)) "
            f"SELECT page.id, {lines}, {_array(summary, returns, by_id)} FROM page")
