"""URLs, snapshots and calls shared by the billing tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceEvent, InvoiceLine, Payment
from inventory.models import Product, StockMovement
from sales.models import Order, OrderEvent
from synthesq.core.models import IdempotencyKey, Sequence
from tests.helpers import assert_problem, error_fields, follow_pages

__all__ = [
    "INVOICES_URL",
    "PAYMENTS_URL",
    "assert_problem",
    "billing_state",
    "error_fields",
    "follow_pages",
    "invoice_number",
    "invoice_url",
    "order_status_url",
    "pay",
    "payment_body",
    "snapshot",
]

INVOICES_URL = "/api/v1/sales/invoices"
PAYMENTS_URL = "/api/v1/sales/payments"
ORDERS_URL = "/api/v1/sales/orders"


def invoice_url(invoice_id: str, suffix: str = "") -> str:
    return f"{INVOICES_URL}/{invoice_id}{suffix}"


def order_status_url(order_id: str) -> str:
    return f"{ORDERS_URL}/{order_id}/status"


def invoice_number(value: int, year: int | None = None) -> str:
    return f"INV-{year or timezone.now().year}-{value:06d}"


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row billing, orders and stock are made of, to show a refused request changed nothing: invoice
    status, number and amount_paid, payments, invoice and order history, order status, stock and ledger,
    the numbering counters and the idempotency keys."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Invoice, InvoiceLine, InvoiceEvent, Payment, Order, OrderEvent, Product, StockMovement,
                      Sequence, IdempotencyKey)
    }


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
