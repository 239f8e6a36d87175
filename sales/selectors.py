"""Reads for the sales app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, CharField, Count, Prefetch, Q, QuerySet, Value, When

from .models import Customer, Order, OrderEvent, OrderLine, OrderStatus


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.order_by("-id")


def order_list() -> QuerySet[Order]:
    """Orders with their lines prefetched (one query for all lines of a page)."""
    return Order.objects.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    ).order_by("-id")


def order_event_list(*, order_id: str) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order_id=order_id).select_related("actor").order_by("id")


def orders_closable(*, cutoff: datetime) -> QuerySet[Order]:
    """Delivered, not on hold, delivered at or before ``cutoff`` (its return window has passed)."""
    return Order.objects.filter(status=OrderStatus.DELIVERED, on_hold=False, delivered_at__lte=cutoff)


def orders_not_closable(*, cutoff: datetime) -> QuerySet[Order]:
    """Delivered orders the batch close skips, with ``skip_reason``: on_hold or return_window_open."""
    return Order.objects.filter(status=OrderStatus.DELIVERED).filter(
        Q(on_hold=True) | Q(delivered_at__gt=cutoff)
    ).annotate(
        skip_reason=Case(When(on_hold=True, then=Value("on_hold")), default=Value("return_window_open"),
                         output_field=CharField())
    )


def close_skip_counts(*, cutoff: datetime) -> dict[str, int]:
    counts = dict(
        orders_not_closable(cutoff=cutoff).values_list("skip_reason").annotate(n=Count("id")).values_list(
            "skip_reason", "n"
        )
    )
    return {"on_hold": counts.get("on_hold", 0), "return_window_open": counts.get("return_window_open", 0)}


def customer_lock(*, customer_id: str) -> None:
    """Lock the customer row for the caller's transaction, as ``customer_update`` does (for ``If-Match``)."""
    list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))


def order_lock(*, order_id: str) -> None:
    """Lock the order row for the caller's transaction, first, as every order service does (for ``If-Match``)."""
    list(Order.objects.select_for_update(of=("self",)).filter(pk=order_id).values_list("pk", flat=True))
