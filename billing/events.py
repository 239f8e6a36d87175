"""What billing publishes: invoices created, issued, paid and voided, payments, credit notes and refunds. Objects are
rendered as the API renders them (an invoice with its lines, amounts and ``overdue``; a payment with the
invoice after it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integrations.events import publish, register_event_types

from . import selectors
from .models import Invoice, InvoiceStatus, Payment
from .representations import (
    credit_note_representation,
    invoice_representation,
    payment_representation,
    refund_representation,
)

register_event_types({
    "invoice.created": "An order was confirmed and its draft invoice made.",
    "invoice.issued": "An invoice was issued: numbered, dated, due.",
    "invoice.paid": "Payments reached an invoice's total.",
    "invoice.voided": "An invoice was voided.",
    "payment.recorded": "A payment was recorded against an invoice.",
    "credit_note.issued": "A credit note was issued against an invoice (a credited return, an adjustment).",
    "refund.recorded": "Money was paid back on a payment.",
})

STATUS_EVENTS = {InvoiceStatus.ISSUED: "invoice.issued", InvoiceStatus.PAID: "invoice.paid",
                 InvoiceStatus.VOID: "invoice.voided"}


def invoice_data(invoice_id: str, invoice: Invoice | None = None) -> dict[str, Any]:
    """The invoice as the API renders it: from ``invoice`` when the service holds it with its lines (just
    written, or read with its lock), else read again."""
    if invoice is not None and "lines" in getattr(invoice, "_prefetched_objects_cache", {}):
        invoice.is_overdue = Invoice.objects.is_overdue(invoice)  # type: ignore[attr-defined]
        return invoice_representation(invoice)
    return invoice_representation(selectors.invoice_list().get(pk=invoice_id))


def publish_invoice(event_type: str, invoice_id: str, *, previous: dict[str, Any] | None = None,
                    invoice: Invoice | None = None, at_commit: bool = False) -> None:
    publish(event_type, object_id=invoice_id, previous_attributes=previous,
            obj=lambda: invoice_data(invoice_id, invoice), at_commit=at_commit)


def publish_invoice_moved(invoice_id: str, *, from_status: str, to_status: str, invoice: Invoice | None = None,
                          at_commit: bool = False) -> None:
    """``at_commit`` when the caller saves the invoice later (or changes it further) in the same change."""
    publish_invoice(STATUS_EVENTS[InvoiceStatus(to_status)], invoice_id, previous={"status": str(from_status)},
                    invoice=invoice, at_commit=at_commit)


def publish_invoices_issued(invoice_ids: Sequence[str]) -> None:
    """The batch close's ``invoice.issued`` events: the chunk's invoices rendered together (two queries)."""
    for invoice in selectors.invoice_list().filter(pk__in=list(invoice_ids)):
        publish("invoice.issued", object_id=invoice.pk, obj=invoice_representation(invoice),
                previous_attributes={"status": InvoiceStatus.DRAFT.value})


def publish_payment(payment: Payment) -> None:
    """The payment as the API renders it, from memory (the service holds it, its invoice and its actor), when the
    service's change is complete: its invoice as the payment left it (``paid`` when it settled it), as GET shows."""
    publish("payment.recorded", object_id=payment.pk, obj=lambda: payment_representation(payment),
            at_commit=True)


def publish_credit_note(credit_note_id: str) -> None:
    publish("credit_note.issued", object_id=credit_note_id,
            obj=lambda: credit_note_representation(selectors.credit_note_list().get(pk=credit_note_id)))


def publish_refund(refund_id: str) -> None:
    publish("refund.recorded", object_id=refund_id,
            obj=lambda: refund_representation(selectors.refund_list().get(pk=refund_id)))
