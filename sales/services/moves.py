"""The one skeleton of an order's status change on an order row its caller has locked (with its lines): check
the move is declared from the current status (409 ``invalid_transition``), that the actor's role may make it
(403), its own guard, apply its side effects, transition, save, write the history row, publish the event and send
``order_status_changed`` for other apps (billing) to follow. ``lifecycle`` runs every API move through it; the
shipment services move an order on by themselves (its last unit shipped, its last parcel delivered)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from synthesq.core.actors import Actor
from synthesq.core.fsm import invalid_move, refused_move, save_moved, transition_apply
from synthesq.core.postgres import LaterWrite, write_now

from .. import events, selectors, telemetry
from ..exceptions import InvalidTransition
from ..models import Order, OrderEvent
from ..signals import order_status_changed

refuse_order_move = invalid_move(InvalidTransition, selectors.order_allowed_statuses)


def order_move_locked(order: Order, *, target: str, actor: Actor, reason: str = "",
                      transition_kwargs: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
                      guard: Callable[[Order], None] | None = None,
                      before: Callable[[Order], None] | None = None,
                      save_fields: tuple[str, ...] | None = None, along: Sequence[LaterWrite] = ()) -> Order:
    """Move the locked ``order`` to ``target`` (``transition_apply``) and announce it. With ``save_fields`` (every
    field of the order the move changes besides its status) the order's row is written in those columns only,
    with its history row (``save_moved``: one statement on PostgreSQL), not the ORM's UPDATE of every column.
    ``along`` (filled by ``before``: a confirmation's stock reservation, ready to go with the order's write) is
    sent in that statement with ``save_fields``, else it is written on its own."""

    def record(order: Order, from_status: str) -> OrderEvent:
        def build() -> OrderEvent:
            return OrderEvent.build(order, kind=OrderEvent.Kind.STATUS_CHANGED, actor=actor, from_status=from_status,
                                    to_status=order.status, reason=reason, data=data)

        for write in along[1:] if save_fields is not None else along:  # what the order's statement does not carry
            write_now(write)
        if save_fields is None:  # transition_apply saved the order
            row = build()
            row.save(force_insert=True)
            return row
        # the order's row (its status and these fields only) with its history row and the write
        return save_moved(order, fields=save_fields, from_status=from_status, record=build,
                          along=along[0] if along else None)

    from_status, event = transition_apply(order, target, actor=actor, invalid=refuse_order_move,
                                          forbidden=refused_move("orders"), record=record, guard=guard,
                                          before=before, arguments=transition_kwargs, save=save_fields is None)
    events.publish_order_moved(order, from_status)
    order_status_changed.send(sender=Order, order=order, from_status=from_status, to_status=order.status,
                              actor=actor, event=event)
    telemetry.order_moved(order_id=order.pk, order_number=order.order_number, from_status=from_status,
                          to_status=order.status, actor_id=getattr(actor, "pk", None))
    return order
