"""Reads for billing, and the locking reads its services start from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.utils import timezone

from sales.models import Order
from synthesq.core.actors import Viewer
from synthesq.core.errors import NotFound
from synthesq.core.fsm import allowed_targets
from synthesq.core.money import MoneyField

from .models import (
    AGEING_BUCKETS,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    Refund,
)


def invoice_list() -> QuerySet[Invoice]:
    """Invoices with their lines prefetched and ``is_overdue`` annotated."""
    return Invoice.objects.with_overdue().prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position"))
    ).order_by("-id")


def invoice_allowed_statuses(invoice: Invoice, user: Viewer = None) -> list[str]:
    """Statuses the invoice may be moved to by request now (``paid`` is reached only through payments)."""
    return allowed_targets(invoice, user)


def invoice_lock_with_order(invoice_id: str, *, payment_reference: str | None = None) -> Invoice | None:
    """Lock the invoice's order, then the invoice (None if there is no such invoice).

    Order moves lock the order, then (through the receivers) its invoice; billing takes the same order. Locking
    the invoice alone is not enough: PostgreSQL share-locks the order when a transaction updates the invoice row
    a second time (its foreign key is checked again), so a payment on a draft, or one settling the invoice,
    would wait for the order while holding the invoice, and deadlock with a concurrent cancel or close.

    Three statements: the order locked through its invoice, then the invoice locked (with, for a payment, the id
    of a payment already booked under ``payment_reference`` as ``duplicate_payment_id``: read after the order's
    lock, so a concurrent payment has committed or not started), then its lines."""
    if not list(Order.objects.select_for_update(of=("self",)).filter(invoice__id=invoice_id)
                .values_list("pk", flat=True)):
        return None
    query = Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice_id)
    if payment_reference is not None:
        query = query.annotate(duplicate_payment_id=Subquery(
            Payment.objects.filter(invoice_id=OuterRef("pk"), reference=payment_reference).values("pk")[:1]))
    invoice = query.first()
    if invoice is not None:
        prefetch_related_objects([invoice], Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")))
    return invoice


def invoice_get_for_update(invoice_id: str) -> Invoice:
    """``invoice_lock_with_order``, or 404 when there is no such invoice."""
    invoice = invoice_lock_with_order(invoice_id)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id!r}.")
    return invoice


def invoice_event_list(*, invoice_id: str) -> QuerySet[InvoiceEvent]:
    return InvoiceEvent.objects.filter(invoice_id=invoice_id).select_related("actor").order_by("id")


def payment_list() -> QuerySet[Payment]:
    return Payment.objects.select_related("invoice", "recorded_by").order_by("-id")


def credit_note_list() -> QuerySet[CreditNote]:
    """Credit notes, newest first, with their invoice and issuer joined and their lines prefetched."""
    return CreditNote.objects.select_related("invoice", "created_by").prefetch_related(
        Prefetch("lines", queryset=CreditNoteLine.objects.order_by("position"))
    ).order_by("-id")


def refund_list() -> QuerySet[Refund]:
    """Refunds, newest first, with their invoice and recorder joined."""
    return Refund.objects.select_related("invoice", "recorded_by").order_by("-id")


# -- figures for the dashboard ------------------------------------------------------------------------------------
AGEING_ORDER = ("current", *AGEING_BUCKETS)


@dataclass(frozen=True)
class AgeingFigure:
    currency: str
    bucket: str
    count: int
    amount_due: Decimal


def receivables_ageing(now: datetime | None = None) -> list[AgeingFigure]:
    """What customers owe on issued invoices, per currency and ageing bucket ("current": not yet due; then days
    overdue), in one query whatever the number of invoices."""
    now = now or timezone.now()
    due = ExpressionWrapper(F("total") - F("amount_credited") - F("amount_paid") + F("amount_refunded"),
                            output_field=MoneyField())
    aggregates: dict[str, Any] = {}
    for bucket in AGEING_ORDER:
        condition = Invoice.objects.ageing_condition(bucket, now)
        aggregates[f"n_{bucket}"] = Count("id", filter=condition)
        aggregates[f"due_{bucket}"] = Sum(due, filter=condition)
    rows = (Invoice.objects.filter(status=InvoiceStatus.ISSUED).values("currency").order_by("currency")
            .annotate(**aggregates))
    return [AgeingFigure(row["currency"], bucket, row[f"n_{bucket}"], row[f"due_{bucket}"] or Decimal(0))
            for row in rows for bucket in AGEING_ORDER]


@dataclass(frozen=True)
class MonthFigure:
    currency: str
    count: int
    amount: Decimal


def month_so_far(today: date | None = None) -> tuple[date, date]:
    """The first day of this month and today, in the active time zone (what the admin's date filters read)."""
    today = today or timezone.localdate()
    return today.replace(day=1), today


def credited_this_month(today: date | None = None) -> list[MonthFigure]:
    """Credit notes issued this month so far, per currency (one query)."""
    first, last = month_so_far(today)
    rows = (CreditNote.objects.filter(issued_at__date__gte=first, issued_at__date__lte=last)
            .values("currency").order_by("currency").annotate(n=Count("id"), amount=Sum("total")))
    return [MonthFigure(row["currency"], row["n"], row["amount"]) for row in rows]


def refunded_this_month(today: date | None = None) -> list[MonthFigure]:
    """Refunds recorded this month so far, per currency (one query)."""
    first, last = month_so_far(today)
    rows = (Refund.objects.filter(recorded_at__date__gte=first, recorded_at__date__lte=last)
            .values("currency").order_by("currency").annotate(n=Count("id"), amount=Sum("amount")))
    return [MonthFigure(row["currency"], row["n"], row["amount"]) for row in rows]
