"""The discounts the printable documents show (issue 23): per invoice line its list price, its own discount and
its share of the order's discounts (as the invoice copied them from the order); per credit note line the part of
those its returned units take back; the order's own discount and its promotion code's.

A credit note line of returned units credits its invoice line's stored (discounted) net and tax in proportion
(``billing.services.credit_notes``); what it shows as discounts is what separates those units' amount at the
unit price from what they credit as entered (net, or gross when prices include tax): the line's own discount in
proportion to the units (cumulative rounding, as the credit itself), its share of the order's the rest, so the
printed columns always add up to the credited amount to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum

from synthesq.core.money import quantum

from .models import CreditNote, CreditNoteLine, Invoice, InvoiceLine

ZERO = Decimal(0)
MINUS = "\N{MINUS SIGN}"  # as printed before an amount taken off


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def invoice_line_discounts(line: InvoiceLine) -> tuple[Decimal, Decimal]:
    """(the line's own discount, its share of the order's discounts), as the invoice copied them."""
    discounts = line.discounts or {}
    own = (discounts.get("discount") or {}).get("amount")
    return _decimal(own), _decimal(discounts.get("order_discount_amount"))


def describe(discount: dict[str, Any] | None, currency: str) -> str:
    """A discount as entered: "5%" or "10.00 USD", with its reason."""
    if not discount:
        return ""
    shown = f"{discount['value']}%" if discount["type"] == "percent" else f"{discount['value']} {currency}"
    return f"{shown} ({discount['reason']})" if discount.get("reason") else shown


def order_discount_rows(invoice: Invoice, lines: list[InvoiceLine], fmt: Any) -> list[dict[str, str]]:
    """The order's discounts as the totals print them, after the product lines' amount before discounts: its own
    discount, its promotion code's, and all discounts together (the lines' own too); none when nothing was
    discounted."""
    discounts = invoice.discounts or {}
    total = _decimal(discounts.get("discount_total"))
    if not total:
        return []
    before = sum((line.line_total for line in lines if line.kind == InvoiceLine.Kind.PRODUCT), ZERO)
    rows = [{"label": "Lines before discounts", "amount": fmt(before), "sign": ""}]
    own = discounts.get("discount")
    if own and _decimal(own.get("amount")):
        rows.append({"label": f"Order discount {describe(own, invoice.currency)}",
                     "amount": fmt(_decimal(own["amount"])), "sign": MINUS})
    if discounts.get("promotion_code"):
        rows.append({"label": f"Promotion code {discounts['promotion_code']}",
                     "amount": fmt(_decimal(discounts.get("promotion_discount"))), "sign": MINUS})
    rows.append({"label": "Discounts total", "amount": fmt(total), "sign": MINUS})
    return rows


def _proportional(total: Decimal, before: int, quantity: int, of: int, currency: str) -> Decimal:
    """``total``'s part for units ``before+1 .. before+quantity`` of ``of``, rounded cumulatively (half up)."""
    step = quantum(currency)

    def upto(units: int) -> Decimal:
        return (total * units / of).quantize(step, rounding=ROUND_HALF_UP)

    return upto(before + quantity) - upto(before)


def _units_before(line: CreditNoteLine) -> int:
    """Units of the same invoice line credited before this credit note line (earlier notes, earlier lines)."""
    note = line.credit_note
    earlier = (Q(credit_note__issued_at__lt=note.issued_at)
               | Q(credit_note__issued_at=note.issued_at, credit_note_id__lt=note.pk)
               | Q(credit_note_id=note.pk, position__lt=line.position))
    found = (CreditNoteLine.objects.filter(earlier, invoice_line_id=line.invoice_line_id)
             .aggregate(units=Sum("quantity"))["units"])
    return int(found or 0)


def credit_line_discounts(line: CreditNoteLine, note: CreditNote) -> tuple[Decimal, Decimal] | None:
    """(own discount, share of the order's) taken back by a credit note line of returned units; None for a line
    that credits an amount."""
    invoice_line = line.invoice_line
    if invoice_line is None:
        return None
    own, share = invoice_line_discounts(invoice_line)
    if not own and not share:
        return ZERO, ZERO
    entered = line.gross_amount if note.invoice.prices_include_tax else line.net_amount
    taken = line.line_total - entered
    if own and share:
        own = _proportional(own, _units_before(line), line.quantity, invoice_line.quantity, note.currency)
        return own, taken - own
    return (taken, ZERO) if own else (ZERO, taken)
