"""Invoices, payments, credit notes and refunds as the API and billing's events render them, built as plain
dicts (the serializers in ``api/serializers.py`` declare their fields for the schema; a test holds the two to
the same keys and types)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sales.addresses import address_representation
from synthesq.core.actors import Viewer
from synthesq.core.representation import amount, iso_datetime, username
from taxes.representations import item_taxes_representation, percent, tax_rows_representation

from .models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceLineKind, Payment, Refund
from .selectors import invoice_allowed_statuses
from .tax_report import TaxReport

PRODUCT = InvoiceLineKind.PRODUCT


def invoice_line_representation(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {
        "product_id": line.product_id, "sku": line.sku, "description": line.description, "quantity": line.quantity,
        "unit_price": amount(line.unit_price, currency), "line_total": amount(line.line_total, currency),
        **_line_tax(line, currency), "list_price": amount(line.list_price, currency),
        **(line.discounts or {"discount": None, "order_discount_amount": amount(Decimal(0), currency)}),
    }


def _line_tax(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {"tax_class": line.tax_class, "tax_rate": percent(line.tax_rate),
            "net_amount": amount(line.net_amount, currency), "tax_amount": amount(line.tax_amount, currency),
            "gross_amount": amount(line.gross_amount, currency), "taxes": item_taxes_representation(line.taxes)}


def invoice_charge_representation(line: InvoiceLine, currency: str) -> dict[str, Any]:
    """A charge line as the order showed the charge."""
    return {"kind": line.kind, "description": line.description, "amount": amount(line.line_total, currency),
            **_line_tax(line, currency)}


def invoice_representation(invoice: Invoice, *, user: Viewer = None) -> dict[str, Any]:
    """The invoice with its lines (prefetch them for lists) and ``overdue`` (annotate it: ``with_overdue``)."""
    currency = invoice.currency
    # The with_overdue annotation: "overdue" is stated once, in InvoiceQuerySet.
    overdue = bool(invoice.is_overdue)  # type: ignore[attr-defined]
    lines = list(invoice.lines.all())
    return {
        "id": invoice.pk, "number": invoice.number, "order_id": invoice.order_id,
        "customer_id": invoice.customer_id, "status": str(invoice.status), "currency": currency,
        "customer_name": invoice.customer_name, "customer_email": invoice.customer_email,
        "billing_address": address_representation(invoice.billing_address),
        "customer_tax_id": invoice.customer_tax_id, "tax_exempt_reason": invoice.tax_exempt_reason,
        "line_items": [invoice_line_representation(line, currency) for line in lines if line.kind == PRODUCT],
        "charges": [invoice_charge_representation(line, currency) for line in lines if line.kind != PRODUCT],
        "subtotal": amount(invoice.subtotal, currency), "charges_total": amount(invoice.charges_total, currency),
        "tax_total": amount(invoice.tax_total, currency), "total": amount(invoice.total, currency),
        "prices_include_tax": invoice.prices_include_tax, "tax_rounding": invoice.tax_rounding,
        "taxes": tax_rows_representation(invoice.taxes),
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
        # The order's discounts as it showed them when the invoice was made (none before issue 23).
        **{"discount": None, "promotion_code": None, "promotion_discount": amount(Decimal(0), currency),
           "discount_total": amount(Decimal(0), currency), **(invoice.discounts or {})},
    }


def invoice_summary_representation(invoice: Invoice) -> dict[str, Any]:
    """The invoice as payments, credit notes and refunds carry it: its status and figures."""
    currency = invoice.currency
    return {
        "id": invoice.pk, "number": invoice.number, "status": str(invoice.status),
        "total": amount(invoice.total, currency), "amount_paid": amount(invoice.amount_paid, currency),
        "amount_credited": amount(invoice.amount_credited, currency),
        "amount_refunded": amount(invoice.amount_refunded, currency),
        "amount_due": amount(invoice.amount_due, currency),
        "amount_refundable": amount(invoice.amount_refundable, currency),
    }


def payment_representation(payment: Payment) -> dict[str, Any]:
    """The payment with its invoice as it now stands (join ``invoice`` and ``recorded_by`` for lists)."""
    return {
        "id": payment.pk, "invoice_id": payment.invoice_id, "amount": amount(payment.amount, payment.currency),
        "currency": payment.currency, "payment_method": str(payment.payment_method), "reference": payment.reference,
        "recorded_by": username(payment.recorded_by), "created_at": iso_datetime(payment.created_at),
        "invoice": invoice_summary_representation(payment.invoice),
    }


def credit_note_line_representation(line: CreditNoteLine, currency: str) -> dict[str, Any]:
    return {
        "position": line.position, "product_id": line.product_id, "description": line.description,
        "quantity": line.quantity, "unit_price": amount(line.unit_price, currency),
        "line_total": amount(line.line_total, currency),
        "tax_rate": None if line.tax_rate is None else percent(line.tax_rate),
        "net_amount": amount(line.net_amount, currency), "tax_amount": amount(line.tax_amount, currency),
        "gross_amount": amount(line.gross_amount, currency),
        "taxes": item_taxes_representation(line.taxes),
    }


def credit_note_representation(credit_note: CreditNote) -> dict[str, Any]:
    """The credit note with its lines and its invoice as it now stands (``credit_note_list`` joins and
    prefetches them)."""
    currency = credit_note.currency
    invoice = credit_note.invoice
    return {
        "id": credit_note.pk, "number": credit_note.number, "invoice_id": credit_note.invoice_id,
        "invoice_number": invoice.number, "order_id": invoice.order_id, "customer_id": invoice.customer_id,
        "return_id": credit_note.sales_return_id, "reason": credit_note.reason, "currency": currency,
        "net_total": amount(credit_note.net_total, currency), "tax_total": amount(credit_note.tax_total, currency),
        "total": amount(credit_note.total, currency),
        "taxes": tax_rows_representation(credit_note.taxes),
        "lines": [credit_note_line_representation(line, currency) for line in credit_note.lines.all()],
        "issued_at": iso_datetime(credit_note.issued_at), "created_by": username(credit_note.created_by),
        "invoice": invoice_summary_representation(invoice),
    }


def refund_representation(refund: Refund) -> dict[str, Any]:
    """The refund with its invoice as it now stands (``refund_list`` joins it and the recorder)."""
    return {
        "id": refund.pk, "payment_id": refund.payment_id, "invoice_id": refund.invoice_id,
        "amount": amount(refund.amount, refund.currency), "currency": refund.currency, "reason": refund.reason,
        "reference": refund.reference, "recorded_by": username(refund.recorded_by),
        "recorded_at": iso_datetime(refund.recorded_at), "invoice": invoice_summary_representation(refund.invoice),
    }


def tax_report_representation(report: TaxReport) -> dict[str, Any]:
    """The tax report: a row per currency, country, region, rate name and percent, and a total per currency."""
    return {
        "from": report.first_day.isoformat(), "to": report.last_day.isoformat(),
        "rows": [{"currency": row.currency, "country": row.country, "region": row.region, "name": row.name,
                  "rate": percent(row.rate), "taxable_amount": amount(row.taxable_amount, row.currency),
                  "tax_amount": amount(row.tax_amount, row.currency)} for row in report.rows],
        "totals": [{"currency": total.currency, "taxable_amount": amount(total.taxable_amount, total.currency),
                    "tax_amount": amount(total.tax_amount, total.currency)} for total in report.totals],
    }
