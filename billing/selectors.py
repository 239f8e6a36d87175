"""Reads for billing."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Invoice, InvoiceEvent, InvoiceLine, Payment


def invoice_list() -> QuerySet[Invoice]:
    return Invoice.objects.prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position"))
    ).order_by("-id")


def invoice_event_list(*, invoice_id: str) -> QuerySet[InvoiceEvent]:
    return InvoiceEvent.objects.filter(invoice_id=invoice_id).select_related("actor").order_by("id")


def payment_list() -> QuerySet[Payment]:
    return Payment.objects.select_related("invoice", "recorded_by").order_by("-id")
