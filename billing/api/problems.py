"""The problems the billing services raise, as OpenAPI components (see ``synthesq.core.problem_schemas``)."""

from __future__ import annotations

from billing.exceptions import (
    CreditExceedsInvoice,
    DuplicatePaymentReference,
    InvoiceHasCredit,
    InvoiceHasPayments,
    InvoiceIssued,
    InvoiceNotCreditable,
    InvoiceNotPayable,
    Overpayment,
    PaymentCurrencyMismatch,
    RefundCurrencyMismatch,
    RefundExceedsCredit,
    RefundExceedsPayment,
)
from synthesq.core.problem_schemas import DECIMAL, STRING, also_returned_by, array_of, helper_component, problem_doc

INVOICE_HAS_PAYMENTS = problem_doc("InvoiceHasPayments", error=InvoiceHasPayments,
                                   description="An invoice with payments cannot be voided (nor its order cancelled).",
                                   invoice_id=STRING, amount_paid=DECIMAL)
INVOICE_HAS_CREDIT = problem_doc(
    "InvoiceHasCredit", error=InvoiceHasCredit,
    description="An invoice that carries credit notes cannot be voided (nor its order cancelled): it stays, "
                "corrected by them. The problem names the invoice, what was credited and each credit note.",
    invoice_id=STRING, invoice_number=STRING, amount_credited=DECIMAL, currency=STRING,
    credit_notes=array_of(helper_component("InvoiceHasCreditNote", {
        "type": "object",
        "required": ["id", "number", "total"],
        "properties": {
            "id": {**STRING, "description": "The credit note's id (`cn_…`)."},
            "number": {**STRING, "description": "Its number (`CN-YYYY-NNNNNN`)."},
            "total": DECIMAL,
        },
    })),
)
INVOICE_NOT_PAYABLE = problem_doc("InvoiceNotPayable", error=InvoiceNotPayable,
                                  description="Void and paid invoices take no payments.",
                                  invoice_id=STRING, invoice_status=STRING)
DUPLICATE_PAYMENT_REFERENCE = problem_doc("DuplicatePaymentReference", error=DuplicatePaymentReference,
                                          invoice_id=STRING, reference=STRING, payment_id=STRING)
PAYMENT_CURRENCY_MISMATCH = problem_doc("PaymentCurrencyMismatch", error=PaymentCurrencyMismatch,
                                        invoice_currency=STRING, payment_currency=STRING)
OVERPAYMENT = problem_doc("Overpayment", error=Overpayment, description="More than the invoice's `amount_due`.",
                          amount=DECIMAL, amount_due=DECIMAL)
INVOICE_NOT_CREDITABLE = problem_doc("InvoiceNotCreditable", error=InvoiceNotCreditable,
                                     description="Only issued or paid invoices take credit notes (a draft is "
                                                 "issued first); a void one, or an order without invoice, cannot.",
                                     invoice_id={"type": "string", "nullable": True},
                                     invoice_status={"type": "string", "nullable": True})
CREDIT_EXCEEDS_INVOICE = problem_doc("CreditExceedsInvoice", error=CreditExceedsInvoice,
                                     description="The credit notes of an invoice never add up to more than its total.",
                                     amount=DECIMAL, creditable=DECIMAL)
REFUND_EXCEEDS_PAYMENT = problem_doc("RefundExceedsPayment", error=RefundExceedsPayment,
                                     description="More than the payment less its earlier refunds.",
                                     amount=DECIMAL, payment_refundable=DECIMAL)
REFUND_EXCEEDS_CREDIT = problem_doc("RefundExceedsCredit", error=RefundExceedsCredit,
                                    description="More than the invoice's `amount_refundable`: money goes back only "
                                                "when a credit note makes it owed.",
                                    amount=DECIMAL, amount_refundable=DECIMAL)
REFUND_CURRENCY_MISMATCH = problem_doc("RefundCurrencyMismatch", error=RefundCurrencyMismatch,
                                       payment_currency=STRING, refund_currency=STRING)

INVOICE_ISSUED = problem_doc("InvoiceIssued", error=InvoiceIssued,
                             description="An issued invoice is never rewritten: void it (or credit it) first.",
                             invoice_id=STRING, invoice_number=STRING, invoice_status=STRING)

# Cancelling a confirmed order voids its invoice, which billing refuses while the invoice has payments or credit.
also_returned_by("order", "change_status", InvoiceHasPayments, InvoiceHasCredit)
# Crediting a return issues its credit note through billing's receiver, which may refuse it.
also_returned_by("return", "change_status", InvoiceNotCreditable, CreditExceedsInvoice)
# Requesting a return is refused when billing could never credit it (no or a void invoice, too little left).
also_returned_by("order", "returns", InvoiceNotCreditable, CreditExceedsInvoice)
# Amending an order rewrites its draft invoice through billing's receiver, which refuses an issued one.
also_returned_by("order", "amendments", InvoiceIssued)
