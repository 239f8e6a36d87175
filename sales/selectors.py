"""Reads for the sales app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from django.db.models import Case, CharField, Count, Prefetch, Q, QuerySet, Value, When
from django_stubs_ext import WithAnnotations

from synthesq.core.actors import Viewer
from synthesq.core.errors import NotFound
from synthesq.core.fsm import allowed_targets

from .models import Customer, Order, OrderEvent, OrderLine, OrderStatus


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.order_by("-id")


def order_list() -> QuerySet[Order]:
    """Orders with their lines prefetched (one query for all lines of a page)."""
    return Order.objects.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    ).order_by("-id")


def order_get_for_update(order_id: str) -> Order:
    """The order row, locked until the transaction ends (404 when there is none). Every order change starts
    here: the order is the first lock taken, before its products and its invoice."""
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order {order_id!r}.")
    return order


def order_allowed_statuses(order: Order, user: Viewer = None) -> list[str]:
    """Statuses the order may move to now (conditions met); with ``user``, only those the user may make."""
    return allowed_targets(order, user)


def order_event_list(*, order_id: str) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order_id=order_id).select_related("actor").order_by("id")


def close_cutoff(*, as_of: datetime, return_window_days: int) -> datetime:
    """Orders delivered at or before this instant have had their return window pass by ``as_of``."""
    return as_of - timedelta(days=return_window_days)


def orders_closable(*, cutoff: datetime) -> QuerySet[Order]:
    """Delivered, not on hold, delivered at or before ``cutoff`` (its return window has passed)."""
    return Order.objects.filter(status=OrderStatus.DELIVERED, on_hold=False, delivered_at__lte=cutoff)


class SkipReason(TypedDict):
    skip_reason: str


def orders_not_closable(*, cutoff: datetime) -> QuerySet[WithAnnotations[Order, SkipReason]]:
    """Delivered orders the batch close skips, with ``skip_reason``: on_hold or return_window_open."""
    return Order.objects.filter(status=OrderStatus.DELIVERED).filter(
        Q(on_hold=True) | Q(delivered_at__gt=cutoff)
    ).annotate(
        skip_reason=Case(When(on_hold=True, then=Value("on_hold")), default=Value("return_window_open"),
                         output_field=CharField())
    )


def close_skip_counts(*, cutoff: datetime) -> dict[str, int]:
    """How many delivered orders the batch close skips, by reason (as ``orders_not_closable`` gives them)."""
    counts = Order.objects.filter(status=OrderStatus.DELIVERED).aggregate(
        held=Count("id", filter=Q(on_hold=True)),
        window_open=Count("id", filter=Q(on_hold=False, delivered_at__gt=cutoff)),
    )
    return {"on_hold": counts["held"], "return_window_open": counts["window_open"]}


def customer_lock(*, customer_id: str) -> None:
    """Lock the customer row for the caller's transaction, as ``customer_update`` does (for ``If-Match``)."""
    list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))

