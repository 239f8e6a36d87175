"""Amending a confirmed order (or a processing one, for what is not shipped yet): new quantities for named
products (0 removes the line; a product not on the order adds a line priced as a draft's: the given
``unit_price``, else the customer's price list today, else the product's price); lines not named stay.

One transaction, in the global lock order: the order with its lines, then every product the amendment changes
with its warehouse stock rows (one statement, ``inventory.services.stock_lock``), then the invoice. Stock moves
by the difference only: an increase is reserved through ``stock_reserve`` (the allocation rule picks the
warehouses), a decrease released through ``stock_release`` from the line's allocations not shipped yet, latest
first. The order is priced again as a draft edit prices it (its own rates, tax settings, discounts and promotion
code), billing rewrites the draft invoice (``order_amended``; 409 ``invoice_issued`` if it is issued), one
history row and one ``order.amended`` event carry the lines before and after."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from integrations.events import publish, publishes_events
from inventory import services as inventory_services
from inventory.models import StockMovement
from inventory.services import Placement
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import quantize

from .. import events, selectors
from ..exceptions import AmendmentBelowShipped, OrderNotAmendable
from ..history import OrderHistory
from ..models import Order, OrderEvent, OrderLine, OrderLineAllocation, OrderStatus, ShipmentLine, set_lines
from ..pricing import charges_of
from ..signals import order_amended
from .discounting import ORDER_DISCOUNT_FIELDS, ListPrices, price_draft
from .drafts import _LINE_PRICED_FIELDS, _PRICED_FIELDS, LineInput, _catalogue, _current_discount, _line, _line_errors

AMEND_PERMISSION = "sales.amend_order"
AMENDABLE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PROCESSING)


@dataclass(frozen=True)
class AmendmentLineInput:
    product_id: str
    quantity: int
    unit_price: Decimal | None = None


def _validate(lines: Sequence[AmendmentLineInput], reason: str) -> None:
    errors: list[dict[str, str]] = []
    if not lines:
        errors.append(field_error("lines", "At least one line is required.", "empty"))
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.product_id in seen:
            errors.append(field_error(f"lines[{index}].product_id",
                                      f"Product {line.product_id} is named twice; give it once.", "duplicate"))
        seen.add(line.product_id)
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 0:
            errors.append(field_error(f"lines[{index}].quantity", "Must be a whole number, 0 or more.", "min_value"))
    if not reason.strip():
        errors.append(field_error("reason", "This field may not be blank.", "blank"))
    if errors:
        raise ValidationFailed(errors=errors)


def _shipped(order: Order) -> dict[tuple[int, str], int]:
    """What left each warehouse of each line: (line id, warehouse id) → units (one statement)."""
    rows = (ShipmentLine.objects.filter(order_line__order_id=order.pk).order_by()
            .values_list("order_line_id", "shipment__warehouse_id").annotate(total=Sum("quantity")))
    return {(line_id, warehouse_id): total for line_id, warehouse_id, total in rows}


def _new_lines(order: Order, wanted: list[tuple[int, AmendmentLineInput]], start: int) -> list[OrderLine]:
    """Lines for products not on the order, priced as a draft's (400 naming the field of a bad one)."""
    if not wanted:
        return []
    products = _catalogue().in_bulk([line.product_id for _index, line in wanted])
    errors = [dict(error, field=error["field"].replace("line_items[", "lines[", 1))
              for index, line in wanted for error in _line_errors(
                  index, LineInput(line.product_id, line.quantity, line.unit_price), products.get(line.product_id),
                  order.currency)]
    priced_elsewhere = [field_error(f"lines[{index}].unit_price", f"Product {line.product_id} is priced in another "
                                    "currency than the order: give its unit_price.", "required")
                        for index, line in wanted if not errors and line.unit_price is None
                        and products[line.product_id].currency != order.currency]
    if errors or priced_elsewhere:
        raise ValidationFailed(errors=errors or priced_elsewhere)
    price_list_id = order.customer.price_list_id
    list_prices = ListPrices.read(price_list_id, currency=order.currency, on=timezone.localdate(),
                                  items=[(line.product_id, line.quantity) for _index, line in wanted])
    return [_line(position, LineInput(line.product_id, line.quantity, line.unit_price),
                  products[line.product_id], list_prices, order.currency)
            for position, (_index, line) in enumerate(wanted, start=start)]


def _plan(order: Order, lines: Sequence[AmendmentLineInput],
          shipped: dict[tuple[int, str], int]) -> tuple[dict[int, int], list[OrderLine]]:
    """The new quantity of each existing line named (by line id), and the new lines. 422
    ``amendment_below_shipped`` for every line asked below what shipped of it."""
    by_product: dict[str, list[OrderLine]] = defaultdict(list)
    for line in order.lines.all():
        by_product[line.product_id].append(line)
    changed: dict[int, int] = {}
    added: list[tuple[int, AmendmentLineInput]] = []
    errors, below = [], []
    for index, asked in enumerate(lines):
        existing = by_product.get(asked.product_id, [])
        if len(existing) > 1:
            errors.append(field_error(f"lines[{index}].product_id", f"Product {asked.product_id} is on several "
                                      "lines of the order; it cannot be amended by product.", "ambiguous"))
        elif existing:
            line, done = existing[0], sum(q for (lid, _wh), q in shipped.items() if lid == existing[0].pk)
            if asked.quantity < done:
                below.append({"product_id": line.product_id, "sku": line.sku, "requested": asked.quantity,
                              "shipped": done})
            elif asked.quantity != line.quantity:
                changed[line.pk] = asked.quantity
        elif asked.quantity == 0:
            errors.append(field_error(f"lines[{index}].product_id",
                                      f"Product {asked.product_id!r} is not on the order.", "not_on_order"))
        else:
            added.append((index, asked))
    if not added and all(changed.get(line.pk, line.quantity) == 0 for line in order.lines.all()):
        errors.append(field_error("lines", "An order keeps at least one line; cancel it instead.", "empty"))
    if errors:
        raise ValidationFailed(errors=errors)
    if below:
        raise AmendmentBelowShipped(below)
    start = max((line.position for line in order.lines.all()), default=0) + 1
    return changed, _new_lines(order, added, start)


def _releases(lines: Sequence[OrderLine], changed: dict[int, int],
              shipped: dict[tuple[int, str], int]) -> tuple[list[Placement], list[OrderLineAllocation]]:
    """What the decreased lines give back, from their allocations not shipped yet (latest first), and the
    allocations as they become (a quantity of 0: to delete)."""
    decreased = [line for line in lines if changed.get(line.pk, line.quantity) < line.quantity]
    allocations = OrderLineAllocation.objects.filter(line__in=decreased).order_by("line_id", "-id") if decreased else []
    by_line: dict[int, list[OrderLineAllocation]] = defaultdict(list)
    for allocation in allocations:
        by_line[allocation.line_id].append(allocation)
    placements, touched = [], []
    for line in decreased:
        give = line.quantity - changed[line.pk]
        for allocation in by_line[line.pk]:
            free = allocation.quantity - shipped.get((line.pk, allocation.warehouse_id), 0)
            take = min(give, max(free, 0))
            if take:
                placements.append(Placement(line.product_id, allocation.warehouse_id, take))
                allocation.quantity -= take
                touched.append(allocation)
                give -= take
    return placements, touched


def _reserve_increases(order: Order, lines: Sequence[OrderLine], changed: dict[int, int],
                       actor: Actor) -> list[StockMovement]:
    """Reserve what the lines grow by (a new line: all of it), one ``reservation`` row per product and warehouse."""
    items = [(line.product_id, changed[line.pk] - line.quantity) for line in lines
             if line.pk in changed and changed[line.pk] > line.quantity]
    items += [(line.product_id, line.quantity) for line in lines if line.pk is None]
    if not items:
        return []
    return inventory_services.stock_reserve(items=items, reference=order.pk, actor=actor,
                                            reason=f"order {order.order_number} amended")


def _record_allocations(order: Order, movements: Sequence[StockMovement], shrunk: list[OrderLineAllocation]) -> None:
    """The allocations as the amendment leaves them: the decreased ones lowered (or removed at 0), the
    reservations added to their line's allocation in that warehouse (or a new one)."""
    OrderLineAllocation.objects.bulk_update([a for a in shrunk if a.quantity], ["quantity"])
    OrderLineAllocation.objects.filter(pk__in=[a.pk for a in shrunk if not a.quantity]).delete()
    if not movements:
        return
    line_of = {line.product_id: line for line in order.lines.all() if line.product_id in
               {m.product_id for m in movements}}
    existing = {(a.line_id, a.warehouse_id): a
                for a in OrderLineAllocation.objects.filter(line__in=list(line_of.values()))}
    new, grown = [], []
    for movement in movements:
        line = line_of[movement.product_id]
        found = existing.get((line.pk, movement.warehouse_id))
        if found is not None:
            found.quantity -= movement.quantity_delta
            grown.append(found)
        else:
            new.append(OrderLineAllocation(line=line, warehouse_id=movement.warehouse_id,
                                           quantity=-movement.quantity_delta))
    OrderLineAllocation.objects.bulk_update(grown, ["quantity"])
    OrderLineAllocation.objects.bulk_create(new)


def _lines_data(lines: Sequence[OrderLine]) -> list[dict[str, Any]]:
    return [{"product_id": line.product_id, "quantity": line.quantity} for line in lines]


@publishes_events
def order_amend(*, order_id: str, lines: Sequence[AmendmentLineInput], reason: str, actor: Actor) -> Order:
    """Amend a confirmed or processing order (see the module). Refused, changing nothing: a closed, cancelled,
    delivered or shipped order (409 ``order_not_amendable``), a bad body (400 naming the field), a line below
    what shipped (422 ``amendment_below_shipped``), short stock (422 ``insufficient_stock``), an issued invoice
    (409 ``invoice_issued``)."""
    require_permission(actor, AMEND_PERMISSION, "Your role may not amend orders.")
    _validate(lines, reason)
    order = selectors.order_lock_with_lines(order_id)
    if order.status not in AMENDABLE_STATUSES:
        raise OrderNotAmendable(current_status=order.status)
    before, lines_before = events.order_data(order), list(order.lines.all())
    quantities_before = _lines_data(lines_before)
    shipped = _shipped(order)
    changed, added = _plan(order, lines, shipped)
    if not changed and not added:
        return order
    inventory_services.stock_lock({line.product_id for line in lines_before if line.pk in changed}
                                  | {line.product_id for line in added})  # products, then stock rows: one statement
    placements, shrunk = _releases(lines_before, changed, shipped)
    movements = _reserve_increases(order, [*lines_before, *added], changed, actor)
    inventory_services.stock_release(placements=placements, reference=order.pk, actor=actor,
                                     reason=f"order {order.order_number} amended")
    _write_lines(order, lines_before, changed, added, actor)
    _record_allocations(order, movements, shrunk)
    order_amended.send(sender=Order, order=order, actor=actor)
    OrderEvent.record(order, kind=OrderEvent.Kind.AMENDED, actor=actor, from_status=order.status,
                      to_status=order.status, reason=reason.strip(),
                      data={OrderHistory.LINES_BEFORE: quantities_before,
                            OrderHistory.LINES_AFTER: _lines_data(list(order.lines.all()))})
    after = events.order_data(order)
    publish("order.amended", object_id=order.pk, obj=after,
            previous_attributes={key: value for key, value in before.items() if after.get(key) != value})
    return order


def _write_lines(order: Order, lines_before: list[OrderLine], changed: dict[int, int], added: list[OrderLine],
                 actor: Actor) -> None:
    """The amended lines priced again as a draft edit prices them, written with the order's totals."""
    kept = [line for line in lines_before if changed.get(line.pk, line.quantity) > 0]
    for line in kept:
        line.quantity = changed.get(line.pk, line.quantity)
        line.line_total = quantize(line.unit_price * line.quantity, order.currency)
    code = order.promotion_code
    price_draft(order, [*kept, *added], charges_of(order), actor=actor, discount=_current_discount(order),
                code=code, code_products=frozenset(code.products.values_list("pk", flat=True)) if code else frozenset(),
                exempt_reason=order.tax_exempt_reason or None)
    OrderLine.objects.filter(pk__in=[pk for pk, quantity in changed.items() if quantity == 0]).delete()
    OrderLine.objects.bulk_update(kept, ["quantity", "line_total", *_LINE_PRICED_FIELDS])
    for line in added:
        line.order = order
    OrderLine.objects.bulk_create(added)
    order.save(update_fields=[*_PRICED_FIELDS, *ORDER_DISCOUNT_FIELDS, "updated_at"])
    set_lines(order, [*kept, *added])
