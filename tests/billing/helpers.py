"""URLs, snapshots and calls shared by the billing tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceEvent, InvoiceLine, Payment, Refund
from inventory.models import Product, StockMovement
from sales.models import Order, OrderEvent
from synthesq.core.models import IdempotencyKey, Sequence
from tests.helpers import assert_problem, error_fields, follow_pages, rows_of
from tests.sales.helpers import ORDERS_URL

__all__ = [
    "CREDIT_NOTES_URL",
    "INVOICES_URL",
    "PAYMENTS_URL",
    "REFUNDS_URL",
    "assert_figures_add_up",
    "assert_problem",
    "billing_state",
    "error_fields",
    "figures",
    "follow_pages",
    "invoice_number",
    "invoice_url",
    "order_status_url",
    "pay",
    "payment_body",
    "snapshot",
]

INVOICES_URL = "/api/v1/sales/invoices"
CREDIT_NOTES_URL = "/api/v1/sales/credit-notes"
REFUNDS_URL = "/api/v1/sales/refunds"
PAYMENTS_URL = "/api/v1/sales/payments"


def invoice_url(invoice_id: str, suffix: str = "") -> str:
    return f"{INVOICES_URL}/{invoice_id}{suffix}"


def order_status_url(order_id: str) -> str:
    return f"{ORDERS_URL}/{order_id}/status"


def invoice_number(value: int, year: int | None = None) -> str:
    return f"INV-{year or timezone.now().year}-{value:06d}"


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row billing, orders and stock are made of, to show a refused request changed nothing: invoice
    status, number and amount_paid, payments, invoice and order history, order status, stock and ledger,
    credit notes and refunds, the numbering counters and the idempotency keys."""
    return rows_of(Invoice, InvoiceLine, InvoiceEvent, Payment, CreditNote, CreditNoteLine, Refund, Order, OrderEvent,
                   Product, StockMovement, Sequence, IdempotencyKey)


def billing_state(invoice_id: str) -> tuple[Any, ...]:
    """The few things a reader cares about on one invoice, for readable assertions."""
    invoice = Invoice.objects.get(pk=invoice_id)
    return (invoice.status, invoice.number, invoice.amount_paid, invoice.payments.count(), invoice.events.count())


def payment_body(invoice: Invoice, amount: Any = None, **overrides: Any) -> dict[str, Any]:
    """The guide's payment body for ``invoice``; ``amount`` defaults to the whole amount due."""
    body: dict[str, Any] = {
        "invoice_id": invoice.pk,
        "amount": str(invoice.amount_due if amount is None else amount),
        "currency": invoice.currency,
        "payment_method": "bank_transfer",
        "reference": "TXN-20260128-001",
    }
    body.update(overrides)
    return body


def pay(api: APIClient, invoice: Invoice, amount: Decimal | str | None = None, *, key: str | None = None,
        **overrides: Any) -> Any:
    """POST /payments for ``invoice`` (with an Idempotency-Key when ``key`` is given)."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(PAYMENTS_URL, payment_body(invoice, amount, **overrides), format="json", **headers)


def figures(invoice_id: str) -> tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]:
    """An invoice's money as stored: (status, total, credited, paid, refunded, amount_due, amount_refundable)."""
    invoice = Invoice.objects.get(pk=invoice_id)
    return (str(invoice.status), invoice.total, invoice.amount_credited, invoice.amount_paid, invoice.amount_refunded,
            invoice.amount_due, invoice.amount_refundable)


def assert_figures_add_up(invoice_id: str) -> None:
    """``total - credited - paid + refunded`` is ``amount_due`` when positive, ``-amount_refundable`` otherwise;
    the stored sums equal their rows; nothing credited above the total, nothing refunded above what was paid."""
    invoice = Invoice.objects.get(pk=invoice_id)
    balance = invoice.total - invoice.amount_credited - invoice.amount_paid + invoice.amount_refunded
    if invoice.status != "void":
        assert balance == invoice.amount_due - invoice.amount_refundable, (balance, invoice.amount_due)
        assert min(invoice.amount_due, invoice.amount_refundable) == 0
    assert invoice.amount_credited == sum((c.total for c in invoice.credit_notes.all()), Decimal(0))
    assert invoice.amount_paid == sum((p.amount for p in invoice.payments.all()), Decimal(0))
    assert invoice.amount_refunded == sum((r.amount for r in invoice.refunds.all()), Decimal(0))
    for note in invoice.credit_notes.all():
        assert note.total == sum((line.gross_amount for line in note.lines.all()), Decimal(0))
        assert note.total == note.net_total + note.tax_total
    for payment in invoice.payments.all():
        assert sum((r.amount for r in payment.refunds.all()), Decimal(0)) <= payment.amount
    assert invoice.amount_credited <= invoice.total
    assert invoice.amount_refunded <= invoice.amount_paid
    if invoice.status == "issued":
        assert invoice.amount_due > 0, "an issued invoice with nothing due becomes paid"
