"""Reads of returns (RMAs)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, Sum

from synthesq.core.actors import Viewer
from synthesq.core.errors import NotFound
from synthesq.core.fsm import allowed_targets

from ..models import RETURN_CLAIMING_STATUSES, Return, ReturnEvent, ReturnLine
from .orders import order_get_for_update


def return_list() -> QuerySet[Return]:
    """Returns with their order (for the customer) and lines prefetched (one query for all lines of a page)."""
    return Return.objects.select_related("order").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").order_by("position"))
    ).order_by("-id")


def return_get(return_id: str) -> Return:
    found = return_list().filter(pk=return_id).first()
    if found is None:
        raise NotFound(f"No return {return_id!r}.")
    return found


def return_get_for_update(return_id: str) -> Return:
    """The return row, locked until the transaction ends (404 when there is none), after its order's row:
    every return change locks the order first, then the return (the fixed order: order → return → invoice)."""
    order_id = Return.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"No return {return_id!r}.")
    order = order_get_for_update(order_id)
    found = Return.objects.select_for_update(of=("self",)).filter(pk=return_id).first()
    if found is None:
        raise NotFound(f"No return {return_id!r}.")
    found.order = order
    return found


def return_allowed_statuses(return_: Return, user: Viewer = None) -> list[str]:
    """Statuses the return may move to now; with ``user``, only those the user may make."""
    return allowed_targets(return_, user)


def return_event_list(*, return_id: str) -> QuerySet[ReturnEvent]:
    return ReturnEvent.objects.filter(sales_return_id=return_id).select_related("actor").order_by("id")


def returned_quantities(*, order_id: str) -> dict[int, int]:
    """Per order line id, the quantity that requested, received and credited returns claim."""
    rows = (ReturnLine.objects.filter(order_line__order_id=order_id, sales_return__status__in=RETURN_CLAIMING_STATUSES)
            .values("order_line_id").order_by().annotate(claimed=Sum("quantity")))
    return {row["order_line_id"]: int(row["claimed"]) for row in rows}
