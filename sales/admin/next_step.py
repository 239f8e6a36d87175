"""What comes next for an order, and who takes it, in staff's words: "Delivered 28 Nov — finance can close it after
28 Dec 2026, 14:05". Built from ``selectors.order_next_step`` (the state machine's moves and the roles allowed to
make them), so it follows the lifecycle and the role map rather than restating them."""

from __future__ import annotations

from django.utils import dateformat, timezone

from synthesq.core.admin_tools import local_minute

from ..models import OrderStatus
from ..selectors import NextStep

DOING = {
    OrderStatus.DRAFT: "Draft since", OrderStatus.CONFIRMED: "Confirmed", OrderStatus.PROCESSING: "Being picked since",
    OrderStatus.SHIPPED: "Shipped", OrderStatus.DELIVERED: "Delivered", OrderStatus.CLOSED: "Closed",
    OrderStatus.CANCELLED: "Cancelled",
}
VERBS = {
    OrderStatus.CONFIRMED: "confirm it (reserving stock)", OrderStatus.PROCESSING: "pick it",
    OrderStatus.SHIPPED: "ship it with a tracking number and carrier", OrderStatus.DELIVERED: "mark it delivered",
    OrderStatus.CLOSED: "close it", OrderStatus.CANCELLED: "cancel it",
}


def _who(roles: tuple[str, ...]) -> str:
    return " or ".join(roles) or "an administrator"


def next_step_text(step: NextStep) -> str:
    since = dateformat.format(timezone.localtime(step.since), "j M") if step.since else ""
    where = f"{DOING[OrderStatus(step.status)]} {since}".strip()
    if not step.moves:
        return f"{where} — nothing left to do."
    if step.on_hold:
        closing = [m for m in step.moves if m.status == OrderStatus.CLOSED]
        then = f", then {_who(closing[0].roles)} can close it" if closing else ""
        return f"{where}, on hold ({step.hold_reason}) — {_who(step.release_roles)} releases the hold{then}."
    if step.closable_from is not None:
        who = _who(step.moves[0].roles)
        if step.closable_from > timezone.now():
            return f"{where} — {who} can close it after {local_minute(step.closable_from)} (or now, waiving the " \
                   "return window)."
        return f"{where} — {who} can close it now (the return window has passed)."
    by_roles: dict[tuple[str, ...], list[str]] = {}
    for move in step.moves:
        by_roles.setdefault(move.roles, []).append(VERBS[OrderStatus(move.status)])
    steps = [f"{_who(roles)} can {' or '.join(verbs)}" for roles, verbs in by_roles.items()]
    return f"{where} — {'; '.join(steps)}."
