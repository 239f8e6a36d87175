"""Stock changes: adjustments and transfers (staff), reservations, releases and returns (orders). Each locks the
products and their warehouse stock rows in the global order (``stock_rows``), checks availability per warehouse,
and writes the warehouse rows, the products' sums and the ledger together, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db.models import Model
from ulid import ULID

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.postgres import LaterWrite

from .. import events
from ..allocation import Source, allocate
from ..exceptions import InsufficientStock, ShortLine
from ..models import Product, StockMovement, Warehouse
from .stock_rows import (
    STOCK_MAX,
    LockedStock,
    Placement,
    products_check,
    quantities_by_product,
    stock_lock,
    stock_lock_placements,
    stock_write,
    warehouse_default,
)


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed("A reason is required.", errors=[field_error("reason", "This field may not be blank.",
                                                                            "blank")])
    return reason.strip()


def _short_in(locked: LockedStock, product_id: str, warehouse_id: str, requested: int) -> InsufficientStock:
    product = locked.products[product_id]
    held = locked.rows[(product_id, warehouse_id)].quantity
    return InsufficientStock([ShortLine(product_id=product_id, requested=requested, available=held, sku=product.sku,
                                        name=product.name, available_by_warehouse=((warehouse_id, held),))])


@publishes_events
def stock_adjust(*, product: Product, quantity_delta: int, reason: str, actor: Actor,
                 warehouse: Warehouse | None = None) -> StockMovement:
    """A manual correction (cycle count, damage, receipt of goods) in ``warehouse`` (default: the default
    warehouse). Refused if that warehouse's stock would go below zero."""
    require_permission(actor, "inventory.adjust_stock", "Your role may not adjust stock.")
    if quantity_delta == 0:
        raise ValidationFailed("quantity_delta must not be zero.",
                               errors=[field_error("quantity_delta", "Must not be zero.", "invalid")])
    reason = _require_reason(reason)
    warehouse = warehouse or warehouse_default()
    locked = stock_lock_placements([Placement(product.pk, warehouse.pk, abs(quantity_delta))])
    if locked.rows[(product.pk, warehouse.pk)].quantity + quantity_delta < 0:
        raise _short_in(locked, product.pk, warehouse.pk, -quantity_delta)
    if locked.products[product.pk].stock_quantity + quantity_delta > STOCK_MAX:
        raise ValidationFailed(f"Stock cannot exceed {STOCK_MAX}.", errors=[
            field_error("quantity_delta", f"Stock would exceed {STOCK_MAX}.", "max_value")])
    [movement] = stock_write(locked, [Placement(product.pk, warehouse.pk, quantity_delta)],
                             kind=StockMovement.Kind.ADJUSTMENT, reference="", reason=reason, actor=actor,
                             announce=lambda rows: events.publish_stock_adjusted(rows[0]))
    return movement


@publishes_events
def stock_transfer(*, product: Product, from_warehouse: Warehouse, to_warehouse: Warehouse, quantity: int,
                   reason: str, actor: Actor) -> list[StockMovement]:
    """Move ``quantity`` units of a product from one warehouse to another: two ``transfer`` ledger rows (out, in)
    sharing one ``trf_…`` reference, in one transaction. The product's stock does not change."""
    require_permission(actor, "inventory.transfer_stock", "Your role may not transfer stock.")
    if quantity <= 0:
        raise ValidationFailed(errors=[field_error("quantity", "Must be a positive whole number.", "min_value")])
    if from_warehouse.pk == to_warehouse.pk:
        raise ValidationFailed(errors=[field_error("to_warehouse_id", "Must differ from from_warehouse_id.",
                                                   "invalid")])
    reason = _require_reason(reason)
    locked = stock_lock_placements([Placement(product.pk, from_warehouse.pk, quantity),
                                    Placement(product.pk, to_warehouse.pk, quantity)])
    if locked.rows[(product.pk, from_warehouse.pk)].quantity < quantity:
        raise _short_in(locked, product.pk, from_warehouse.pk, quantity)
    out_first = sorted([Placement(product.pk, from_warehouse.pk, -quantity),
                        Placement(product.pk, to_warehouse.pk, quantity)], key=lambda p: p.quantity)
    return stock_write(locked, out_first, kind=StockMovement.Kind.TRANSFER, reference=f"trf_{ULID()}",
                       reason=reason, actor=actor, announce=events.publish_stock_transferred)


def _sources(locked: LockedStock) -> dict[str, list[Source]]:
    return {pk: [Source(row.warehouse.priority, row.warehouse.code, row.warehouse_id, row.quantity)
                 for row in locked.rows_of(pk) if row.warehouse.is_active] for pk in locked.products}


@publishes_events
def stock_reserve(
    *, items: Iterable[tuple[str, int]], reference: str, actor: Actor, reason: str = "",
    companions: Callable[[list[StockMovement]], Sequence[Model]] | None = None,
    later: list[LaterWrite] | None = None,
) -> list[StockMovement]:
    """Reserve stock for ``items`` of (product_id, quantity) from the warehouses the allocation rule picks
    (``inventory.allocation``): one ``reservation`` ledger row per product and warehouse. All or nothing: if any
    product is short across the active warehouses, ``InsufficientStock`` lists every short product and nothing is
    reserved. ``companions`` builds, from the ledger rows, the rows the caller keeps with the reservation (an
    order's allocations), written in the same statement; with ``later``, that statement is added to it for the
    caller's next one to carry (``stock_write``)."""
    wanted = quantities_by_product(items)
    if not wanted:
        return []
    locked = stock_lock(wanted)  # ONE statement: every product and warehouse stock row of the order
    unheld = set(wanted) - set(locked.products)
    named = {**products_check(unheld), **locked.products} if unheld else locked.products
    plan = allocate(wanted, _sources(locked))
    if isinstance(plan, list):
        raise InsufficientStock([
            ShortLine(product_id=s.product_id, requested=s.requested, available=s.available,
                      sku=named[s.product_id].sku, name=named[s.product_id].name,
                      available_by_warehouse=s.available_by_warehouse) for s in plan])
    changes = [Placement(pk, warehouse_id, -quantity) for pk, taken in plan.items() for warehouse_id, quantity in taken]
    return stock_write(locked, changes, kind=StockMovement.Kind.RESERVATION, reference=reference, reason=reason,
                       actor=actor, companions=companions, later=later)


def _placements(items: Iterable[tuple[str, int]], placements: Iterable[Placement]) -> list[Placement]:
    """``placements`` and ``items`` (into the default warehouse), merged by product and warehouse."""
    placements = list(placements)
    wanted = quantities_by_product(items)
    if wanted:
        default = warehouse_default().pk
        placements += [Placement(pk, default, quantity) for pk, quantity in wanted.items()]
    merged: dict[tuple[str, str], int] = {}
    for placement in placements:
        if placement.quantity <= 0:
            raise ValidationFailed("Quantities must be positive.")
        key = (placement.product_id, placement.warehouse_id)
        merged[key] = merged.get(key, 0) + placement.quantity
    return [Placement(pk, wh, quantity) for (pk, wh), quantity in sorted(merged.items())]


def _put_back(placements: list[Placement], *, kind: str, reference: str, actor: Actor,
              reason: str) -> list[StockMovement]:
    if not placements:
        return []
    locked = stock_lock_placements(placements)
    over = sorted({p.product_id for p in placements
                   if locked.products[p.product_id].stock_quantity + p.quantity > STOCK_MAX})
    if over:
        raise ValidationFailed(f"Stock cannot exceed {STOCK_MAX}: {', '.join(over)}.")
    return stock_write(locked, placements, kind=kind, reference=reference, reason=reason, actor=actor)


@publishes_events
def stock_release(
    *, items: Iterable[tuple[str, int]] = (), placements: Iterable[Placement] = (), reference: str, actor: Actor,
    reason: str = "",
) -> list[StockMovement]:
    """Give back reserved stock (e.g. on cancellation of a confirmed order) to the warehouses it was reserved
    from (``placements``; plain ``items`` go to the default warehouse): one ``release`` row per product and
    warehouse."""
    return _put_back(_placements(items, placements), kind=StockMovement.Kind.RELEASE, reference=reference,
                     actor=actor, reason=reason)


@publishes_events
def stock_return(
    *, items: Iterable[tuple[str, int]] = (), placements: Iterable[Placement] = (), reference: str, actor: Actor,
    reason: str = "",
) -> list[StockMovement]:
    """Put goods a customer sent back into stock (a received return) in the warehouses named by ``placements``
    (plain ``items``: the default warehouse), one ``return`` ledger row per product and warehouse."""
    return _put_back(_placements(items, placements), kind=StockMovement.Kind.RETURN, reference=reference,
                     actor=actor, reason=reason)
