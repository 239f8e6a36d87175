"""Payments: money received against an invoice. Checked against the locked invoice (after its order), so
concurrent payments can never together exceed its total."""

from __future__ import annotations

from decimal import Decimal

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import format_amount, quantize, require_positive_amount

from .. import events, selectors, telemetry
from ..exceptions import DuplicatePaymentReference, InvoiceNotPayable, Overpayment, PaymentCurrencyMismatch
from ..history import InvoiceHistory
from ..models import Invoice, InvoiceEvent, InvoiceStatus, Payment
from .invoices import invoice_issue_locked, invoice_settle_if_paid

PAYMENT_PERMISSION = "billing.add_payment"


def _check_payment(invoice: Invoice, *, amount: Decimal, currency: str, reference: str) -> None:
    """Refusals, in the order a client fixes them: the invoice's state, the currency, the amount, the
    reference, then the amount against what is due."""
    if not invoice.payable:
        raise InvoiceNotPayable(invoice_id=invoice.pk, status=invoice.status)
    if currency != invoice.currency:
        raise PaymentCurrencyMismatch(invoice_currency=invoice.currency, payment_currency=currency)
    require_positive_amount(amount, currency)
    if not reference:
        raise ValidationFailed(errors=[field_error("reference", "Required.", "required")])
    duplicate_id = getattr(invoice, "duplicate_payment_id", None)  # read with the invoice's lock
    if duplicate_id is not None:
        raise DuplicatePaymentReference(invoice_id=invoice.pk, reference=reference, payment_id=duplicate_id)
    if quantize(amount, currency) > invoice.amount_due:
        raise Overpayment(amount=quantize(amount, currency), amount_due=invoice.amount_due)


@publishes_events
def payment_record(
    *,
    invoice_id: str,
    amount: Decimal,
    currency: str,
    payment_method: str,
    reference: str,
    actor: Actor,
) -> Payment:
    """Record money received. A draft invoice is issued first; partial payments add up; the invoice
    becomes ``paid`` when they reach its total. Refused: void or paid invoice (409), other currency (422),
    more than the amount due (422), a reference already booked on this invoice (409), the wrong role (403)."""
    require_permission(actor, PAYMENT_PERMISSION, "Your role may not record payments.")
    reference = reference.strip()
    invoice = selectors.invoice_lock_with_order(invoice_id, payment_reference=reference)
    if invoice is None:
        raise ValidationFailed(f"Unknown invoice {invoice_id!r}.",
                               errors=[field_error("invoice_id", f"Unknown invoice {invoice_id!r}.", "not_found")])
    _check_payment(invoice, amount=amount, currency=currency, reference=reference)
    amount = quantize(amount, currency)
    # Issuing a draft, the payment and settling: one UPDATE of the invoice and one INSERT of its history rows.
    history: list[InvoiceEvent] = []
    if invoice.status == InvoiceStatus.DRAFT:
        invoice_issue_locked(invoice, actor=actor, check_permission=False,
                             reason="payment received on a draft invoice", history=history)
    payment = Payment(
        invoice=invoice, amount=amount, currency=currency, payment_method=payment_method, reference=reference,
        recorded_by=actor,
    )
    payment.save(force_insert=True)
    invoice.amount_paid += amount
    history.append(InvoiceEvent.build(
        invoice, kind=InvoiceEvent.Kind.PAYMENT_RECORDED, actor=actor, from_status=invoice.status,
        to_status=invoice.status,
        data={InvoiceHistory.PAYMENT_ID: payment.pk, InvoiceHistory.AMOUNT: str(amount),
              InvoiceHistory.PAYMENT_METHOD: payment_method, InvoiceHistory.REFERENCE: reference,
              InvoiceHistory.AMOUNT_PAID: format_amount(invoice.amount_paid, currency)}))
    events.publish_payment(payment)
    invoice_settle_if_paid(invoice, actor=actor, reason="paid in full", history=history)
    invoice.save()
    InvoiceEvent.objects.bulk_create(history)
    telemetry.payment_recorded(payment_id=payment.pk, invoice_id=invoice.pk, amount=amount, currency=currency,
                                     payment_method=payment_method, invoice_status=invoice.status,
                                     actor_id=getattr(actor, "pk", None))
    return payment
