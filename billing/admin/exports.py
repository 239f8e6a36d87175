"""Exports of billing's lists (CSV, XLSX): the rows of the filtered list, amounts as decimals with currency."""

from __future__ import annotations

from synthesq.core.exports import ExportResource, amount, local_time, text

from ..models import Invoice, Payment


class InvoiceResource(ExportResource):
    number = text("number", "number")
    order = text("order", "order__order_number")
    customer = text("customer", "customer_name")
    status = text("status", "status")
    currency = text("currency", "currency")
    total = amount("total", "total")
    amount_paid = amount("amount paid", "amount_paid")
    amount_due = amount("amount due", "amount_due")
    issued_at = local_time("issued", "issued_at")
    due_at = local_time("due", "due_at")

    class Meta:
        model = Invoice
        fields = ("number", "order", "customer", "status", "currency", "total", "amount_paid", "amount_due",
                  "issued_at", "due_at")


class PaymentResource(ExportResource):
    received = local_time("received", "created_at")
    invoice = text("invoice", "invoice__number")
    order = text("order", "invoice__order__order_number")
    customer = text("customer", "invoice__customer_name")
    payment_method = text("method", "payment_method")
    reference = text("reference", "reference")
    currency = text("currency", "currency")
    amount = amount("amount", "amount")

    class Meta:
        model = Payment
        fields = ("received", "invoice", "order", "customer", "payment_method", "reference", "currency", "amount")

    def dehydrate_payment_method(self, payment: Payment) -> str:
        return payment.get_payment_method_display()  # "Bank transfer", not "bank_transfer"
