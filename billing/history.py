"""The keys of an invoice's history ``data``, declared once: the services write them, the admin (and any other
reader) reads them under the same names, and ``HistoryEvent.build`` refuses a key not declared here."""

from __future__ import annotations

from typing import Final

from synthesq.core.models import declared_keys


class InvoiceHistory:
    """Keys of ``InvoiceEvent.data``."""

    ORDER_ID: Final = "order_id"  # created
    ORDER_NUMBER: Final = "order_number"  # created
    TOTAL: Final = "total"  # created: the invoice's total; credit note issued: the credit note's total
    NUMBER: Final = "number"  # issued: the invoice's number; credit note issued: the credit note's number
    DUE_AT: Final = "due_at"  # issued
    BATCH: Final = "batch"  # issued by the nightly batch
    PAYMENT_ID: Final = "payment_id"  # payment or refund recorded
    AMOUNT: Final = "amount"  # payment or refund recorded
    PAYMENT_METHOD: Final = "payment_method"  # payment recorded
    REFERENCE: Final = "reference"  # payment or refund recorded
    AMOUNT_PAID: Final = "amount_paid"  # payment recorded: paid in all
    CREDIT_NOTE_ID: Final = "credit_note_id"  # credit note issued
    RETURN_ID: Final = "return_id"  # credit note issued for a return
    AMOUNT_CREDITED: Final = "amount_credited"  # credit note issued: credited in all
    AMOUNT_DUE: Final = "amount_due"  # credit note issued
    NET_TOTAL: Final = "net_total"  # credit note issued: its net
    TAX_TOTAL: Final = "tax_total"  # credit note issued: its tax
    REFUND_ID: Final = "refund_id"  # refund recorded
    AMOUNT_REFUNDED: Final = "amount_refunded"  # refund recorded: refunded in all
    AMOUNT_REFUNDABLE: Final = "amount_refundable"  # refund recorded: still refundable


INVOICE_HISTORY_KEYS: Final = declared_keys(InvoiceHistory)
