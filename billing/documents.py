"""The invoice as a document: one template (``billing/invoice_print.html``) for the printable page and the PDF,
with the issuer from ``settings.SELLER`` (and its tax id), the customer's tax id, the number, dates, lines and
charges with their rate, the breakdown per rate, the exemption reason, totals, payments and amount due.
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

from .document_discounts import credit_line_discounts, describe, invoice_line_discounts, order_discount_rows
from .models import CreditNote, CreditNoteLine, Invoice, InvoiceLine


def format_percent(percent: Decimal | str | None) -> str:
    """A rate as printed: at least 2 decimals, no trailing zeros beyond ("19.00%", "5.50%", "6.125%")."""
    value = Decimal(str(percent or 0)).quantize(Decimal("0.0001")).normalize()
    if int(value.as_tuple().exponent) > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value}%"


def tax_rows(rows: list[dict[str, Any]], currency: str) -> list[dict[str, str]]:
    """A document's breakdown per rate (its stored ``taxes``) as printed: the rate's name and place, its percent,
    the taxable amount and the tax; none when nothing is taxed (an untaxed document prints no breakdown)."""
    if not any(row.get("name") for row in rows):
        return []
    return [{"name": row.get("name") or "Untaxed", "place": "-".join(p for p in (row.get("country"),
                                                                                 row.get("region")) if p),
             "rate": format_percent(row.get("rate")),
             "taxable_amount": format_amount(Decimal(str(row["taxable_amount"])), currency) or "",
             "tax_amount": format_amount(Decimal(str(row["tax_amount"])), currency) or ""} for row in rows]


def _document_line(line: InvoiceLine | CreditNoteLine, currency: str,
                   discounts: tuple[Decimal, Decimal] | None = None, list_price: Decimal | None = None,
                   discount: dict[str, Any] | None = None) -> dict[str, Any]:
    """A line as printed; ``discounts`` (own, share of the order's) and ``list_price`` for product lines."""

    def fmt(amount: Decimal | None) -> str:
        return "" if amount is None else format_amount(amount, currency) or ""

    own, share = discounts if discounts is not None else (None, None)
    return {"line": line, "unit_price": fmt(line.unit_price), "line_total": fmt(line.line_total),
            "rate": "" if line.tax_rate is None else format_percent(line.tax_rate), "net": fmt(line.net_amount),
            "tax": fmt(line.tax_amount), "gross": fmt(line.gross_amount), "list_price": fmt(list_price),
            "discount": fmt(own), "discount_as_entered": describe(discount, currency),
            "order_discount": fmt(share)}


def _invoice_line(line: InvoiceLine, currency: str) -> dict[str, Any]:
    if line.kind != InvoiceLine.Kind.PRODUCT:
        return _document_line(line, currency)
    return _document_line(line, currency, invoice_line_discounts(line), line.list_price,
                          (line.discounts or {}).get("discount"))


def _credit_note_line(line: CreditNoteLine, credit_note: CreditNote) -> dict[str, Any]:
    invoice_line = line.invoice_line
    return _document_line(line, credit_note.currency, credit_line_discounts(line, credit_note),
                          invoice_line.list_price if invoice_line is not None else None)


def invoice_document(invoice: Invoice, *, for_pdf: bool = False) -> dict[str, Any]:
    """What the invoice template shows, amounts written in the currency's minor unit: product lines and charges
    with their rate, the breakdown per rate, the tax ids and the exemption reason."""

    def fmt(amount: Decimal | None) -> str:
        return format_amount(amount, invoice.currency) or ""

    invoice_lines = list(invoice.lines.order_by("position"))
    rows = [_invoice_line(line, invoice.currency) for line in invoice_lines]
    payments = [{"payment": p, "amount": fmt(p.amount)} for p in invoice.payments.order_by("created_at", "id")]
    return {
        "invoice": invoice, "seller": settings.SELLER, "for_pdf": for_pdf,
        "lines": [row for row in rows if row["line"].kind == InvoiceLine.Kind.PRODUCT],
        "charges": [row for row in rows if row["line"].kind != InvoiceLine.Kind.PRODUCT],
        "payments": payments, "taxes": tax_rows(invoice.taxes, invoice.currency),
        "discounts": order_discount_rows(invoice, invoice_lines, fmt),
        "order_number": invoice.order.order_number, "billing_address": address_lines(invoice.billing_address),
        "customer_tax_id": invoice.customer_tax_id, "tax_exempt_reason": invoice.tax_exempt_reason,
        "subtotal": fmt(invoice.subtotal), "charges_total": fmt(invoice.charges_total) if rows and any(
            row["line"].kind != InvoiceLine.Kind.PRODUCT for row in rows) else "",
        "tax": fmt(invoice.tax_total), "total": fmt(invoice.total),
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
    """What the credit note template (``billing/credit_note_print.html``) shows: its lines with their rate, net,
    tax and gross, and the breakdown per rate."""
    invoice = credit_note.invoice

    def fmt(amount: Decimal | None) -> str:
        return format_amount(amount, credit_note.currency) or ""

    return {
        "credit_note": credit_note, "invoice": invoice, "seller": settings.SELLER, "for_pdf": for_pdf,
        "lines": [_credit_note_line(line, credit_note)
                  for line in credit_note.lines.select_related("invoice_line").order_by("position")],
        "promotion_code": (invoice.discounts or {}).get("promotion_code") or "",
        "taxes": tax_rows(credit_note.taxes, credit_note.currency),
        "order_number": invoice.order.order_number, "billing_address": address_lines(invoice.billing_address),
        "customer_tax_id": invoice.customer_tax_id, "tax_exempt_reason": invoice.tax_exempt_reason,
        "net_total": fmt(credit_note.net_total), "tax_total": fmt(credit_note.tax_total),
        "total": fmt(credit_note.total), "invoice_total": fmt(invoice.total),
        "amount_credited": fmt(invoice.amount_credited),
    }


def credit_note_html(credit_note: CreditNote, *, request: HttpRequest | None = None, for_pdf: bool = False) -> str:
    return render_to_string("billing/credit_note_print.html", credit_note_document(credit_note, for_pdf=for_pdf),
                            request=request)


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    """The credit note as a PDF (A4), from the same HTML as the printable page."""
    return _pdf(credit_note_html(credit_note, for_pdf=True))


def credit_note_pdf_filename(credit_note: CreditNote) -> str:
    return f"{credit_note.number}.pdf"
