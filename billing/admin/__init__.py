"""Staff back-office for billing: invoices, payments, and billing's part of the order and customer pages, the
sidebar and the dashboard (registered on import)."""

from . import backoffice
from .invoices import InvoiceAdmin
from .payments import PaymentAdmin
from .sales_pages import InvoicedCustomerAdmin, InvoicedOrderAdmin

__all__ = ["InvoiceAdmin", "InvoicedCustomerAdmin", "InvoicedOrderAdmin", "PaymentAdmin", "backoffice"]
