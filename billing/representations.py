"""Invoices as the API renders them, built as plain dicts (``InvoiceSerializer`` declares the fields for the
schema and delegates here; a test holds the two to the same output)."""

from __future__ import annotations

from typing import Any

from sales.addresses import address_representation
from synthesq.core.actors import Viewer
from synthesq.core.representation import amount, iso_datetime

from .models import Invoice, InvoiceLine
from .selectors import invoice_allowed_statuses


def invoice_line_representation(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {
        "product_id": line.product_id, "sku": line.sku, "description": line.description, "quantity": line.quantity,
        "unit_price": amount(line.unit_price, currency), "line_total": amount(line.line_total, currency),
    }


def invoice_representation(invoice: Invoice, *, user: Viewer = None) -> dict[str, Any]:
    """The invoice with its lines (prefetch them for lists) and ``overdue`` (annotate it: ``with_overdue``)."""
    currency = invoice.currency
    # The with_overdue annotation: "overdue" is stated once, in InvoiceQuerySet.
    overdue = bool(invoice.is_overdue)  # type: ignore[attr-defined]
    return {
        "id": invoice.pk, "number": invoice.number, "order_id": invoice.order_id,
        "customer_id": invoice.customer_id, "status": str(invoice.status), "currency": currency,
        "customer_name": invoice.customer_name, "customer_email": invoice.customer_email,
        "billing_address": address_representation(invoice.billing_address),
        "line_items": [invoice_line_representation(line, currency) for line in invoice.lines.all()],
        "subtotal": amount(invoice.subtotal, currency), "total": amount(invoice.total, currency),
        "amount_paid": amount(invoice.amount_paid, currency),
        "amount_credited": amount(invoice.amount_credited, currency),
        "amount_refunded": amount(invoice.amount_refunded, currency),
        "amount_due": amount(invoice.amount_due, currency),
        "amount_refundable": amount(invoice.amount_refundable, currency),
        "overdue": overdue,
        "allowed_statuses": invoice_allowed_statuses(invoice, user),
        "issued_at": iso_datetime(invoice.issued_at), "due_at": iso_datetime(invoice.due_at),
        "paid_at": iso_datetime(invoice.paid_at), "voided_at": iso_datetime(invoice.voided_at),
        "void_reason": invoice.void_reason,
        "created_at": iso_datetime(invoice.created_at), "updated_at": iso_datetime(invoice.updated_at),
    }
