"""Reads for billing."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from sales.models import Order

from .models import Invoice, InvoiceEvent, InvoiceLine, Payment


def invoice_list() -> QuerySet[Invoice]:
    return Invoice.objects.prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position"))
    ).order_by("-id")


def invoice_event_list(*, invoice_id: str) -> QuerySet[InvoiceEvent]:
    return InvoiceEvent.objects.filter(invoice_id=invoice_id).select_related("actor").order_by("id")


def payment_list() -> QuerySet[Payment]:
    return Payment.objects.select_related("invoice", "recorded_by").order_by("-id")


def invoice_lock(*, invoice_id: str) -> None:
    """Lock the invoice's order, then the invoice, for the caller's transaction: the billing services' order, so a
    conditional change cannot deadlock with a payment, a cancel or a close (for ``If-Match``)."""
    order_id = Invoice.objects.filter(pk=invoice_id).values_list("order_id", flat=True).first()
    list(Order.objects.select_for_update().filter(pk=order_id).values_list("pk", flat=True))
    list(Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice_id).values_list("pk", flat=True))
