"""The invoice as a document: one template (``billing/invoice_print.html``) for the printable page and the PDF,
with the issuer from ``settings.SELLER``, the number, dates, lines, tax if any, totals, payments and amount due.
The PDF is rendered by WeasyPrint (it needs Debian's Pango libraries; ``.ci/run`` installs them).
Credit notes are printed the same way (``billing/credit_note_print.html``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string

from sales.addresses import address_lines
from synthesq.core.money import format_amount

from .models import CreditNote, Invoice


def invoice_document(invoice: Invoice, *, for_pdf: bool = False) -> dict[str, Any]:
    """What the invoice template shows, amounts written in the currency's minor unit."""

    def fmt(amount: Decimal | None) -> str:
        return format_amount(amount, invoice.currency) or ""

    lines = [{"line": line, "unit_price": fmt(line.unit_price), "line_total": fmt(line.line_total)}
             for line in invoice.lines.order_by("position")]
    payments = [{"payment": p, "amount": fmt(p.amount)} for p in invoice.payments.order_by("created_at", "id")]
    tax = invoice.tax_total
    return {
        "invoice": invoice, "lines": lines, "payments": payments, "seller": settings.SELLER, "for_pdf": for_pdf,
        "order_number": invoice.order.order_number, "billing_address": address_lines(invoice.billing_address),
        "subtotal": fmt(invoice.subtotal + invoice.charges_total), "tax": fmt(tax) if tax else "",
        "total": fmt(invoice.total),
        "amount_paid": fmt(invoice.amount_paid), "amount_due": fmt(invoice.amount_due),
        "amount_credited": fmt(invoice.amount_credited) if invoice.amount_credited else "",
        "amount_refunded": fmt(invoice.amount_refunded) if invoice.amount_refunded else "",
    }


def invoice_html(invoice: Invoice, *, request: HttpRequest | None = None, for_pdf: bool = False) -> str:
    return render_to_string("billing/invoice_print.html", invoice_document(invoice, for_pdf=for_pdf),
                            request=request)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango costs time that only PDFs need

    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF (A4), from the same HTML as the printable page."""
    return _pdf(invoice_html(invoice, for_pdf=True))


def invoice_pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number or 'draft-invoice-' + invoice.order.order_number}.pdf"


def credit_note_document(credit_note: CreditNote, *, for_pdf: bool = False) -> dict[str, Any]:
    """What the credit note template (``billing/credit_note_print.html``) shows."""
    invoice = credit_note.invoice

    def fmt(amount: Decimal | None) -> str:
        return format_amount(amount, credit_note.currency) or ""

    lines = [{"line": line, "unit_price": fmt(line.unit_price), "line_total": fmt(line.line_total)}
             for line in credit_note.lines.order_by("position")]
    return {
        "credit_note": credit_note, "invoice": invoice, "lines": lines, "seller": settings.SELLER,
        "for_pdf": for_pdf, "order_number": invoice.order.order_number,
        "billing_address": address_lines(invoice.billing_address), "total": fmt(credit_note.total),
        "invoice_total": fmt(invoice.total), "amount_credited": fmt(invoice.amount_credited),
    }


def credit_note_html(credit_note: CreditNote, *, request: HttpRequest | None = None, for_pdf: bool = False) -> str:
    return render_to_string("billing/credit_note_print.html", credit_note_document(credit_note, for_pdf=for_pdf),
                            request=request)


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    """The credit note as a PDF (A4), from the same HTML as the printable page."""
    return _pdf(credit_note_html(credit_note, for_pdf=True))


def credit_note_pdf_filename(credit_note: CreditNote) -> str:
    return f"{credit_note.number}.pdf"
