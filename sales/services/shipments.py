"""Shipments: an order leaves in parcels, each from one warehouse.

``shipment_create`` ships part of a processing order from one warehouse: at most, per line, what confirmation
allocated there and no earlier shipment took (422 ``shipment_quantity_exceeded``). The order stays
``processing`` with ``fulfilment_status`` ``partially_shipped`` until every unit has shipped; the shipment that
ships the last unit moves it to ``shipped`` (one history row, one ``order.shipped`` event, the order's tracking
number and carrier those of that parcel). The guide's ``PATCH …/status {"status": "shipped"}`` ships the rest at
once, one shipment per warehouse (``shipments_create_for_rest``). ``shipment_deliver`` delivers one parcel; the
order becomes ``delivered`` with its last one; the guide's ``{"status": "delivered"}`` delivers them all
(``shipments_deliver_rest``).

``fulfilment_status``: ``unfulfilled`` (nothing shipped), ``partially_shipped`` (some units shipped, the order
still processing), ``shipped`` (every unit shipped, a parcel still on its way), ``delivered`` (every parcel
delivered). Every change locks the order first (with its lines), then its shipments, as every order change does.
Shipping moves no stock: confirmation already took it out of the warehouse's stock (its allocation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.fsm import invalid_move, refused_move, transition_apply
from synthesq.core.models import set_prefetched

from .. import events, selectors
from ..exceptions import OrderNotShippable, ShipmentInvalidTransition, ShipmentQuantityExceeded
from ..history import OrderHistory, ShipmentHistory
from ..models import (
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
    with_lines,
)
from .moves import order_move_locked

SHIP_PERMISSION = "sales.ship_order"
DELIVER_PERMISSION = "sales.deliver_order"


@dataclass(frozen=True)
class ShipmentLineInput:
    product_id: str
    quantity: int


def require_tracking(*, tracking_number: str, carrier: str) -> None:
    """Both are required to ship (400 naming each one missing)."""
    errors = [field_error(name, "Required to ship an order.", "required")
              for name, value in (("tracking_number", tracking_number), ("carrier", carrier)) if not value]
    if errors:
        raise ValidationFailed("tracking_number and carrier are required to ship.", errors=errors)


def _validate_lines(lines: Sequence[ShipmentLineInput]) -> None:
    if not lines:
        raise ValidationFailed("A shipment needs at least one line.",
                               errors=[field_error("lines", "At least one line is required.", "empty")])
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.product_id in seen:
            errors.append(field_error(f"lines[{index}].product_id",
                                      f"Product {line.product_id} is named twice; give it once.", "duplicate"))
        seen.add(line.product_id)
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 1:
            errors.append(field_error(f"lines[{index}].quantity", "Must be a positive whole number.", "min_value"))
    if errors:
        raise ValidationFailed(errors=errors)


def _build_lines(order: Order, lines: Sequence[ShipmentLineInput], room: dict[int, selectors.LineRoom],
                 warehouse_id: str) -> list[ShipmentLine]:
    """The shipment's lines, each product spread over the order's lines of it (in position order) within what
    each has allocated in the warehouse and not shipped. 400 for a product not on the order or an unknown
    warehouse, 422 ``shipment_quantity_exceeded`` naming every product asked beyond that."""
    order_lines: dict[str, list[OrderLine]] = {}
    for order_line in order.lines.all():
        order_lines.setdefault(order_line.product_id, []).append(order_line)
    unknown = [field_error(f"lines[{index}].product_id", f"Product {line.product_id!r} is not on the order.",
                           "not_on_order")
               for index, line in enumerate(lines) if line.product_id not in order_lines]
    if unknown:
        raise ValidationFailed(errors=unknown)
    exceeded: list[dict[str, Any]] = []
    built: list[ShipmentLine] = []
    for index, line in enumerate(lines):
        candidates = order_lines[line.product_id]
        left = {ol.pk: room[ol.pk].shippable_here for ol in candidates}
        if line.quantity > sum(left.values()):
            exceeded.append({"line": index, "product_id": line.product_id, "sku": candidates[0].sku,
                             "requested": line.quantity, "shippable": sum(left.values())})
            continue
        wanted = line.quantity
        for order_line in candidates:
            take = min(wanted, left[order_line.pk])
            if take:
                built.append(ShipmentLine(order_line=order_line, product_id=order_line.product_id, quantity=take))
                wanted -= take
    if exceeded:
        if not any(r.allocated_here for r in room.values()) and not selectors.warehouse_exists(warehouse_id):
            raise ValidationFailed(errors=[field_error("warehouse_id", f"No warehouse {warehouse_id!r}.",
                                                       "does_not_exist")])
        raise ShipmentQuantityExceeded(warehouse_id=warehouse_id, lines=exceeded)
    return built


def _create(order: Order, *, warehouse_id: str, lines: list[ShipmentLine], tracking_number: str, carrier: str,
            actor: Actor) -> Shipment:
    """Write the shipment, its lines and its history row, and publish ``shipment.created``."""
    shipment = Shipment.objects.create(order=order, warehouse_id=warehouse_id, tracking_number=tracking_number,
                                       carrier=carrier, created_by=actor)
    for position, line in enumerate(lines, start=1):
        line.shipment, line.position = shipment, position
    ShipmentLine.objects.bulk_create(lines)
    set_prefetched(shipment, "lines", lines)
    ShipmentEvent.record(shipment, kind=ShipmentEvent.Kind.CREATED, actor=actor, to_status=shipment.status, data={
        ShipmentHistory.ORDER_ID: order.pk, ShipmentHistory.WAREHOUSE_ID: warehouse_id,
        ShipmentHistory.LINES: [{"product_id": line.product_id, "quantity": line.quantity} for line in lines]})
    events.publish_shipment("shipment.created", shipment)
    return shipment


@publishes_events
def shipment_create(*, order_id: str, warehouse_id: str, lines: Sequence[ShipmentLineInput], tracking_number: str,
                    carrier: str, actor: Actor) -> Shipment:
    """Ship part of a processing order from one warehouse (see the module). Refused, changing nothing: not
    processing (409 ``order_not_shippable``), a missing tracking number or carrier, an empty or repeated line, a
    product not on the order, an unknown warehouse (400), more than is left to ship from the warehouse (422
    ``shipment_quantity_exceeded``)."""
    require_permission(actor, SHIP_PERMISSION, "Your role may not ship orders.")
    tracking = {"tracking_number": (tracking_number or "").strip(), "carrier": (carrier or "").strip()}
    require_tracking(**tracking)
    _validate_lines(lines)
    order, room = selectors.order_lock_for_shipment(order_id, warehouse_id=warehouse_id)
    if order.status != OrderStatus.PROCESSING:
        raise OrderNotShippable(current_status=order.status)
    built = _build_lines(order, lines, room, warehouse_id)
    shipment = _create(order, warehouse_id=warehouse_id, lines=built, actor=actor, **tracking)
    shipped = {line_id: line_room.shipped for line_id, line_room in room.items()}
    for line in built:
        shipped[line.order_line_id] = shipped.get(line.order_line_id, 0) + line.quantity
    if all(shipped.get(line.pk, 0) >= line.quantity for line in order.lines.all()):
        order.fulfilment_status = FulfilmentStatus.SHIPPED
        order_move_locked(order, target=OrderStatus.SHIPPED, actor=actor, transition_kwargs=tracking,
                          data={OrderHistory.TRACKING_NUMBER: tracking["tracking_number"],
                                OrderHistory.CARRIER: tracking["carrier"]})
    else:
        order.fulfilment_status = FulfilmentStatus.PARTIALLY_SHIPPED
        order.save(update_fields=["fulfilment_status", "updated_at"])
    return shipment


def shipments_create_for_rest(order: Order, *, actor: Actor, tracking_number: str, carrier: str) -> list[Shipment]:
    """Within an order's move to shipped (its caller checked the role): ship everything not shipped yet, one
    shipment per warehouse it is allocated in (in warehouse id order), all under one tracking number."""
    made = [_create(order, warehouse_id=warehouse_id, actor=actor, tracking_number=tracking_number, carrier=carrier,
                    lines=[ShipmentLine(order_line=line, product_id=line.product_id, quantity=quantity)
                           for line, quantity in rest])
            for warehouse_id, rest in selectors.order_unshipped(with_lines(order)).items()]
    order.fulfilment_status = FulfilmentStatus.SHIPPED
    return made


_refuse = invalid_move(ShipmentInvalidTransition, selectors.shipment_allowed_statuses)


def _deliver(shipment: Shipment, *, actor: Actor, reason: str) -> None:
    def record(shipment: Shipment, from_status: str) -> ShipmentEvent:
        return ShipmentEvent.record(shipment, kind=ShipmentEvent.Kind.STATUS_CHANGED, actor=actor,
                                    from_status=from_status, to_status=shipment.status, reason=reason)

    from_status, _event = transition_apply(shipment, ShipmentStatus.DELIVERED, actor=actor, invalid=_refuse,
                                           forbidden=refused_move("shipments"), record=record)
    events.publish_shipment("shipment.delivered", shipment, previous={"status": from_status})


def shipments_deliver_rest(order: Order, *, actor: Actor, reason: str = "") -> list[Shipment]:
    """Within an order's move to delivered (its caller checked the role): deliver every parcel still on its way."""
    rest = selectors.order_undelivered_shipments_for_update(order.pk)
    for shipment in rest:
        shipment.order = order
        _deliver(shipment, actor=actor, reason=reason)
    order.fulfilment_status = FulfilmentStatus.DELIVERED
    return rest


@publishes_events
def shipment_deliver(*, shipment_id: str, actor: Actor, reason: str = "") -> Shipment:
    """shipped → delivered for one parcel (409 ``invalid_transition`` if it already is); with the last parcel
    of a shipped order the order is delivered too (its history row, ``order.delivered``)."""
    require_permission(actor, DELIVER_PERMISSION, "Your role may not mark deliveries.")
    shipment = selectors.shipment_get_for_update(shipment_id)
    _deliver(shipment, actor=actor, reason=reason)
    order = shipment.order
    if order.status == OrderStatus.SHIPPED and not selectors.order_undelivered_shipments_for_update(order.pk):
        order_move_locked(with_lines(order), target=OrderStatus.DELIVERED, actor=actor, reason=reason,
                          before=lambda order: setattr(order, "fulfilment_status", FulfilmentStatus.DELIVERED))
    return shipment


@publishes_events
def shipment_change_status(*, shipment_id: str, status: str, actor: Actor, reason: str = "") -> Shipment:
    """Move a shipment to ``status`` (the API's ``PATCH …/status``): only ``delivered`` is a move."""
    if status not in ShipmentStatus.values:
        raise ValidationFailed(errors=[field_error("status", f"Unknown status {status!r}.", "invalid_choice")])
    if status != ShipmentStatus.DELIVERED:  # "shipped": no move leads back to it
        raise _refuse(selectors.shipment_get_for_update(shipment_id), status)
    return shipment_deliver(shipment_id=shipment_id, actor=actor, reason=reason)
