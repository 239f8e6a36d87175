"""Returns (RMAs): goods a customer sends back once they were delivered.

Every change runs in one transaction that locks the order row first, then the return (the fixed order: order →
return → invoice → payment; products by primary key). Requesting checks the order's goods have been delivered (the
delivered parcels of a processing or shipped order, all of a delivered one), inside its return window (finance may
waive it, recorded) and that no line is asked back beyond what was delivered minus what requested, received and
credited returns already claim: the order lock serialises concurrent requests, so they cannot over-claim a line
together. ``requested → received`` puts the ``restock`` lines back into stock (a ``return`` row in the stock ledger
each); ``received → credited`` sends ``return_credited`` for billing to issue the credit note in the same
transaction; ``requested → rejected`` records why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from integrations.events import publishes_events
from inventory import services as inventory_services
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.fsm import invalid_move, refused_move, transition_apply
from synthesq.core.money import quantize
from synthesq.core.sequences import sequence_next

from .. import events, selectors
from ..exceptions import (
    OrderNotReturnable,
    ReturnInvalidTransition,
    ReturnQuantityExceeded,
    ReturnWindowClosed,
)
from ..history import ReturnHistory
from ..models import (
    Order,
    OrderLine,
    OrderStatus,
    Return,
    ReturnEvent,
    ReturnLine,
    ReturnStatus,
    return_with_lines,
    with_lines,
)
from ..signals import return_credited, return_requested
from .allocations import restock_placements

RETURN_SEQUENCE = "return"
WAIVE_PERMISSION = "sales.waive_return_window"
REQUEST_PERMISSION = "sales.add_return"
# Orders whose goods the customer has (partly) received: a processing or shipped one for what its delivered
# shipments carried, a delivered one for all of it.
RETURNABLE_STATUSES = (OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class ReturnLineInput:
    product_id: str
    quantity: int
    restock: bool = True


def _validate_lines(lines: Sequence[ReturnLineInput]) -> None:
    if not lines:
        raise ValidationFailed("A return needs at least one line.",
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


def _check_window(order: Order, *, waive: bool) -> bool:
    """Refuse a request after the return window unless waived; True when the waiver was used."""
    ends_at = order.return_window_ends_at()
    if ends_at is None or timezone.now() < ends_at:
        return False
    if not waive:
        raise ReturnWindowClosed(return_window_ends_at=ends_at)
    return True


def _build_lines(order: Order, lines: Sequence[ReturnLineInput], shipped: dict[int, int] | None) -> list[ReturnLine]:
    """The return's lines, each requested product spread over the order's lines of that product (in position
    order) within what they have left to return: what shipped and was delivered (``shipped``, per order line;
    None: all of it, the order is delivered) minus what returns claim. 400 for a product not on the order, 422
    ``return_quantity_exceeded`` naming every line asked beyond what is left."""
    order_lines: dict[str, list[OrderLine]] = {}
    for order_line in with_lines(order).lines.all():
        order_lines.setdefault(order_line.product_id, []).append(order_line)
    unknown = [field_error(f"lines[{index}].product_id", f"Product {line.product_id!r} is not on the order.",
                           "not_on_order")
               for index, line in enumerate(lines) if line.product_id not in order_lines]
    if unknown:
        raise ValidationFailed(errors=unknown)
    claimed = selectors.returned_quantities(order_id=order.pk)
    exceeded: list[dict[str, Any]] = []
    built: list[ReturnLine] = []
    for index, line in enumerate(lines):
        candidates = order_lines[line.product_id]
        left = {ol.pk: (ol.quantity if shipped is None else shipped.get(ol.pk, 0)) - claimed.get(ol.pk, 0)
                for ol in candidates}
        returnable = sum(max(0, value) for value in left.values())
        if line.quantity > returnable:
            exceeded.append({"line": index, "product_id": line.product_id, "sku": candidates[0].sku,
                             "requested": line.quantity, "returnable": returnable})
            continue
        wanted = line.quantity
        for order_line in candidates:
            take = min(wanted, max(0, left[order_line.pk]))
            if take:
                built.append(ReturnLine(
                    order_line=order_line, product_id=order_line.product_id, quantity=take,
                    unit_price=order_line.unit_price, line_total=quantize(order_line.unit_price * take, order.currency),
                    restock=line.restock,
                ))
                wanted -= take
            if not wanted:
                break
    if exceeded:
        raise ReturnQuantityExceeded(exceeded)
    for position, return_line in enumerate(built, start=1):
        return_line.position = position
    return built


@publishes_events
def return_request(
    *,
    order_id: str,
    lines: Sequence[ReturnLineInput],
    reason: str = "",
    waive_return_window: bool = False,
    actor: Actor,
) -> Return:
    """Record a customer's return of delivered goods (status ``requested``), numbered ``RMA-00000001`` from a gap-free
    counter taken in this transaction. Refused: nothing delivered, or closed (409 ``order_not_returnable``),
    window passed (409 ``return_window_closed``; ``waive_return_window`` needs ``sales.waive_return_window``,
    else 403), a product not on the order (400), more than is left to return (422 ``return_quantity_exceeded``),
    and what billing could never credit (``return_requested``: 409 ``invoice_not_creditable``, 422
    ``credit_exceeds_invoice``)."""
    require_permission(actor, REQUEST_PERMISSION, "Your role may not request returns.")
    if waive_return_window:
        require_permission(actor, WAIVE_PERMISSION, "Your role may not waive the return window.")
    _validate_lines(lines)
    order = selectors.order_get_for_update(order_id)
    if order.status not in RETURNABLE_STATUSES:
        raise OrderNotReturnable(current_status=order.status)
    shipped = (None if order.status == OrderStatus.DELIVERED
               else selectors.shipped_quantities(order_id=order.pk, delivered=True))
    if shipped is not None and not any(shipped.values()):
        raise OrderNotReturnable(current_status=order.status)
    waived = _check_window(order, waive=waive_return_window)
    return_lines = _build_lines(order, lines, shipped)
    value = quantize(sum((line.line_total for line in return_lines), Decimal(0)), order.currency)
    return_ = Return.objects.create(
        return_number=f"RMA-{sequence_next(RETURN_SEQUENCE):08d}", order=order, reason=(reason or "").strip(),
        return_window_waived=waived, currency=order.currency, value=value, created_by=actor,
    )
    for return_line in return_lines:
        return_line.sales_return = return_
    ReturnLine.objects.bulk_create(return_lines)
    return_with_lines(return_)
    return_requested.send(sender=Return, return_=return_, actor=actor)
    data: dict[str, Any] = {ReturnHistory.ORDER_ID: order.pk, ReturnHistory.LINES: len(return_lines),
                            ReturnHistory.VALUE: str(value)}
    if waived:
        ends_at = order.return_window_ends_at()
        data.update({ReturnHistory.RETURN_WINDOW_WAIVED: True,
                     ReturnHistory.RETURN_WINDOW_ENDS_AT: ends_at.isoformat() if ends_at else None,
                     ReturnHistory.WAIVED_BY: getattr(actor, "username", None)})
    ReturnEvent.record(return_, kind=ReturnEvent.Kind.REQUESTED, actor=actor, to_status=return_.status,
                       reason=return_.reason, data=data)
    events.publish_return("return.requested", return_)
    return return_


_refuse = invalid_move(ReturnInvalidTransition, selectors.return_allowed_statuses)


def _move(return_id: str, *, target: str, actor: Actor, reason: str = "",
          transition_kwargs: dict[str, Any] | None = None, before: Callable[[Return], None] | None = None,
          after: Callable[[Return], None] | None = None) -> Return:
    """Lock the order then the return, check the move exists from here (409 ``invalid_transition``) and the
    actor's role may make it (403), apply ``before`` side effects, transition, save, record
    (``transition_apply``), let ``after`` followers act (billing, in this transaction) and announce."""
    return_ = selectors.return_get_for_update(return_id)

    def prepare(return_: Return) -> None:
        return_with_lines(return_)
        if before is not None:
            before(return_)

    def record(return_: Return, from_status: str) -> ReturnEvent:
        return ReturnEvent.record(return_, kind=ReturnEvent.Kind.STATUS_CHANGED, actor=actor,
                                  from_status=from_status, to_status=return_.status, reason=reason)

    from_status, _event = transition_apply(return_, target, actor=actor, invalid=_refuse,
                                           forbidden=refused_move("returns"), record=record, before=prepare,
                                           arguments=transition_kwargs)
    if after is not None:
        after(return_)
    events.publish_return(f"return.{return_.status}", return_, previous={"status": str(from_status)})
    return return_


@publishes_events
def return_receive(*, return_id: str, actor: Actor, reason: str = "", warehouse_id: str | None = None) -> Return:
    """requested → received (warehouse): every ``restock`` line goes back into stock, into ``warehouse_id`` if
    given, else into the warehouse its order line was allocated from; a ``return`` row per product and warehouse
    in the stock ledger."""

    def restock(return_: Return) -> None:
        inventory_services.stock_return(placements=restock_placements(return_, warehouse_id=warehouse_id),
                                        reference=return_.pk, actor=actor, reason=f"return {return_.return_number}")

    return _move(return_id, target=ReturnStatus.RECEIVED, actor=actor, reason=reason, before=restock)


@publishes_events
def return_credit(*, return_id: str, actor: Actor, reason: str = "") -> Return:
    """received → credited (finance): ``return_credited`` lets billing issue the credit note for the return's
    value in this transaction; its refusal refuses the whole change."""

    def announce(return_: Return) -> None:
        return_credited.send(sender=Return, return_=return_, actor=actor)

    return _move(return_id, target=ReturnStatus.CREDITED, actor=actor, reason=reason, after=announce)


@publishes_events
def return_reject(*, return_id: str, reason: str, actor: Actor) -> Return:
    """requested → rejected (sales or finance), with a reason; its quantities can be returned again."""
    reason = (reason or "").strip()

    def require_reason(return_: Return) -> None:
        if not reason:
            raise ValidationFailed("Say why the return is rejected.",
                                   errors=[field_error("reason", "Required to reject a return.", "required")])

    return _move(return_id, target=ReturnStatus.REJECTED, actor=actor, reason=reason, before=require_reason,
                 transition_kwargs={"reason": reason})


_MOVES: dict[str, Callable[..., Return]] = {
    ReturnStatus.RECEIVED: return_receive,
    ReturnStatus.CREDITED: return_credit,
    ReturnStatus.REJECTED: return_reject,
}


@publishes_events
def return_change_status(*, return_id: str, status: str, actor: Actor, reason: str = "",
                         warehouse_id: str | None = None) -> Return:
    """Move a return to ``status`` (the API's ``PATCH …/status``), dispatching to the named service;
    ``warehouse_id`` (with ``received`` only) names where the goods go back."""
    if status not in ReturnStatus.values:
        raise ValidationFailed(errors=[field_error("status", f"Unknown status {status!r}.", "invalid_choice")])
    if warehouse_id is not None and status != ReturnStatus.RECEIVED:
        raise ValidationFailed(errors=[field_error("warehouse_id", "Only allowed with status 'received'.",
                                                   "not_allowed")])
    service = _MOVES.get(status)
    if service is None:  # "requested": no move leads back to it
        raise _refuse(selectors.return_get_for_update(return_id), status)
    if warehouse_id is not None:
        return return_receive(return_id=return_id, actor=actor, reason=reason, warehouse_id=warehouse_id)
    return service(return_id=return_id, actor=actor, reason=reason)
