"""Status changes of orders. Each runs in one transaction with the order row locked: check that the move
is declared from the current status (409 ``invalid_transition``), that the actor's role may make it
(``may_move``, 403), the move's own guard (specific refusals such as ``order_on_hold``), then apply its side
effects (stock reservation or release), call the django-fsm transition, save, write the history row and
send ``order_status_changed`` for other apps (billing) to follow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from integrations.events import count_last, publishes_events
from inventory import services as inventory_services
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.postgres import LaterWrite

from .. import selectors
from ..exceptions import OrderOnHold, ReturnOpen, ReturnWindowOpen
from ..history import OrderHistory
from ..models import Order, OrderStatus, with_lines
from . import shipments
from .allocations import allocations_from_reservation, release_placements
from .moves import order_move_locked, refuse_order_move
from .promotions import promotion_code_give_back, promotion_code_use

_refuse = refuse_order_move


def _move(order_id: str, *, target: str, actor: Actor, reason: str = "",
          transition_kwargs: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
          guard: Callable[[Order], None] | None = None, before: Callable[[Order], None] | None = None,
          save_fields: tuple[str, ...] | None = None, along: Sequence[LaterWrite] = ()) -> Order:
    """Lock the order with its lines (the response and the events render them), then ``order_move_locked``."""
    return order_move_locked(selectors.order_lock_with_lines(order_id), target=target, actor=actor, reason=reason,
                             transition_kwargs=transition_kwargs, data=data, guard=guard, before=before,
                             save_fields=save_fields, along=along)


def _stock_items(order: Order) -> list[tuple[str, int]]:
    with_lines(order)
    return [(line.product_id, line.quantity) for line in order.lines.all()]


@publishes_events
def order_confirm(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    """draft → confirmed: reserve stock for every line from the warehouses the allocation rule picks (all or
    nothing: 422 ``insufficient_stock``), recording each line's allocations in the same statement; then count the
    use of its promotion code (422 ``promotion_code_exhausted`` …, see ``promotion_code_use``), as the change's
    last write where it can (``count_last``: the code's row, which every order carrying the code counts, locked
    only from the last statement to the commit)."""

    later: list[LaterWrite] = []  # the reservation's write, sent with the order's (PostgreSQL)

    def reserve(order: Order) -> None:
        lines = list(order.lines.all())
        inventory_services.stock_reserve(
            items=_stock_items(order), reference=order.pk, actor=actor, reason=f"order {order.order_number}",
            companions=lambda movements: allocations_from_reservation(lines, movements), later=later,
        )
        increment = promotion_code_use(order, deferred=True)
        if increment is not None:
            count_last(increment)

    # The order's row changes in its status, ``confirm``'s ``confirmed_at`` and ``updated_at`` only (the
    # reservation and the code's use write other rows): the UPDATE writes those, not every column.
    return _move(order_id, target=OrderStatus.CONFIRMED, actor=actor, reason=reason, before=reserve,
                 save_fields=("confirmed_at", "updated_at"), along=later)


@publishes_events
def order_start_processing(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    return _move(order_id, target=OrderStatus.PROCESSING, actor=actor, reason=reason)


@publishes_events
def order_ship(*, order_id: str, actor: Actor, tracking_number: str, carrier: str, reason: str = "") -> Order:
    """processing → shipped (the guide's call): everything not shipped yet leaves, one shipment per warehouse it
    is allocated in, all under this tracking number and carrier."""
    tracking = {"tracking_number": (tracking_number or "").strip(), "carrier": (carrier or "").strip()}
    data: dict[str, Any] = {OrderHistory.TRACKING_NUMBER: tracking["tracking_number"],
                            OrderHistory.CARRIER: tracking["carrier"]}

    def ship_the_rest(order: Order) -> None:
        shipments.require_tracking(**tracking)
        shipments.shipments_create_for_rest(order, actor=actor, **tracking)

    return _move(order_id, target=OrderStatus.SHIPPED, actor=actor, reason=reason, before=ship_the_rest,
                 transition_kwargs=tracking, data=data)


@publishes_events
def order_deliver(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    """shipped → delivered (the guide's call): every shipment not delivered yet is delivered with it."""

    def deliver_the_rest(order: Order) -> None:
        shipments.shipments_deliver_rest(order, actor=actor, reason=reason)

    return _move(order_id, target=OrderStatus.DELIVERED, actor=actor, reason=reason, before=deliver_the_rest)


@publishes_events
def order_close(
    *,
    order_id: str,
    actor: Actor,
    reason: str = "",
    waive_return_window: bool = False,
    as_of: datetime | None = None,
    return_window_days: int | None = None,
) -> Order:
    """delivered → closed, once no hold is on it (409 ``order_on_hold``), no return is requested or received
    (409 ``return_open``) and its return window has passed
    (409 ``return_window_open``), unless ``waive_return_window`` (permission ``sales.waive_return_window``,
    recorded in the history). The invoice is issued if still a draft (billing follows the signal)."""
    data: dict[str, Any] = {}

    def guard(order: Order) -> None:
        if order.on_hold:
            raise OrderOnHold(hold_reason=order.hold_reason)
        open_returns = selectors.order_open_return_numbers(order.pk)
        if open_returns:
            raise ReturnOpen(return_numbers=open_returns)
        ends_at = order.return_window_ends_at(return_window_days=return_window_days)
        if ends_at is None or ends_at <= (as_of or timezone.now()):
            return
        if not waive_return_window:
            raise ReturnWindowOpen(return_window_ends_at=ends_at)
        require_permission(actor, "sales.waive_return_window", "Your role may not waive the return window.")
        data.update({OrderHistory.RETURN_WINDOW_WAIVED: True, OrderHistory.RETURN_WINDOW_ENDS_AT: ends_at.isoformat(),
                     OrderHistory.WAIVED_BY: getattr(actor, "username", None)})

    return _move(order_id, target=OrderStatus.CLOSED, actor=actor, reason=reason, guard=guard, data=data)


@publishes_events
def order_cancel(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    """draft or confirmed → cancelled; stock reserved at confirmation is released to the warehouses it was
    allocated from."""

    def release(order: Order) -> None:
        if order.on_hold:  # a cancelled order has nothing left to dispute: the hold ends with it
            data[OrderHistory.HOLD_RELEASED] = order.hold_reason
            order.clear_hold()
        if order.status == OrderStatus.CONFIRMED:
            inventory_services.stock_release(
                placements=release_placements(list(with_lines(order).lines.all())), reference=order.pk, actor=actor,
                reason=f"order {order.order_number} cancelled",
            )
            promotion_code_give_back(order)

    data: dict[str, Any] = {}
    return _move(order_id, target=OrderStatus.CANCELLED, actor=actor, reason=reason,
                 transition_kwargs={"reason": reason}, before=release, data=data)


# The fields a move takes besides ``status`` and ``reason``, by target.
_FIELDS_BY_TARGET: dict[str, set[str]] = {
    OrderStatus.SHIPPED: {"tracking_number", "carrier"},
    OrderStatus.CLOSED: {"waive_return_window"},
}
_TARGET_OF_FIELD = {field: str(target) for target, fields in _FIELDS_BY_TARGET.items() for field in fields}
_SIMPLE_MOVES: dict[str, Callable[..., Order]] = {
    OrderStatus.CONFIRMED: order_confirm,
    OrderStatus.PROCESSING: order_start_processing,
    OrderStatus.DELIVERED: order_deliver,
    OrderStatus.CANCELLED: order_cancel,
}


def _refuse_stray_fields(status: str, *, tracking_number: str | None, carrier: str | None,
                         waive_return_window: bool) -> None:
    given = {name for name, value in (("tracking_number", tracking_number), ("carrier", carrier))
             if value is not None}
    if waive_return_window:
        given.add("waive_return_window")
    stray = given - _FIELDS_BY_TARGET.get(status, set())
    if stray:
        raise ValidationFailed(errors=[
            field_error(name, f"Only allowed with status {_TARGET_OF_FIELD[name]!r}.", "not_allowed")
            for name in sorted(stray)
        ])


@publishes_events
def order_transition(
    *,
    order_id: str,
    status: str,
    actor: Actor,
    reason: str = "",
    tracking_number: str | None = None,
    carrier: str | None = None,
    waive_return_window: bool = False,
) -> Order:
    """Move an order to ``status`` (the API's ``PATCH …/status``), dispatching to the named service."""
    if status not in OrderStatus.values:
        raise ValidationFailed(errors=[field_error("status", f"Unknown status {status!r}.", "invalid_choice")])
    _refuse_stray_fields(status, tracking_number=tracking_number, carrier=carrier,
                         waive_return_window=waive_return_window)
    if status == OrderStatus.SHIPPED:
        return order_ship(order_id=order_id, actor=actor, tracking_number=tracking_number or "",
                          carrier=carrier or "", reason=reason)
    if status == OrderStatus.CLOSED:
        return order_close(order_id=order_id, actor=actor, reason=reason, waive_return_window=waive_return_window)
    service = _SIMPLE_MOVES.get(status)
    if service is None:  # "draft": no move leads back to draft
        raise _refuse(selectors.order_get_for_update(order_id), status)
    return service(order_id=order_id, actor=actor, reason=reason)
