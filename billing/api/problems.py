"""The problems the billing services raise, as OpenAPI components (see ``synthesq.core.problem_schemas``)."""

from __future__ import annotations

from billing.exceptions import (
    DuplicatePaymentReference,
    InvoiceHasPayments,
    InvoiceNotPayable,
    Overpayment,
    PaymentCurrencyMismatch,
)
from synthesq.core.problem_schemas import DECIMAL, STRING, also_returned_by, problem_doc

INVOICE_HAS_PAYMENTS = problem_doc("InvoiceHasPayments", error=InvoiceHasPayments,
                                   description="An invoice with payments cannot be voided (nor its order cancelled).",
                                   invoice_id=STRING, amount_paid=DECIMAL)
INVOICE_NOT_PAYABLE = problem_doc("InvoiceNotPayable", error=InvoiceNotPayable,
                                  description="Void and paid invoices take no payments.",
                                  invoice_id=STRING, invoice_status=STRING)
DUPLICATE_PAYMENT_REFERENCE = problem_doc("DuplicatePaymentReference", error=DuplicatePaymentReference,
                                          invoice_id=STRING, reference=STRING, payment_id=STRING)
PAYMENT_CURRENCY_MISMATCH = problem_doc("PaymentCurrencyMismatch", error=PaymentCurrencyMismatch,
                                        invoice_currency=STRING, payment_currency=STRING)
OVERPAYMENT = problem_doc("Overpayment", error=Overpayment, description="More than the invoice's `amount_due`.",
                          amount=DECIMAL, amount_due=DECIMAL)

# Cancelling a confirmed order voids its invoice, which billing refuses while the invoice has payments.
also_returned_by("order", "change_status", INVOICE_HAS_PAYMENTS.name)
