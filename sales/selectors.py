"""Reads for the sales app."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Customer, Order, OrderEvent, OrderLine


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.order_by("-id")


def order_list() -> QuerySet[Order]:
    """Orders with their lines prefetched (one query for all lines of a page)."""
    return Order.objects.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    ).order_by("-id")


def order_event_list(*, order_id: str) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order_id=order_id).select_related("actor").order_by("id")
