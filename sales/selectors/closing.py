"""Reads for the batch close: which delivered orders may close, which are skipped and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypedDict

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django_stubs_ext import WithAnnotations

from ..models import RETURN_OPEN_STATUSES, Order, OrderStatus, Return


def close_cutoff(*, as_of: datetime, return_window_days: int) -> datetime:
    """Orders delivered at or before this instant have had their return window pass by ``as_of``."""
    return as_of - timedelta(days=return_window_days)


def orders_closable(*, cutoff: datetime) -> QuerySet[Order]:
    """Delivered, not on hold, delivered at or before ``cutoff`` (its return window has passed), no return
    requested or received."""
    return Order.objects.filter(status=OrderStatus.DELIVERED, on_hold=False, delivered_at__lte=cutoff).exclude(
        _open_return()
    )


def orders_with_open_returns(*, order_ids: Sequence[str]) -> set[str]:
    """Those of ``order_ids`` with a return requested or received."""
    return set(Return.objects.filter(order_id__in=list(order_ids), status__in=RETURN_OPEN_STATUSES)
               .values_list("order_id", flat=True))


class SkipReason(TypedDict):
    skip_reason: str


def _open_return() -> Exists:
    return Exists(Return.objects.filter(order_id=OuterRef("pk"), status__in=RETURN_OPEN_STATUSES))


def orders_not_closable(*, cutoff: datetime) -> QuerySet[WithAnnotations[Order, SkipReason]]:
    """Delivered orders the batch close skips, with ``skip_reason``: on_hold, return_open (a return requested
    or received) or return_window_open."""
    return Order.objects.filter(status=OrderStatus.DELIVERED).annotate(has_open_return=_open_return()).filter(
        Q(on_hold=True) | Q(delivered_at__gt=cutoff) | Q(has_open_return=True)
    ).annotate(
        skip_reason=Case(When(on_hold=True, then=Value("on_hold")),
                         When(has_open_return=True, then=Value("return_open")),
                         default=Value("return_window_open"), output_field=CharField())
    )


def close_skip_counts(*, cutoff: datetime) -> dict[str, int]:
    """How many delivered orders the batch close skips, by reason (as ``orders_not_closable`` gives them)."""
    counts = Order.objects.filter(status=OrderStatus.DELIVERED).annotate(has_open_return=_open_return()).aggregate(
        held=Count("id", filter=Q(on_hold=True)),
        return_open=Count("id", filter=Q(on_hold=False, has_open_return=True)),
        window_open=Count("id", filter=Q(on_hold=False, has_open_return=False, delivered_at__gt=cutoff)),
    )
    return {"on_hold": counts["held"], "return_open": counts["return_open"],
            "return_window_open": counts["window_open"]}


def order_open_return_numbers(order_id: str) -> list[str]:
    """Numbers of the order's returns still requested or received (they keep it from closing)."""
    return list(Return.objects.filter(order_id=order_id, status__in=RETURN_OPEN_STATUSES)
                .order_by("id").values_list("return_number", flat=True))
