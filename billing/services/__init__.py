"""Writes for billing: invoices (``invoices``), payments (``payments``), credit notes (``credit_notes``),
refunds (``refunds``) and the batch close's bulk issuing (``closing``). Import the functions from here:
``from billing import services``."""

from .closing import invoices_issue_for_closed_orders
from .credit_notes import (
    CreditLine,
    credit_note_check_return,
    credit_note_issue,
    credit_note_issue_for_return,
    credit_note_issue_locked,
    credit_note_number,
    credit_note_number_sequence,
)
from .invoices import (
    invoice_create_for_order,
    invoice_due_at,
    invoice_finalise_for_closed_order,
    invoice_issue,
    invoice_number,
    invoice_number_sequence,
    invoice_rewrite_for_amended_order,
    invoice_transition,
    invoice_void,
    invoice_void_for_cancelled_order,
)
from .payments import payment_record
from .refunds import refund_record

__all__ = [
    "CreditLine",
    "credit_note_check_return",
    "credit_note_issue",
    "credit_note_issue_for_return",
    "credit_note_issue_locked",
    "credit_note_number",
    "credit_note_number_sequence",
    "invoice_create_for_order",
    "invoice_due_at",
    "invoice_finalise_for_closed_order",
    "invoice_issue",
    "invoice_number",
    "invoice_number_sequence",
    "invoice_rewrite_for_amended_order",
    "invoice_transition",
    "invoice_void",
    "invoice_void_for_cancelled_order",
    "invoices_issue_for_closed_orders",
    "payment_record",
    "refund_record",
]
