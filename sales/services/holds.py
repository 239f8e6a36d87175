"""Holds: a disputed order is put on hold and cannot be closed until the hold is released."""

from __future__ import annotations

from django.utils import timezone

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error

from .. import events, selectors
from ..exceptions import HoldConflict
from ..history import OrderHistory
from ..models import Order, OrderEvent

HOLD_PERMISSION = "sales.hold_order"
_HOLD_FIELDS = ["on_hold", "hold_reason", "held_at", "held_by", "updated_at"]


@publishes_events
def order_hold(*, order_id: str, actor: Actor, reason: str) -> Order:
    """Put an order on hold (a dispute): it cannot be closed until released. Closed and cancelled orders
    cannot be held; an order already on hold is refused (409)."""
    require_permission(actor, HOLD_PERMISSION, "Your role may not put orders on hold.")
    if not reason.strip():
        raise ValidationFailed(errors=[field_error("reason", "Say why the order is on hold.", "required")])
    order = selectors.order_get_for_update(order_id)
    if not order.status_allows_hold:
        raise HoldConflict(f"A {order.status} order cannot be put on hold.", code="order_not_holdable",
                           current_status=str(order.status))
    if order.on_hold:
        raise HoldConflict(f"The order is already on hold ({order.hold_reason}).", code="already_on_hold",
                           hold_reason=order.hold_reason)
    order.on_hold, order.hold_reason, order.held_at, order.held_by = True, reason.strip(), timezone.now(), actor
    order.save(update_fields=_HOLD_FIELDS)
    OrderEvent.record(order, kind=OrderEvent.Kind.HELD, actor=actor, from_status=order.status,
                      to_status=order.status, reason=order.hold_reason)
    events.publish_order("order.hold_placed", order, previous={"on_hold": False, "hold_reason": "", "held_at": None})
    return order


@publishes_events
def order_release_hold(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    require_permission(actor, HOLD_PERMISSION, "Your role may not release holds.")
    order = selectors.order_get_for_update(order_id)
    if not order.on_hold:
        raise HoldConflict("The order is not on hold.", code="not_on_hold")
    held_for = order.hold_reason
    order.clear_hold()
    order.save(update_fields=_HOLD_FIELDS)
    OrderEvent.record(order, kind=OrderEvent.Kind.HOLD_RELEASED, actor=actor, from_status=order.status,
                      to_status=order.status, reason=reason, data={OrderHistory.HOLD_REASON: held_for})
    events.publish_order("order.hold_released", order, previous={"on_hold": True, "hold_reason": held_for})
    return order
