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
