"""Billing's refusals in staff's words (see ``synthesq.core.admin_messages``): invoice numbers and payments as
staff know them, linked, and plain words for the API's field names; built from each exception's data."""

from __future__ import annotations

from django.utils.html import format_html

from synthesq.core.admin_messages import staff_wording
from synthesq.core.admin_tools import admin_link, local_day
from synthesq.core.money import format_money

from ..exceptions import (
    DuplicatePaymentReference,
    InvoiceHasPayments,
    InvoiceNotCreditable,
    InvoiceNotPayable,
    RefundExceedsCredit,
)
from ..models import Invoice, Payment


def invoice_named(invoice_id: str | None) -> str:
    """An invoice as staff name it: its number (a draft: "the draft invoice"), linked to its page."""
    invoice = Invoice.objects.filter(pk=invoice_id).only("pk", "number", "customer_name").first()
    if invoice is None:
        return "the invoice"
    return admin_link("admin:billing_invoice_change", invoice.pk, invoice.number or "the draft invoice")


@staff_wording(DuplicatePaymentReference)
def duplicate_payment_reference(exc: DuplicatePaymentReference) -> str:
    payment = Payment.objects.filter(pk=exc.extra["payment_id"]).select_related("invoice").first()
    if payment is None:
        return format_html("A payment with reference {!r} is already recorded on {}.", exc.extra["reference"],
                           invoice_named(exc.extra["invoice_id"]))
    recorded = f"the payment of {format_money(payment.amount, payment.currency)} on {local_day(payment.created_at)}"
    return format_html("A payment with reference {!r} is already recorded on invoice {}: {}.",
                       payment.reference, invoice_named(payment.invoice_id),
                       admin_link("admin:billing_payment_change", payment.pk, recorded))


@staff_wording(InvoiceHasPayments)
def invoice_has_payments(exc: InvoiceHasPayments) -> str:
    return format_html("Invoice {} has payments ({}); it cannot be voided.", invoice_named(exc.extra["invoice_id"]),
                       exc.extra["amount_paid"])


@staff_wording(InvoiceNotPayable)
def invoice_not_payable(exc: InvoiceNotPayable) -> str:
    return format_html("Invoice {} is {}; it takes no more payments.", invoice_named(exc.extra["invoice_id"]),
                       exc.extra["invoice_status"])


@staff_wording(InvoiceNotCreditable)
def invoice_not_creditable(exc: InvoiceNotCreditable) -> str | None:
    if not exc.extra.get("invoice_id") or not exc.extra.get("invoice_status"):
        return None  # a refusal about the return, not the invoice: its detail names no id
    return format_html("Invoice {} is {}; only issued or paid invoices take credit notes.",
                       invoice_named(exc.extra["invoice_id"]), exc.extra["invoice_status"])


@staff_wording(RefundExceedsCredit)
def refund_exceeds_credit(exc: RefundExceedsCredit) -> str:
    return (f"A refund of {exc.extra['amount']} is more than the invoice owes back to the customer, "
            f"{exc.extra['amount_refundable']}: money goes back only when a credit note makes it owed.")
