"""Reads of shipments: the lock a shipment starts with (the order with its lines, each with what is allocated
and shipped), what is left to ship per warehouse, the shipments list and a warehouse's pick list."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from django.db.models import Exists, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from inventory.models import Warehouse
from synthesq.core.actors import Viewer
from synthesq.core.errors import NotFound
from synthesq.core.fsm import allowed_targets
from synthesq.core.models import set_prefetched

from ..models import (
    Order,
    OrderLine,
    OrderLineAllocation,
    OrderStatus,
    ReturnLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
    set_lines,
)
from .orders import ORDER_UPDATED_AS_SEEN, order_changed_while_waiting, order_get_for_update

# The orders a warehouse picks for: confirmed (stock allocated) and processing (being picked and shipped).
PICKING_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PROCESSING)


class LineRoom(NamedTuple):
    """Of one order line: what is allocated in the warehouse at hand, what left it already, what left all
    warehouses."""

    allocated_here: int
    shipped_here: int
    shipped: int

    @property
    def shippable_here(self) -> int:
        return max(0, self.allocated_here - self.shipped_here)


def _shipped_sum(**filters: object) -> Coalesce:
    rows = (ShipmentLine.objects.filter(order_line=OuterRef("pk"), **filters).order_by()
            .values("order_line").annotate(total=Sum("quantity")).values("total"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def order_lock_for_shipment(order_id: str, *, warehouse_id: str) -> tuple[Order, dict[int, LineRoom]]:
    """The order locked with its lines as ``order_lock_with_lines`` locks them, each line read with what is
    allocated in ``warehouse_id``, what was shipped from there and from anywhere, and whether any return names
    it, in one statement (404 when there is none). Lines no return names are handed an empty set of return
    lines, so rendering the order reads none."""
    allocated = OrderLineAllocation.objects.filter(line=OuterRef("pk"), warehouse_id=warehouse_id).values("quantity")
    lines: list[Any] = list(
        OrderLine.objects.select_related("order", "order__customer", "order__promotion_code")
        .select_for_update(of=("order", "self"))
        .filter(order_id=order_id).order_by("position")
        .annotate(allocated_here=Coalesce(Subquery(allocated[:1], output_field=IntegerField()), Value(0)),
                  shipped_here=_shipped_sum(shipment__warehouse_id=warehouse_id), shipped=_shipped_sum(),
                  has_return_lines=Exists(ReturnLine.objects.filter(order_line=OuterRef("pk"))),
                  order_updated_as_seen=ORDER_UPDATED_AS_SEEN)
    )
    if not lines:
        return order_get_for_update(order_id), {}
    if order_changed_while_waiting(lines):  # read again under the lock now held: an amendment may have added lines
        return order_lock_for_shipment(order_id, warehouse_id=warehouse_id)
    if not any(line.has_return_lines for line in lines):
        for line in lines:
            set_prefetched(line, "return_lines", [])
    room = {line.pk: LineRoom(line.allocated_here, line.shipped_here, line.shipped) for line in lines}
    return set_lines(lines[0].order, lines), room


def order_unshipped(order: Order) -> dict[str, list[tuple[OrderLine, int]]]:
    """What of the order (its lines in memory) has not shipped yet, per warehouse it is allocated in (two
    statements). A line's units no allocation covers (none should be) are taken from the default warehouse."""
    lines = {line.pk: line for line in order.lines.all()}
    left: dict[tuple[int, str], int] = defaultdict(int)
    for line_id, warehouse_id, quantity in (OrderLineAllocation.objects.filter(line__order_id=order.pk)
                                            .values_list("line_id", "warehouse_id", "quantity")):
        left[line_id, warehouse_id] += quantity
    shipped_rows = list(ShipmentLine.objects.filter(order_line__order_id=order.pk).order_by()
                        .values_list("order_line_id", "shipment__warehouse_id").annotate(total=Sum("quantity")))
    for line_id, warehouse_id, total in shipped_rows:
        left[line_id, warehouse_id] -= total
    uncovered = {pk: line.quantity - sum(max(0, q) for (lid, _w), q in left.items() if lid == pk)
                 - sum(total for lid, _w, total in shipped_rows if lid == pk) for pk, line in lines.items()}
    if any(quantity > 0 for quantity in uncovered.values()):
        default = Warehouse.objects.filter(is_default=True).values_list("pk", flat=True).first()
        if default is not None:
            for pk, quantity in uncovered.items():
                left[pk, default] += max(0, quantity)
    by_warehouse: dict[str, list[tuple[OrderLine, int]]] = defaultdict(list)
    for (line_id, warehouse_id), quantity in sorted(left.items(), key=lambda item: (item[0][1],
                                                                                    lines[item[0][0]].position)):
        if quantity > 0:
            by_warehouse[warehouse_id].append((lines[line_id], quantity))
    return dict(sorted(by_warehouse.items()))


def shipped_quantities(*, order_id: str, delivered: bool = False) -> dict[int, int]:
    """Per order line id, the units its shipments carried (``delivered``: its delivered shipments only)."""
    lines = ShipmentLine.objects.filter(order_line__order_id=order_id)
    if delivered:
        lines = lines.filter(shipment__status=ShipmentStatus.DELIVERED)
    rows = lines.order_by().values_list("order_line_id").annotate(total=Sum("quantity"))
    return {line_id: int(total) for line_id, total in rows}


def order_undelivered_shipments_for_update(order_id: str) -> list[Shipment]:
    """The order's parcels still on their way, locked (the order is locked before them), oldest first."""
    return list(Shipment.objects.select_for_update().filter(order_id=order_id, status=ShipmentStatus.SHIPPED)
                .order_by("pk"))


def warehouse_exists(warehouse_id: str) -> bool:
    return Warehouse.objects.filter(pk=warehouse_id).exists()


def shipment_list() -> QuerySet[Shipment]:
    """Shipments, newest first, with their order (its number) and lines (with their order lines: sku, name)
    prefetched: one statement for the page, one for all its lines."""
    return Shipment.objects.select_related("order").prefetch_related(
        _lines_prefetch()).order_by("-id")


def _lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("position"))


def shipment_get(shipment_id: str) -> Shipment:
    found = shipment_list().filter(pk=shipment_id).first()
    if found is None:
        raise NotFound(f"No shipment {shipment_id!r}.")
    return found


def shipment_get_for_update(shipment_id: str) -> Shipment:
    """The shipment locked after its order (the fixed order: order → its shipments), 404 when there is none."""
    order_id = Shipment.objects.filter(pk=shipment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"No shipment {shipment_id!r}.")
    order = order_get_for_update(order_id)
    found = Shipment.objects.select_for_update(of=("self",)).filter(pk=shipment_id).prefetch_related(
        _lines_prefetch()).first()
    if found is None:
        raise NotFound(f"No shipment {shipment_id!r}.")
    found.order = order
    return found


def shipment_allowed_statuses(shipment: Shipment, user: Viewer = None) -> list[str]:
    return allowed_targets(shipment, user)


def shipment_event_list(*, shipment_id: str) -> QuerySet[ShipmentEvent]:
    return ShipmentEvent.objects.filter(shipment_id=shipment_id).select_related("actor").order_by("id")


class PickRow(NamedTuple):
    """One order line a warehouse still has to pick: allocated there, not all shipped from there yet."""

    order_id: str
    order_number: str
    status: str
    sku: str
    name: str
    allocated: int
    shipped: int

    @property
    def to_pick(self) -> int:
        return self.allocated - self.shipped


def pick_list(warehouse_id: str) -> list[PickRow]:
    """What confirmed and processing orders allocated in the warehouse still need, oldest order first, in line
    order (one statement)."""
    shipped = (ShipmentLine.objects.filter(order_line=OuterRef("line_id"), shipment__warehouse_id=warehouse_id)
               .order_by().values("order_line").annotate(total=Sum("quantity")).values("total"))
    rows = (OrderLineAllocation.objects.filter(warehouse_id=warehouse_id, line__order__status__in=PICKING_STATUSES)
            .annotate(shipped=Coalesce(Subquery(shipped, output_field=IntegerField()), Value(0)))
            .filter(quantity__gt=F("shipped")).order_by("line__order_id", "line__position")
            .values_list("line__order_id", "line__order__order_number", "line__order__status", "line__sku",
                         "line__name", "quantity", "shipped"))
    return [PickRow(*row) for row in rows]


def warehouse_labels(warehouse_ids: list[str] | None = None) -> dict[str, str]:
    """Warehouses as staff name them ("BER-1 Berlin"), by id: these, or every active one (in priority order)."""
    warehouses = Warehouse.objects.all() if warehouse_ids is not None else Warehouse.objects.filter(is_active=True)
    if warehouse_ids is not None:
        warehouses = warehouses.filter(pk__in=warehouse_ids)
    return {pk: f"{code} {name}" for pk, code, name in warehouses.order_by("priority", "code")
            .values_list("pk", "code", "name")}
