"""Where an order's stock was reserved (``OrderLineAllocation``), for the services that reserve, release and restock
it. Confirming reserves through ``inventory.services.stock_reserve``, whose rule picks the warehouses (see
``inventory.allocation``); the allocations are built here from its ledger rows and written in the same statement.
Cancelling releases exactly the allocations, to their warehouses; a received return restocks into the warehouses
its lines were allocated from unless the request names one."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence

from inventory.models import StockMovement
from inventory.services import Placement, warehouse_default

from ..models import OrderLine, OrderLineAllocation, Return, ReturnLine, ReturnStatus, set_prefetched


def allocations_from_reservation(lines: Sequence[OrderLine],
                                 movements: Iterable[StockMovement]) -> list[OrderLineAllocation]:
    """Share the reserved units (one ledger row per product and warehouse, in allocation order) among the lines
    of each product, in position order; each line is handed its allocations (``line.allocations.all()``)."""
    queues: dict[str, deque[list]] = defaultdict(deque)
    for movement in movements:
        queues[movement.product_id].append([movement.warehouse_id, -movement.quantity_delta])
    built: list[OrderLineAllocation] = []
    for line in sorted(lines, key=lambda line: line.position):
        own: dict[str, OrderLineAllocation] = {}
        wanted, queue = line.quantity, queues[line.product_id]
        while wanted:
            warehouse_id, left = queue[0]
            take = min(wanted, left)
            if warehouse_id in own:
                own[warehouse_id].quantity += take
            else:
                own[warehouse_id] = OrderLineAllocation(line=line, warehouse_id=warehouse_id, quantity=take)
            wanted -= take
            queue[0][1] -= take
            if queue[0][1] == 0:
                queue.popleft()
        set_prefetched(line, "allocations", list(own.values()))
        built.extend(own.values())
    return built


def allocations_of(lines: Sequence[OrderLine]) -> dict[int, list[OrderLineAllocation]]:
    """The lines' allocations by line id (one query, or none when they are in memory), in allocation order."""
    unread = [line.pk for line in lines if "allocations" not in getattr(line, "_prefetched_objects_cache", {})]
    read: dict[int, list[OrderLineAllocation]] = defaultdict(list)
    if unread:
        for allocation in OrderLineAllocation.objects.filter(line_id__in=unread).order_by("line_id", "id"):
            read[allocation.line_id].append(allocation)
    return {line.pk: (read[line.pk] if line.pk in unread else list(line.allocations.all())) for line in lines}


def release_placements(lines: Sequence[OrderLine]) -> list[Placement]:
    """What cancelling gives back: each line's allocations, to their warehouses (the allocations are removed)."""
    by_line = allocations_of(lines)
    placements = [Placement(line.product_id, allocation.warehouse_id, allocation.quantity)
                  for line in lines for allocation in by_line[line.pk]]
    OrderLineAllocation.objects.filter(line_id__in=[line.pk for line in lines]).delete()
    for line in lines:
        set_prefetched(line, "allocations", [])
    return placements


def restock_placements(return_: Return, *, warehouse_id: str | None) -> list[Placement]:
    """Where a received return's ``restock`` lines go: into ``warehouse_id`` if named; else into the warehouses
    each line was allocated from, in allocation order, after the units earlier received returns of that line
    already put back there."""
    lines: list[ReturnLine] = [line for line in return_.lines.all() if line.restock]
    if warehouse_id is not None:
        return [Placement(line.product_id, warehouse_id, line.quantity) for line in lines]
    by_line = allocations_of([line.order_line for line in lines])
    earlier = _restocked_before(return_, [line.order_line_id for line in lines])
    placements = []
    for line in lines:
        skip, wanted = earlier.get(line.order_line_id, 0), line.quantity
        for allocation in by_line[line.order_line_id]:
            room = max(allocation.quantity - skip, 0)
            skip = max(skip - allocation.quantity, 0)
            take = min(room, wanted)
            if take:
                placements.append(Placement(line.product_id, allocation.warehouse_id, take))
                wanted -= take
        if wanted:  # nothing allocated left to match (not expected): the first allocation's, or the default, warehouse
            first = by_line[line.order_line_id][:1]
            placements.append(Placement(line.product_id, first[0].warehouse_id if first else warehouse_default().pk,
                                        wanted))
    return placements


def _restocked_before(return_: Return, order_line_ids: list[int]) -> dict[int, int]:
    rows = ReturnLine.objects.filter(
        order_line_id__in=order_line_ids, restock=True,
        sales_return__status__in=(ReturnStatus.RECEIVED, ReturnStatus.CREDITED),
    ).exclude(sales_return_id=return_.pk).values_list("order_line_id", "quantity")
    done: dict[int, int] = defaultdict(int)
    for order_line_id, quantity in rows:
        done[order_line_id] += quantity
    return done
