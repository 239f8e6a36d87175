from __future__ import annotations

from decimal import Decimal

from synthesq.core.errors import BusinessRuleViolation, Conflict, InvalidTransition
from synthesq.core.money import format_amount


class InvalidInvoiceTransition(InvalidTransition):
    subject = "An invoice"


class InvoiceHasPayments(Conflict):
    code = "invoice_has_payments"
    title = "Invoice has payments"

    def __init__(self, *, invoice_id: str, amount_paid: Decimal, currency: str, detail: str | None = None) -> None:
        shown = format_amount(amount_paid, currency)
        super().__init__(
            detail or f"Invoice {invoice_id} has payments ({shown}); it cannot be voided.",
            invoice_id=invoice_id, amount_paid=shown,
        )


class InvoiceHasCredit(Conflict):
    """A credited invoice is never voided (it stays, corrected by its credit notes), so neither is the order that
    owns it cancelled. The problem names the invoice and its credit notes, for the client to show or follow."""

    code = "invoice_has_credit"
    title = "Invoice has credit notes"

    def __init__(self, *, invoice_id: str, invoice_number: str | None, amount_credited: Decimal, currency: str,
                 credit_notes: list[dict[str, str]], order_number: str | None = None) -> None:
        shown = format_amount(amount_credited, currency)
        numbers = ", ".join(str(note["number"]) for note in credit_notes)
        invoice = invoice_number or invoice_id
        if order_number is not None:
            detail = (f"Order {order_number} cannot be cancelled: its invoice {invoice} has been credited "
                      f"({shown} {currency} by {numbers}), and a credited invoice is never voided.")
        else:
            detail = (f"Invoice {invoice} has been credited ({shown} {currency} by {numbers}); a credited invoice "
                      "is never voided: it stays, corrected by its credit notes.")
        super().__init__(detail, invoice_id=invoice_id, invoice_number=invoice_number, amount_credited=shown,
                         currency=currency, credit_notes=credit_notes)


class InvoiceNotPayable(Conflict):
    code = "invoice_not_payable"
    title = "Invoice does not take payments"

    def __init__(self, *, invoice_id: str, status: str) -> None:
        super().__init__(f"Invoice {invoice_id} is {status}; it takes no more payments.",
                         invoice_id=invoice_id, invoice_status=str(status))


class DuplicatePaymentReference(Conflict):
    code = "duplicate_payment_reference"
    title = "Payment already recorded"

    def __init__(self, *, invoice_id: str, reference: str, payment_id: str) -> None:
        super().__init__(
            f"A payment with reference {reference!r} is already recorded on invoice {invoice_id} ({payment_id}).",
            invoice_id=invoice_id, reference=reference, payment_id=payment_id,
        )


class PaymentCurrencyMismatch(BusinessRuleViolation):
    code = "currency_mismatch"
    title = "Currency mismatch"

    def __init__(self, *, invoice_currency: str, payment_currency: str) -> None:
        super().__init__(
            f"The invoice is in {invoice_currency}; a payment in {payment_currency} cannot be recorded on it.",
            invoice_currency=invoice_currency, payment_currency=payment_currency,
        )


class Overpayment(BusinessRuleViolation):
    code = "overpayment"
    title = "Payment exceeds the amount due"

    def __init__(self, *, amount: Decimal, amount_due: Decimal) -> None:
        super().__init__(f"The payment of {amount} exceeds the amount due, {amount_due}.",
                         amount=str(amount), amount_due=str(amount_due))


class InvoiceNotCreditable(Conflict):
    code = "invoice_not_creditable"
    title = "Invoice cannot be credited"

    def __init__(self, *, invoice_id: str | None, status: str | None, detail: str | None = None) -> None:
        super().__init__(detail or f"Invoice {invoice_id} is {status}; only issued or paid invoices take credit notes.",
                         invoice_id=invoice_id, invoice_status=str(status) if status else None)


class CreditExceedsInvoice(BusinessRuleViolation):
    code = "credit_exceeds_invoice"
    title = "Credit exceeds the invoice"

    def __init__(self, *, amount: Decimal, creditable: Decimal, currency: str) -> None:
        super().__init__(
            f"A credit of {format_amount(amount, currency)} exceeds what is left to credit on the invoice, "
            f"{format_amount(creditable, currency)} (its total less earlier credit notes).",
            amount=format_amount(amount, currency), creditable=format_amount(creditable, currency),
        )


class RefundExceedsPayment(BusinessRuleViolation):
    code = "refund_exceeds_payment"
    title = "Refund exceeds the payment"

    def __init__(self, *, amount: Decimal, refundable: Decimal, currency: str) -> None:
        super().__init__(
            f"A refund of {format_amount(amount, currency)} exceeds what is left of the payment, "
            f"{format_amount(refundable, currency)} (its amount less earlier refunds).",
            amount=format_amount(amount, currency), payment_refundable=format_amount(refundable, currency),
        )


class RefundExceedsCredit(BusinessRuleViolation):
    code = "refund_exceeds_credit"
    title = "Refund exceeds what is owed"

    def __init__(self, *, amount: Decimal, refundable: Decimal, currency: str) -> None:
        super().__init__(
            f"A refund of {format_amount(amount, currency)} exceeds the invoice's amount_refundable, "
            f"{format_amount(refundable, currency)}: money goes back only when a credit note makes it owed.",
            amount=format_amount(amount, currency), amount_refundable=format_amount(refundable, currency),
        )


class RefundCurrencyMismatch(BusinessRuleViolation):
    code = "currency_mismatch"  # the payments' code: one code for "not in this currency"
    title = "Currency mismatch"

    def __init__(self, *, payment_currency: str, refund_currency: str) -> None:
        super().__init__(
            f"The payment is in {payment_currency}; a refund in {refund_currency} cannot be recorded on it.",
            payment_currency=payment_currency, refund_currency=refund_currency,
        )


class InvoiceIssued(Conflict):
    """An order amended after its invoice was issued: an issued invoice is never rewritten."""

    code = "invoice_issued"
    title = "Invoice already issued"

    def __init__(self, *, invoice_id: str, invoice_number: str | None, status: str) -> None:
        super().__init__(
            f"The order's invoice {invoice_number or invoice_id} is {status}; an issued invoice is never rewritten. "
            "Void it (or credit it) first, then amend the order.",
            invoice_id=invoice_id, invoice_number=invoice_number, invoice_status=str(status),
        )
