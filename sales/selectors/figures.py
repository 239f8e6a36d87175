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


@dataclass(frozen=True)
class DiscountFigure:
    """Discounts given on orders confirmed in a period, in one currency: ``code`` None for the total of every
    discount (lines', orders' and codes'), else what that promotion code took off."""

    currency: str
    code: str | None
    count: int
    amount: Decimal
    code_id: str | None = None


def discounts_given(*, first_day: date, last_day: date) -> list[DiscountFigure]:
    """Per currency: every discount given on orders confirmed from ``first_day`` to ``last_day`` (not cancelled),
    then each promotion code's share, largest first. One query."""
    rows = (Order.objects.filter(confirmed_at__date__gte=first_day, confirmed_at__date__lte=last_day)
            .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])
            .values("currency", "promotion_code", "promotion_code__code").order_by()
            .annotate(count=Count("id"), lines=Sum("lines_discount_total"), own=Sum("discount_amount"),
                      promotion=Sum("promotion_discount_amount")))
    totals: dict[str, tuple[int, Decimal]] = {}
    by_code = []
    for row in rows:
        amount = (row["lines"] or 0) + (row["own"] or 0) + (row["promotion"] or 0)
        count, total = totals.get(row["currency"], (0, Decimal(0)))
        totals[row["currency"]] = (count + row["count"], total + amount)
        if row["promotion_code__code"]:
            by_code.append(DiscountFigure(row["currency"], row["promotion_code__code"], row["count"],
                                          row["promotion"] or Decimal(0), row["promotion_code"]))
    figures = [DiscountFigure(currency, None, count, total) for currency, (count, total) in sorted(totals.items())]
    return figures + sorted(by_code, key=lambda figure: (figure.currency, -figure.amount, figure.code or ""))
