"""The allocation rule: which warehouses an order's stock is reserved from. Pure: it reads no rows and writes none.

Given what each product needs and what each active warehouse holds of it:

1. **One parcel.** If one warehouse holds enough of every product, it supplies the whole order: the first such
   warehouse by priority.
2. **By priority.** Otherwise each product comes from one warehouse if one holds enough of it: the first such by
   priority (a product is never split when it need not be).
3. **Split.** Otherwise the product is taken from the warehouses in priority order, each giving what it holds,
   until the quantity is reached.

"By priority" is by ``Warehouse.priority`` (smaller first), then by ``code``, then by id: one total order. Inactive
warehouses are never allocated from. The rule is all or nothing: if any product is short across all active
warehouses, nothing is allocated and every short product is named (``Shortage``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Source:
    """What one active warehouse holds of one product; sorts by the allocation order."""

    priority: int
    code: str
    warehouse_id: str
    available: int


@dataclass(frozen=True)
class Shortage:
    product_id: str
    requested: int
    available: int  # what all active warehouses together hold
    available_by_warehouse: tuple[tuple[str, int], ...]


Plan = dict[str, list[tuple[str, int]]]  # product id → [(warehouse id, quantity)], in allocation order


def _one_parcel(wanted: Mapping[str, int], sources: Mapping[str, Sequence[Source]]) -> Plan | None:
    warehouses = sorted({(s.priority, s.code, s.warehouse_id) for rows in sources.values() for s in rows})
    for _priority, _code, warehouse_id in warehouses:
        held = {pk: next((s.available for s in sources.get(pk, ()) if s.warehouse_id == warehouse_id), 0)
                for pk in wanted}
        if all(held[pk] >= quantity for pk, quantity in wanted.items()):
            return {pk: [(warehouse_id, quantity)] for pk, quantity in wanted.items()}
    return None


def _one_product(quantity: int, sources: Sequence[Source]) -> list[tuple[str, int]]:
    whole = next((s for s in sorted(sources) if s.available >= quantity), None)
    if whole is not None:
        return [(whole.warehouse_id, quantity)]
    taken: list[tuple[str, int]] = []
    for source in sorted(sources):
        if quantity == 0:
            break
        take = min(source.available, quantity)
        if take > 0:
            taken.append((source.warehouse_id, take))
            quantity -= take
    return taken


def allocate(wanted: Mapping[str, int], sources: Mapping[str, Sequence[Source]]) -> Plan | list[Shortage]:
    """The plan for ``wanted`` (product id → quantity, each > 0) from ``sources`` (product id → the active
    warehouses' stock of it), or every shortage when the warehouses together do not hold enough."""
    short = []
    for pk, quantity in sorted(wanted.items()):
        rows = sources.get(pk, ())
        total = sum(s.available for s in rows)
        if total < quantity:
            short.append(Shortage(pk, quantity, total, tuple((s.warehouse_id, s.available) for s in sorted(rows))))
    if short:
        return short
    plan = _one_parcel(wanted, sources)
    if plan is not None:
        return plan
    return {pk: _one_product(quantity, sources.get(pk, ())) for pk, quantity in wanted.items()}
