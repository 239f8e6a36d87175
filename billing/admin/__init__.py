"""Staff back-office for billing: invoices, payments, credit notes and refunds, and billing's part of the order
and customer pages, the sidebar and the dashboard (registered on import)."""

from . import backoffice, messages
from .credit_notes import CreditNoteAdmin, RefundAdmin
from .invoices import InvoiceAdmin
from .payments import PaymentAdmin
from .return_pages import CreditedReturnAdmin
from .sales_pages import InvoicedCustomerAdmin, InvoicedOrderAdmin

__all__ = [
    "CreditNoteAdmin",
    "CreditedReturnAdmin",
    "InvoiceAdmin",
    "InvoicedCustomerAdmin",
    "InvoicedOrderAdmin",
    "PaymentAdmin",
    "RefundAdmin",
    "backoffice",
    "messages",
]
