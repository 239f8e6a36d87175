"""Reads of customers and orders: lists, an order's lines as the API shows them, the locks every order change
starts with, the moves an order may make and its next step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects

from synthesq.core.actors import Viewer
from synthesq.core.compiled import CompiledQuery, Text, TextList
from synthesq.core.errors import NotFound
from synthesq.core.fsm import all_transitions, allowed_targets
from synthesq.core.json_columns import json_text, json_value
from synthesq.core.postgres import joined_rows, split_joined_rows
from synthesq.core.roles import roles_with

from ..models import (
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    ReturnLine,
    return_claims,
    set_lines,
    with_lines,
)
from .order_reads import OrderRead, order_row


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.order_by("-id")


def order_list() -> QuerySet[Order]:
    """Orders, newest first. Their lines (with what returns claim of them) are read for a page at once by
    ``order_lines_read``, which the API's reads render from."""
    return Order.objects.select_related("promotion_code").order_by("-id")


class LineRead(NamedTuple):
    """An order line as the API shows it, with ``returned_quantity``: what requested, received and credited
    returns claim of it."""

    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    returned_quantity: int
    tax_class: str
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    taxes: list[dict[str, str]]
    list_price: Decimal | None = None
    price_list_id: str | None = None
    discount: dict | None = None
    discount_amount: Decimal = Decimal(0)
    order_discount_amount: Decimal = Decimal(0)
    allocations: tuple[tuple[str, int], ...] = ()  # (warehouse id, quantity), in allocation order


class ReturnSummary(NamedTuple):
    id: str
    return_number: str
    status: str


class OrderLinesRead(NamedTuple):
    """An order's lines in position order and its returns (oldest first), as the API renders them."""

    lines: list[LineRead]
    returns: list[ReturnSummary]


_LINE_READ_COLUMNS = (
    "order_id", "pk", "product_id", "sku", "name", "quantity", "unit_price", "line_total",
    "return_lines__id", "return_lines__quantity", "return_lines__sales_return_id",
    "return_lines__sales_return__return_number", "return_lines__sales_return__status",
    "tax_class", "tax_rate", "net_amount", "tax_amount", "gross_amount", json_text("taxes"),
    "list_price", "price_list_id", json_text("discount"), "discount_amount", "order_discount_amount",
    "allocations_text",
)


def order_lines_read(order_ids: Sequence[str]) -> dict[str, OrderLinesRead]:
    """The lines of these orders, each with the return lines claiming it and their returns and its allocations, in
    one statement (a line joined to its return lines: one row per pair, or one row with none; its allocations
    looked up per line, ``postgres.joined_rows``), whatever the number of orders, lines and returns. Plain rows,
    no model instances: a page of 50 orders of 3 lines was 200 of them and the prefetch machinery around them, the
    largest share of the list's time."""
    reads = {order_id: OrderLinesRead([], []) for order_id in order_ids}
    if not reads:
        return reads
    rows = _LINES_READ(order_ids=_padded(list(reads)))
    seen_returns: set[tuple[str, str]] = set()
    last_line = None
    seen_return_lines: set[int] = set()
    for (order_id, line_id, product_id, sku, name, quantity, unit_price, line_total,
         return_line_id, returned, return_id, return_number, return_status, tax_class, tax_rate, net_amount,
         tax_amount, gross_amount, taxes, list_price, price_list_id, discount, discount_amount,
         order_discount_amount, allocations) in rows:
        read = reads[order_id]
        if line_id != last_line:
            read.lines.append(LineRead(product_id, sku, name, quantity, unit_price, line_total, 0, tax_class, tax_rate,
                                       net_amount, tax_amount, gross_amount, json_value(taxes), list_price,
                                       price_list_id, json_value(discount), discount_amount, order_discount_amount,
                                       tuple((warehouse_id, int(allocated)) for _key, warehouse_id, allocated
                                             in split_joined_rows(allocations)) if allocations else ()))
            last_line, seen_return_lines = line_id, set()
        if return_id is None or return_line_id in seen_return_lines:
            continue
        seen_return_lines.add(return_line_id)
        if return_claims(return_status):
            read.lines[-1] = read.lines[-1]._replace(returned_quantity=read.lines[-1].returned_quantity + returned)
        if (order_id, return_id) not in seen_returns:
            seen_returns.add((order_id, return_id))
            read.returns.append(ReturnSummary(return_id, return_number, str(return_status)))
    for read in reads.values():
        if len(read.returns) > 1:
            read.returns.sort()
    return reads


# Compiled once per number of ids: the ids padded to a power of two (a repeated id changes nothing in ``IN``), so
# that pages of any size share a few shapes; a page of 33 to 50 (the default page: 50) to 50 ids, as psycopg keeps
# a statement's parsed form only up to 50 parameters (parsing 64 again on every page cost more than its IN).
_LINES_READ = CompiledQuery(
    "sales.order_lines_read",
    lambda order_ids: (OrderLine.objects.filter(order_id__in=order_ids)
                       .annotate(allocations_text=joined_rows(OrderLineAllocation, parent=OrderLine, key="line",
                                                              fields=("warehouse", "quantity")))
                       .order_by("order_id", "position", "return_lines__id")
                       .values_list(*_LINE_READ_COLUMNS)),
    order_ids=TextList(),
)


def _padded(ids: list[str]) -> list[str]:
    size = 1 << (len(ids) - 1).bit_length()
    if len(ids) <= _PARSED_PARAMETERS_KEPT < size:
        size = _PARSED_PARAMETERS_KEPT
    return ids + ids[-1:] * (size - len(ids))


_PARSED_PARAMETERS_KEPT = 50  # psycopg's MAX_CACHED_STATEMENT_PARAMS


def order_lines_in_memory(order: Order) -> OrderLinesRead:
    """``order_lines_read`` for an order a write has just locked or made, from its lines in memory
    (``order.lines.all()``) and, for an order that may have returns (delivered or closed), one query for them;
    its allocations from memory (a confirmation just made them) or one query."""
    return_lines = order_return_lines(order)
    allocations = _allocations_in_memory(order)
    lines = []
    returns: dict[str, ReturnSummary] = {}
    for line in order.lines.all():
        claiming = return_lines.get(line.pk, [])
        for return_line in claiming:
            sales_return = return_line.sales_return
            returns[sales_return.pk] = ReturnSummary(sales_return.pk, sales_return.return_number,
                                                     str(sales_return.status))
        lines.append(LineRead(line.product_id, line.sku, line.name, line.quantity, line.unit_price,
                              line.line_total, claimed_quantity(claiming), line.tax_class, line.tax_rate,
                              line.net_amount, line.tax_amount, line.gross_amount, line.taxes, line.list_price,
                              line.price_list_id, line.discount, line.discount_amount, line.order_discount_amount,
                              allocations.get(line.pk, ())))
    return OrderLinesRead(lines, sorted(returns.values()))


def _allocations_in_memory(order: Order) -> dict[int, tuple[tuple[str, int], ...]]:
    """The lines' allocations: none for a draft or a cancelled order, those in memory, or one query."""
    lines = list(order.lines.all())
    if order.status in (OrderStatus.DRAFT, OrderStatus.CANCELLED) or not lines:
        return {}
    if all("allocations" in getattr(line, "_prefetched_objects_cache", {}) for line in lines):
        return {line.pk: tuple((a.warehouse_id, a.quantity) for a in line.allocations.all()) for line in lines}
    found: dict[int, tuple[tuple[str, int], ...]] = {}
    for line_id, warehouse_id, quantity in (OrderLineAllocation.objects.filter(line__order_id=order.pk)
                                            .order_by("line_id", "id").values_list("line_id", "warehouse_id",
                                                                                   "quantity")):
        found[line_id] = (*found.get(line_id, ()), (warehouse_id, quantity))
    return found


def claimed_quantity(return_lines: Iterable[ReturnLine]) -> int:
    """What requested, received and credited returns claim of an order line (a rejected one gives it back)."""
    return sum(line.quantity for line in return_lines if return_claims(line.sales_return.status))


def order_read(order_id: str) -> tuple[OrderRead, OrderLinesRead]:
    """One order and its lines as the API shows them (two statements, each compiled once; 404 when there is
    none)."""
    order = order_row(order_id)
    if order is None:
        raise NotFound(f"No order {order_id!r}.")
    return order, order_lines_read([order.id])[order.id]


# Only an order whose goods have (partly) shipped takes returns (and keeps them once closed): in any other status
# an order has none.
ORDER_STATUSES_WITH_RETURNS = (OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED)


def _may_have_returns(order: Order) -> bool:
    return order.status in ORDER_STATUSES_WITH_RETURNS


def order_return_lines(order: Order) -> dict[int, list[ReturnLine]]:
    """The return lines (with their returns) of an order a write holds, by order line id: none without a query
    when the order cannot have any (its status), else one query (or none, when they were read already)."""
    lines = list(order.lines.all())
    if not _may_have_returns(order):
        return {}
    unread = [line for line in lines if "return_lines" not in getattr(line, "_prefetched_objects_cache", {})]
    if unread:
        prefetch_related_objects(unread, Prefetch(
            "return_lines", queryset=ReturnLine.objects.select_related("sales_return").order_by("id")))
    return {line.pk: list(line.return_lines.all()) for line in lines}


def order_get_for_update(order_id: str) -> Order:
    """The order row, locked until the transaction ends (404 when there is none). Every order change starts
    here: the order is the first lock taken, before its products and its invoice."""
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order {order_id!r}.")
    return order


def order_lock_with_lines(order_id: str) -> Order:
    """The order locked as ``order_get_for_update`` locks it, with its lines and its customer, in one statement
    (404 when there is none).

    ``FOR UPDATE OF order, lines``: PostgreSQL locks each row's marks in that order, so the order is locked
    first, as everywhere (a draft edit or a return holding the order never waits for lines this holds: no
    deadlock). Its promotion code comes along unlocked (a confirmation locks it last, counting the use). The
    lines are locked too so that none is stale: a draft edit that replaced them while this waited
    for the order has deleted the rows this would return, so none come back, and the order is then locked and
    its lines read afresh (as for an order without lines, which the API never makes)."""
    lines: list[Any] = _LOCK_WITH_LINES(order_id=order_id)
    if not lines:
        return with_lines(order_get_for_update(order_id))
    if order_changed_while_waiting(lines):  # an amendment may have added lines this statement cannot see
        return with_lines(order_get_for_update(order_id), reload=True)
    return set_lines(lines[0].order, lines)


# The order's ``updated_at`` as the locking statement's snapshot saw it. A ``FOR UPDATE`` that waited for another
# transaction returns the order row as that one committed it but reads this subquery in its own (older)
# snapshot: when the two differ, the order changed while the statement waited (an amendment may have added
# lines, which that statement cannot see), and its lines are read again, under the lock now held.
ORDER_UPDATED_AS_SEEN = Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("updated_at")[:1])


# ``order_lock_with_lines``'s statement, compiled once.
_LOCK_WITH_LINES = CompiledQuery(
    "sales.order_lock_with_lines",
    lambda order_id: OrderLine.objects.select_related("order", "order__customer", "order__promotion_code")
    .select_for_update(of=("order", "self")).filter(order_id=order_id).order_by("position")
    .annotate(order_updated_as_seen=ORDER_UPDATED_AS_SEEN),
    shared_related=True,  # one order (with its customer and code) for all its lines, not one per line
    order_id=Text(),
)


def order_changed_while_waiting(lines: Sequence[Any]) -> bool:
    return bool(lines) and lines[0].order_updated_as_seen != lines[0].order.updated_at


def order_allowed_statuses(order: Order, user: Viewer = None) -> list[str]:
    """Statuses the order may move to now (conditions met); with ``user``, only those the user may make."""
    return allowed_targets(order, user)


def order_read_allowed_statuses(order: OrderRead, user: Viewer = None) -> list[str]:
    """``order_allowed_statuses`` of an order read as a row (its transitions' conditions read the row)."""
    return allowed_targets(order, user, model=Order)


def order_event_list(*, order_id: str) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order_id=order_id).select_related("actor").order_by("id")


def customer_lock(*, customer_id: str) -> None:
    """Lock the customer row for the caller's transaction, as ``customer_update`` does (for ``If-Match``)."""
    list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))


# -- the next step of an order, and who takes it --------------------------------------------------------------
STATUS_SINCE = {
    OrderStatus.DRAFT: "created_at", OrderStatus.CONFIRMED: "confirmed_at", OrderStatus.PROCESSING: "processing_at",
    OrderStatus.SHIPPED: "shipped_at", OrderStatus.DELIVERED: "delivered_at", OrderStatus.CLOSED: "closed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


@dataclass(frozen=True)
class NextMove:
    status: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class NextStep:
    """Where an order stands and what comes next: the moves its state machine declares from here, each with the
    roles that may make it; for a delivered order, when it may be closed; for a held order, who releases it."""

    status: str
    since: datetime | None
    moves: tuple[NextMove, ...]
    closable_from: datetime | None
    on_hold: bool
    hold_reason: str
    release_roles: tuple[str, ...]


def order_next_step(order: Order) -> NextStep:
    order_of = {status.value: index for index, status in enumerate(OrderStatus)}
    moves = tuple(sorted(
        (NextMove(str(t.target), roles_with(str(t.permission)) if isinstance(t.permission, str) else ())
         for t in all_transitions(Order) if str(t.source) == order.status),
        key=lambda move: order_of.get(move.status, 99),
    ))
    return NextStep(
        status=order.status, since=getattr(order, STATUS_SINCE[OrderStatus(order.status)]), moves=moves,
        closable_from=order.return_window_ends_at() if order.status == OrderStatus.DELIVERED else None,
        on_hold=order.on_hold, hold_reason=order.hold_reason, release_roles=roles_with("sales.hold_order"),
    )
