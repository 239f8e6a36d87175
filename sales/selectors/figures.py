"""Figures for the back-office dashboard, each one query whatever the number of orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Order, OrderStatus


def order_status_figures() -> dict[str, int]:
    """Orders per status, plus ``held`` (on hold) and ``delivered_to_close`` (delivered, not on hold)."""
    counts = Order.objects.aggregate(
        held=Count("id", filter=Q(on_hold=True)),
        delivered_to_close=Count("id", filter=Q(status=OrderStatus.DELIVERED, on_hold=False)),
        **{status.value: Count("id", filter=Q(status=status)) for status in OrderStatus},
    )
    return {key: int(value or 0) for key, value in counts.items()}


# What "orders created" counts on the dashboard (and what its figures' lists show): every order but cancelled ones.
ORDER_STATUSES_COUNTED: tuple[str, ...] = tuple(s.value for s in OrderStatus if s != OrderStatus.CANCELLED)


@dataclass(frozen=True)
class CurrencyFigure:
    currency: str
    count: int
    total: Decimal


def orders_created_by_currency(*, first_day: date, last_day: date) -> dict[str, list[CurrencyFigure]]:
    """Orders created per currency, on ``last_day`` ("today") and from ``first_day`` to ``last_day`` ("month"),
    days in the active time zone; cancelled orders are not counted (``ORDER_STATUSES_COUNTED``)."""
    today = Q(created_at__date=last_day)
    rows = (Order.objects.filter(created_at__date__gte=first_day, created_at__date__lte=last_day,
                                 status__in=ORDER_STATUSES_COUNTED)
            .values("currency").order_by("currency")
            .annotate(month_count=Count("id"), month_total=Sum("total"),
                      today_count=Count("id", filter=today), today_total=Sum("total", filter=today)))
    return {
        "today": [CurrencyFigure(r["currency"], r["today_count"], r["today_total"] or Decimal(0))
                  for r in rows if r["today_count"]],
        "month": [CurrencyFigure(r["currency"], r["month_count"], r["month_total"] or Decimal(0)) for r in rows],
    }


def orders_per_day(*, first_day: date, last_day: date) -> dict[tuple[date, str], int]:
    """How many orders were created each day (active time zone) by their status now."""
    rows = (Order.objects.filter(created_at__date__gte=first_day, created_at__date__lte=last_day)
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "status").order_by().annotate(count=Count("id")))
    return {(row["day"], row["status"]): row["count"] for row in rows}
