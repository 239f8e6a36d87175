"""Credit notes: corrections of an issued (or paid) invoice, from a credited return, a price adjustment or
goodwill. Each is numbered ``CN-YYYY-NNNNNN`` from its own gap-free counter per year, taken in the issuing
transaction, and adds to the invoice's ``amount_credited``, which never exceeds its total.

Locks follow the one order of the whole system (order → return → invoice → payment): the invoice's order, then
the invoice, so concurrent credit notes on one invoice queue and can never together credit more than its total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from integrations.events import publishes_events
from sales.models import RETURN_OPEN_STATUSES, Return
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import format_amount, quantize, require_positive_amount
from synthesq.core.sequences import sequence_next

from .. import events, selectors
from ..exceptions import CreditExceedsInvoice, InvoiceNotCreditable
from ..history import InvoiceHistory
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceEvent, InvoiceStatus
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


def credit_note_issue_locked(invoice: Invoice, *, lines: Sequence[CreditLine], reason: str, actor: Actor,
                             return_: Return | None = None) -> CreditNote:
    """Issue a credit note on a locked, creditable invoice (its order locked first): a draft is issued first;
    the total credited never exceeds the invoice's total (422); an invoice left with nothing due is paid."""
    currency = invoice.currency
    priced = [(line, quantize(line.unit_price * line.quantity, currency)) for line in lines]
    total = sum((line_total for _, line_total in priced), Decimal(0))
    creditable = invoice.total - invoice.amount_credited
    if total > creditable:
        raise CreditExceedsInvoice(amount=total, creditable=creditable, currency=currency)
    if invoice.status == InvoiceStatus.DRAFT:
        invoice_issue_locked(invoice, actor=actor, check_permission=False, reason="credit note on a draft invoice")
    now = timezone.now()
    number = credit_note_number(now.year, sequence_next(credit_note_number_sequence(now.year)))
    credit_note = CreditNote.objects.create(number=number, invoice=invoice, sales_return=return_, reason=reason,
                                            currency=currency, total=total, issued_at=now, created_by=actor)
    CreditNoteLine.objects.bulk_create([
        CreditNoteLine(credit_note=credit_note, position=position, product_id=line.product_id,
                       description=line.description[:200], quantity=line.quantity,
                       unit_price=quantize(line.unit_price, currency), line_total=line_total)
        for position, (line, line_total) in enumerate(priced, start=1)
    ])
    invoice.amount_credited += total
    invoice.save(update_fields=["amount_credited", "updated_at"])
    InvoiceEvent.record(invoice, kind=InvoiceEvent.Kind.CREDIT_NOTE_ISSUED, actor=actor, from_status=invoice.status,
                        to_status=invoice.status, reason=reason,
                        data={InvoiceHistory.CREDIT_NOTE_ID: credit_note.pk, InvoiceHistory.NUMBER: number,
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
    open returns, this one included, are worth more than is left to credit (422 ``credit_exceeds_invoice``).
    Runs in ``return_request``'s transaction through ``return_requested``, its order locked: no credit note on
    that invoice can commit meanwhile (they lock the order first)."""
    invoice = _invoice_of_return(return_, lock=False)
    open_value = (Return.objects.filter(order_id=return_.order_id, status__in=RETURN_OPEN_STATUSES)
                  .aggregate(total=Sum("value"))["total"]) or Decimal(0)
    creditable = invoice.total - invoice.amount_credited
    if open_value > creditable:
        raise CreditExceedsInvoice(amount=open_value, creditable=creditable, currency=invoice.currency)


def credit_note_issue_for_return(*, return_: Return, actor: Actor) -> CreditNote:
    """The credit note of a credited return: its lines at the order's prices, on the order's invoice. Runs in
    ``return_credit``'s transaction (the order and the return locked, the finance role checked there), through
    the ``return_credited`` signal; a refusal (no invoice or a void one: 409 ``invoice_not_creditable``; more
    than is left to credit: 422 ``credit_exceeds_invoice``) refuses the whole change."""
    invoice = _invoice_of_return(return_, lock=True)
    lines = [CreditLine(description=f"{line.order_line.name} (returned)", quantity=line.quantity,
                        unit_price=line.unit_price, product_id=line.product_id)
             for line in return_.lines.all()]
    reason = f"Return {return_.return_number}" + (f": {return_.reason}" if return_.reason else "")
    return credit_note_issue_locked(invoice, lines=lines, reason=reason[:255], actor=actor, return_=return_)
