"""Refunds: money paid back on a payment once a credit note has made it owed. A refund never exceeds its
payment less earlier refunds, nor the invoice's ``amount_refundable`` (paid - refunded - (total - credited)).

Locks: the invoice's order, the invoice, then the payment (the system's one order), so concurrent refunds on
one invoice queue and can never together pay back more than is owed."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import format_amount, quantize, require_positive_amount

from .. import events, selectors
from ..exceptions import RefundCurrencyMismatch, RefundExceedsCredit, RefundExceedsPayment
from ..history import InvoiceHistory
from ..models import InvoiceEvent, Payment, Refund

REFUND_PERMISSION = "billing.add_refund"


def _unknown_payment(payment_id: str) -> ValidationFailed:
    message = f"Unknown payment {payment_id!r}."
    return ValidationFailed(message, errors=[field_error("payment_id", message, "not_found")])


@publishes_events
def refund_record(*, payment_id: str, amount: Decimal, currency: str | None = None, reason: str, reference: str,
                  actor: Actor) -> Refund:
    """Record money paid back on a payment (finance). Refused: another currency than the payment's (422
    ``currency_mismatch``), more than the payment less its earlier refunds (422 ``refund_exceeds_payment``),
    more than the invoice's ``amount_refundable`` (422 ``refund_exceeds_credit``), the wrong role (403)."""
    require_permission(actor, REFUND_PERMISSION, "Your role may not record refunds.")
    invoice_id = Payment.objects.filter(pk=payment_id).values_list("invoice_id", flat=True).first()
    if invoice_id is None:
        raise _unknown_payment(payment_id)
    invoice = selectors.invoice_get_for_update(invoice_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    currency = currency or payment.currency
    if currency != payment.currency:
        raise RefundCurrencyMismatch(payment_currency=payment.currency, refund_currency=currency)
    require_positive_amount(amount, currency)
    reason, reference = reason.strip(), reference.strip()
    for name, value in (("reason", reason), ("reference", reference)):
        if not value:
            raise ValidationFailed(errors=[field_error(name, "Required.", "required")])
    amount = quantize(amount, currency)
    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if amount > payment.amount - refunded:
        raise RefundExceedsPayment(amount=amount, refundable=payment.amount - refunded, currency=currency)
    if amount > invoice.amount_refundable:
        raise RefundExceedsCredit(amount=amount, refundable=invoice.amount_refundable, currency=currency)
    refund = Refund.objects.create(payment=payment, invoice=invoice, amount=amount, currency=currency, reason=reason,
                                   reference=reference, recorded_at=timezone.now(), recorded_by=actor)
    invoice.amount_refunded += amount
    invoice.save(update_fields=["amount_refunded", "updated_at"])
    InvoiceEvent.record(invoice, kind=InvoiceEvent.Kind.REFUND_RECORDED, actor=actor, from_status=invoice.status,
                        to_status=invoice.status, reason=reason,
                        data={InvoiceHistory.REFUND_ID: refund.pk, InvoiceHistory.PAYMENT_ID: payment.pk,
                              InvoiceHistory.AMOUNT: format_amount(amount, currency),
                              InvoiceHistory.REFERENCE: reference,
                              InvoiceHistory.AMOUNT_REFUNDED: format_amount(invoice.amount_refunded, currency),
                              InvoiceHistory.AMOUNT_REFUNDABLE: format_amount(invoice.amount_refundable, currency)})
    events.publish_refund(refund.pk)
    return refund
