"""Credit notes: corrections of an issued (or paid) invoice, from a credited return, a price adjustment or
goodwill. Each is numbered ``CN-YYYY-NNNNNN`` from its own gap-free counter per year, taken in the issuing
transaction, and adds to the invoice's ``amount_credited``, which never exceeds its total.

Locks follow the one order of the whole system (order → return → invoice → payment): the invoice's order, then
the invoice, so concurrent credit notes on one invoice queue and can never together credit more than its total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from integrations.events import publishes_events
from sales.models import RETURN_OPEN_STATUSES, Return, ReturnLine
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import format_amount, quantize, require_positive_amount
from synthesq.core.pricing import CreditExceedsInvoice as EngineCreditExceeds
from synthesq.core.pricing import Document, credit_for_amount, credit_for_quantity, document_of
from synthesq.core.sequences import sequence_next

from .. import events, selectors
from ..exceptions import CreditExceedsInvoice, InvoiceNotCreditable
from ..history import InvoiceHistory
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus
from . import credit_pricing
from .invoices import invoice_issue_locked, invoice_settle_if_paid

CREDIT_PERMISSION = "billing.add_creditnote"
MAX_QUANTITY = 1_000_000  # as on order lines


def credit_note_number_sequence(year: int) -> str:
    return f"credit-note-{year}"


def credit_note_number(year: int, value: int) -> str:
    return f"CN-{year}-{value:06d}"


@dataclass(frozen=True)
class CreditLine:
    """One line of a credit note to issue: what is credited, how many, at what unit price."""

    description: str
    quantity: int
    unit_price: Decimal
    product_id: str = ""
    invoice_line_id: int | None = None  # returned units of this invoice line (credited at its net and rates)


def _credit_lines(*, lines: Sequence[CreditLine | dict[str, Any]] | None, amount: Decimal | None, reason: str,
                  currency: str) -> list[CreditLine]:
    """The lines to issue: the given ones, or one line "Credit: <reason>" for ``amount``. 400 naming the field
    when both or neither are given, or a quantity or price is not positive."""
    if (lines is None) == (amount is None) or (lines is not None and not lines):
        message = "Send either lines or amount."
        raise ValidationFailed(message, errors=[field_error("lines", message, "required")])
    if amount is not None:
        require_positive_amount(amount, currency)
        return [CreditLine(description=f"Credit: {reason}"[:200], quantity=1, unit_price=amount)]
    result: list[CreditLine] = []
    for index, given in enumerate(lines or []):
        line = given if isinstance(given, CreditLine) else CreditLine(
            description=given["description"], quantity=given["quantity"], unit_price=Decimal(given["unit_price"]),
            product_id=given.get("product_id", ""))
        if not 1 <= line.quantity <= MAX_QUANTITY:
            message = f"Must be between 1 and {MAX_QUANTITY}."
            raise ValidationFailed(message, errors=[field_error(f"lines[{index}].quantity", message)])
        require_positive_amount(line.unit_price, currency, f"lines[{index}].unit_price")
        if not line.description.strip():
            raise ValidationFailed(errors=[field_error(f"lines[{index}].description", "Required.", "required")])
        result.append(line)
    return result


def _check_creditable(invoice: Invoice | None, *, invoice_id: str) -> Invoice:
    if invoice is None:
        raise ValidationFailed(f"Unknown invoice {invoice_id!r}.",
                               errors=[field_error("invoice_id", f"Unknown invoice {invoice_id!r}.", "not_found")])
    if invoice.status == InvoiceStatus.VOID:
        raise InvoiceNotCreditable(invoice_id=invoice.pk, status=invoice.status)
    return invoice


@dataclass(frozen=True)
class _PricedLine:
    """A credit note line and what it credits, per invoice line (``document``: net, tax per rate, gross)."""

    line: CreditLine
    line_total: Decimal
    document: Document


def _returned_quantities(invoice: Invoice) -> dict[int, int]:
    """Units of each invoice line that earlier credit notes credited as returned."""
    rows = (CreditNoteLine.objects.filter(credit_note__invoice=invoice, invoice_line__isnull=False)
            .values("invoice_line_id").order_by().annotate(quantity=Sum("quantity")))
    return {row["invoice_line_id"]: row["quantity"] for row in rows}


def _price_lines(invoice: Invoice, lines: Sequence[CreditLine]) -> tuple[list[_PricedLine], Document]:
    """What each line credits: returned units of an invoice line in proportion to its quantity (cumulative
    rounding), any other line's amount over the invoice's rates in proportion to their gross; refused (422
    ``credit_exceeds_invoice``) when the gross, or any line's net or any rate's tax, would be credited beyond what
    the invoice left to credit."""
    currency = invoice.currency
    invoiced = credit_pricing.invoice_priced(invoice)
    items = {item.key: item for item in invoiced.items}
    quantities = {line.pk: line.quantity for line in invoice.lines.all()}
    returned = _returned_quantities(invoice)
    so_far = credit_pricing.credited_before(invoice.credit_notes.all(), currency)
    priced: list[_PricedLine] = []
    try:
        for line in lines:
            line_total = quantize(line.unit_price * line.quantity, currency)
            if line.invoice_line_id is not None:
                before = returned.get(line.invoice_line_id, 0)
                returned[line.invoice_line_id] = before + line.quantity
                document = document_of([credit_for_quantity(
                    items[str(line.invoice_line_id)], quantities[line.invoice_line_id], before, line.quantity,
                    currency)], currency)
            else:
                document = credit_for_amount(invoiced, so_far, line_total, currency)
            so_far = credit_pricing.combined([so_far, document], currency)
            priced.append(_PricedLine(line=line, line_total=line_total, document=document))
        if so_far is not None:
            credit_pricing.check_within_invoice(invoiced, so_far)
    except EngineCreditExceeds:
        raise CreditExceedsInvoice(amount=sum((quantize(line.unit_price * line.quantity, currency) for line in lines),
                                              Decimal(0)),
                                   creditable=invoice.total - invoice.amount_credited, currency=currency) from None
    return priced, credit_pricing.combined([p.document for p in priced], currency)


def _write_lines(credit_note: CreditNote, priced: Sequence[_PricedLine]) -> None:
    currency = credit_note.currency
    CreditNoteLine.objects.bulk_create([
        CreditNoteLine(credit_note=credit_note, position=position, invoice_line_id=p.line.invoice_line_id,
                       product_id=p.line.product_id, description=p.line.description[:200],
                       quantity=p.line.quantity, unit_price=quantize(p.line.unit_price, currency),
                       line_total=p.line_total,
                       tax_rate=p.document.items[0].rate_percent if p.line.invoice_line_id is not None else None,
                       net_amount=p.document.net, tax_amount=p.document.tax, gross_amount=p.document.gross,
                       taxes=credit_pricing.line_taxes_json(p.document, currency))
        for position, p in enumerate(priced, start=1)
    ])


def credit_note_issue_locked(invoice: Invoice, *, lines: Sequence[CreditLine], reason: str, actor: Actor,
                             return_: Return | None = None,
                             priced_lines: tuple[list[_PricedLine], Document] | None = None) -> CreditNote:
    """Issue a credit note on a locked, creditable invoice (its order locked first): a draft is issued first;
    the gross credited never exceeds the invoice's total, nor any rate's tax what was invoiced (422); an invoice
    left with nothing due is paid. ``priced_lines``: ``_price_lines`` of these lines, when already worked out."""
    currency = invoice.currency
    priced, credited = priced_lines or _price_lines(invoice, lines)
    total = credited.gross
    creditable = invoice.total - invoice.amount_credited
    if total > creditable:
        raise CreditExceedsInvoice(amount=total, creditable=creditable, currency=currency)
    if invoice.status == InvoiceStatus.DRAFT:
        invoice_issue_locked(invoice, actor=actor, check_permission=False, reason="credit note on a draft invoice")
    now = timezone.now()
    number = credit_note_number(now.year, sequence_next(credit_note_number_sequence(now.year)))
    credit_note = CreditNote.objects.create(
        number=number, invoice=invoice, sales_return=return_, reason=reason, currency=currency,
        net_total=credited.net, tax_total=credited.tax, total=total,
        taxes=credit_pricing.rows_json(credited, currency),
        credited_items=credit_pricing.items_json(credited, currency), issued_at=now, created_by=actor)
    _write_lines(credit_note, priced)
    invoice.amount_credited += total
    invoice.save(update_fields=["amount_credited", "updated_at"])
    InvoiceEvent.record(invoice, kind=InvoiceEvent.Kind.CREDIT_NOTE_ISSUED, actor=actor, from_status=invoice.status,
                        to_status=invoice.status, reason=reason,
                        data={InvoiceHistory.CREDIT_NOTE_ID: credit_note.pk, InvoiceHistory.NUMBER: number,
                              InvoiceHistory.NET_TOTAL: format_amount(credited.net, currency),
                              InvoiceHistory.TAX_TOTAL: format_amount(credited.tax, currency),
                              InvoiceHistory.TOTAL: format_amount(total, currency),
                              InvoiceHistory.AMOUNT_CREDITED: format_amount(invoice.amount_credited, currency),
                              InvoiceHistory.AMOUNT_DUE: format_amount(invoice.amount_due, currency),
                              **({InvoiceHistory.RETURN_ID: return_.pk} if return_ is not None else {})})
    invoice_settle_if_paid(invoice, actor=actor, reason="credited in full")
    events.publish_credit_note(credit_note.pk)  # after settling: the event shows the invoice as it is now
    return credit_note


@publishes_events
def credit_note_issue(*, invoice_id: str, lines: Sequence[CreditLine | dict[str, Any]] | None = None,
                      amount: Decimal | None = None, reason: str, actor: Actor) -> CreditNote:
    """Issue a credit note on an issued or paid invoice (finance): ``lines`` (description, quantity,
    unit_price) or one ``amount``. Refused: a void invoice (409 ``invoice_not_creditable``), more than its
    total less earlier credit notes (422 ``credit_exceeds_invoice``), the wrong role (403)."""
    require_permission(actor, CREDIT_PERMISSION, "Your role may not issue credit notes.")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(errors=[field_error("reason", "Required.", "required")])
    invoice = _check_creditable(selectors.invoice_lock_with_order(invoice_id), invoice_id=invoice_id)
    credit_lines = _credit_lines(lines=lines, amount=amount, reason=reason, currency=invoice.currency)
    return credit_note_issue_locked(invoice, lines=credit_lines, reason=reason, actor=actor)


def _invoice_of_return(return_: Return, *, lock: bool) -> Invoice:
    """The invoice a return is credited on: refused when there is none, or it is void (409
    ``invoice_not_creditable``)."""
    query = Invoice.objects.filter(order_id=return_.order_id)
    invoice = (query.select_for_update(of=("self",)) if lock else query).first()
    if invoice is None:
        raise InvoiceNotCreditable(
            invoice_id=None, status=None,
            detail=f"Return {return_.return_number}'s order has no invoice to credit.")
    if invoice.status == InvoiceStatus.VOID:
        raise InvoiceNotCreditable(
            invoice_id=invoice.pk, status=invoice.status,
            detail=f"Invoice {invoice.number or invoice.pk} is void; return {return_.return_number} cannot be "
                   "credited on it.")
    return invoice


def credit_note_check_return(*, return_: Return) -> None:
    """Refuse a return being requested that could never be credited, so that a received return always has its
    way to ``credited``: its order has no invoice or a void one (409 ``invoice_not_creditable``), or the order's
    open returns, this one included, would credit more gross than is left to credit, or more of a line's net or
    a rate's tax than was invoiced (422 ``credit_exceeds_invoice``).
    Runs in ``return_request``'s transaction through ``return_requested``, its order locked: no credit note on
    that invoice can commit meanwhile (they lock the order first)."""
    invoice = _invoice_of_return(return_, lock=False)
    open_lines = (ReturnLine.objects.filter(sales_return__order_id=return_.order_id,
                                            sales_return__status__in=RETURN_OPEN_STATUSES)
                  .select_related("order_line").order_by("sales_return_id", "position"))
    _, credited = _price_lines(invoice, _return_credit_lines(invoice, open_lines))  # 422 past a line's tax
    creditable = invoice.total - invoice.amount_credited
    if credited.gross > creditable:
        raise CreditExceedsInvoice(amount=credited.gross, creditable=creditable, currency=invoice.currency)


def _return_credit_lines(invoice: Invoice, return_lines: Iterable[ReturnLine]) -> list[CreditLine]:
    """Returned lines as credit lines of the invoice lines of their order lines (same position)."""
    invoice_lines = {line.position: line.pk for line in invoice.lines.all() if line.kind == InvoiceLine.Kind.PRODUCT}
    return [CreditLine(description=f"{line.order_line.name} (returned)", quantity=line.quantity,
                       unit_price=line.unit_price, product_id=line.product_id,
                       invoice_line_id=invoice_lines[line.order_line.position])
            for line in return_lines]


def credit_note_issue_for_return(*, return_: Return, actor: Actor) -> CreditNote | None:
    """The credit note of a credited return: each line credits its invoice line's net and tax in proportion to the
    units returned (the invoice line of the order line's position), on the order's invoice: what the customer
    paid for them, discounts taken off. Units the customer paid nothing for (discounted to zero) credit nothing: a
    return of only those is credited without a credit note (None). Runs in ``return_credit``'s transaction (the
    order and the return locked, the finance role checked there), through the ``return_credited`` signal; a
    refusal (no invoice or a void one: 409 ``invoice_not_creditable``; more than is left to credit: 422
    ``credit_exceeds_invoice``) refuses the whole change."""
    invoice = _invoice_of_return(return_, lock=True)
    lines = _return_credit_lines(invoice, return_.lines.all())
    priced = _price_lines(invoice, lines)
    if priced[1].gross == 0:
        return None
    reason = f"Return {return_.return_number}" + (f": {return_.reason}" if return_.reason else "")
    return credit_note_issue_locked(invoice, lines=lines, reason=reason[:255], actor=actor, return_=return_,
                                    priced_lines=priced)
