"""Billing follows the order: cancelling voids the invoice (refused while it has payments), closing issues a
draft invoice, and payment stays independent of delivery."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice
from inventory.models import StockMovement
from sales.models import Order
from tests.factories import InvoiceFactory, OrderFactory, PaymentFactory, ProductFactory
from tests.inventory.helpers import stock_of

from .helpers import (
    CREDIT_NOTES_URL,
    assert_problem,
    invoice_number,
    invoice_url,
    order_status_url,
    pay,
    snapshot,
)

pytestmark = pytest.mark.django_db


def move(api: APIClient, order_id: str, status: str, **extra: Any) -> Any:
    if status == "closed":  # these orders were just delivered: close them waiving the return window
        extra.setdefault("waive_return_window", True)
    return api.patch(order_status_url(order_id), {"status": status, **extra}, format="json")


# --- cancel --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("invoice_status", ["draft", "issued"])
def test_cancelling_a_confirmed_order_voids_its_invoice_and_releases_stock(
    sales_api: APIClient, finance_api: APIClient, invoice_status: str
) -> None:
    # given a confirmed order of 2 units (stock 10 -> 8) whose invoice is a draft, or issued with nothing paid
    product = ProductFactory(stock=10)
    invoice = InvoiceFactory(status=invoice_status, lines=[(product, 2)])
    assert stock_of(product) == 8
    # when sales cancels the order
    response = move(sales_api, invoice.order_id, "cancelled", reason="Customer requested cancellation")
    # then the order is cancelled and its stock released
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert stock_of(product) == 10
    assert StockMovement.objects.filter(product=product, kind="release", reference=invoice.order_id).exists()
    # and its invoice is void, keeping the number it had, with nothing due
    body = finance_api.get(invoice_url(invoice.pk)).json()
    order = Order.objects.get(pk=invoice.order_id)
    assert (body["status"], body["amount_due"], body["void_reason"]) == (
        "void", "0.00", f"order {order.order_number} cancelled")
    assert body["number"] == (invoice_number(1) if invoice_status == "issued" else None)
    # and the void is in the invoice's history, by the user who cancelled
    last = finance_api.get(invoice_url(invoice.pk, "/history")).json()["results"][-1]
    assert (last["kind"], last["from_status"], last["to_status"], last["actor"]) == (
        "status_changed", invoice_status, "void", sales_api.user.username)  # type: ignore[attr-defined]
    # and it takes no payment any more
    assert_problem(pay(finance_api, invoice, "10.00"), 409, "invoice_not_payable")


@pytest.mark.parametrize("paid", [Decimal("0.01"), Decimal("259.98")])
def test_cancelling_is_refused_while_the_invoice_has_payments(
    sales_api: APIClient, paid: Decimal
) -> None:
    # given a confirmed order whose invoice is part-paid or paid
    product = ProductFactory(stock=10)
    invoice = InvoiceFactory(paid=paid, lines=[(product, 2)])
    before = snapshot()
    # when sales cancels the order
    response = move(sales_api, invoice.order_id, "cancelled", reason="Customer requested cancellation")
    # then it is refused, saying what was paid
    body = assert_problem(response, 409, "invoice_has_payments")
    assert (body["invoice_id"], body["amount_paid"]) == (invoice.pk, f"{paid}")
    assert "cannot be cancelled" in body["detail"]
    # and the order, its stock and ledger, the invoice and its payments are all unchanged
    assert snapshot() == before
    assert Order.objects.get(pk=invoice.order_id).status == "confirmed"
    assert stock_of(product) == 8


def test_cancelling_is_refused_while_the_invoice_carries_credit(
    sales_api: APIClient, finance_api: APIClient
) -> None:
    # given a confirmed order of 2 units (stock 10 -> 8) whose draft invoice finance has credited twice (which
    # issues it first)
    product = ProductFactory(stock=10)
    invoice = InvoiceFactory(lines=[(product, 2)])
    notes = []
    for amount in ("20.00", "5.50"):
        response = finance_api.post(CREDIT_NOTES_URL, {"invoice_id": invoice.pk, "amount": amount,
                                                       "reason": "goodwill"}, format="json")
        assert response.status_code == 201, response.content
        notes.append({"id": response.json()["id"], "number": response.json()["number"], "total": amount})
    before = snapshot()
    # when sales cancels the order
    response = move(sales_api, invoice.order_id, "cancelled", reason="Customer requested cancellation")
    # then it is refused with its own code, naming the invoice, what was credited and each credit note
    body = assert_problem(response, 409, "invoice_has_credit")
    order = Order.objects.get(pk=invoice.order_id)
    assert (body["invoice_id"], body["invoice_number"], body["amount_credited"], body["currency"]) == (
        invoice.pk, invoice_number(1), "25.50", "USD")
    assert body["credit_notes"] == notes
    assert body["title"] == "Invoice has credit notes"
    assert body["detail"] == (
        f"Order {order.order_number} cannot be cancelled: its invoice {invoice_number(1)} has been credited "
        f"(25.50 USD by {notes[0]['number']}, {notes[1]['number']}), and a credited invoice is never voided.")
    # and the order, its stock and ledger, the invoice, its credit notes and every history are unchanged
    assert snapshot() == before
    assert order.status == "confirmed"
    assert stock_of(product) == 8
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_credited) == ("issued", Decimal("25.50"))


def test_an_invoice_with_payments_and_credit_refuses_the_cancellation_for_its_payments(
    sales_api: APIClient, finance_api: APIClient
) -> None:
    # given a confirmed order's invoice, part paid and then credited
    invoice = InvoiceFactory(paid=Decimal("100.00"))
    assert finance_api.post(CREDIT_NOTES_URL, {"invoice_id": invoice.pk, "amount": "10.00", "reason": "goodwill"},
                            format="json").status_code == 201
    before = snapshot()
    # when sales cancels the order, the payments are named first: they are what must go back
    assert_problem(move(sales_api, invoice.order_id, "cancelled"), 409, "invoice_has_payments")
    assert snapshot() == before


def test_cancelling_a_draft_order_has_no_invoice_to_void(sales_api: APIClient) -> None:
    order = OrderFactory()
    assert move(sales_api, order.pk, "cancelled").status_code == 200
    assert not Invoice.objects.exists()


def test_cancelling_an_order_whose_invoice_was_voided_keeps_it_void(
    sales_api: APIClient, finance_api: APIClient
) -> None:
    invoice = InvoiceFactory(status="void")
    events = invoice.events.count()
    assert move(sales_api, invoice.order_id, "cancelled").status_code == 200
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.void_reason, stored.events.count()) == ("void", "test", events)


# --- close -----------------------------------------------------------------------------------------------------


def test_closing_an_order_issues_its_draft_invoice(finance_api: APIClient, settings: Any) -> None:
    # given a delivered order whose invoice is still a draft
    settings.INVOICE_PAYMENT_TERMS_DAYS = 10
    invoice = InvoiceFactory(order_status="delivered")
    assert invoice.status == "draft"
    # when finance closes the order
    response = move(finance_api, invoice.order_id, "closed")
    # then the order is closed and its invoice issued, numbered, with its due date
    assert response.status_code == 200, response.content
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.number) == ("issued", invoice_number(1))
    assert (stored.due_at - stored.issued_at).days == 10
    order = Order.objects.get(pk=invoice.order_id)
    last = stored.events.order_by("-id").first()
    assert (last.from_status, last.to_status, last.reason, last.actor_id) == (
        "draft", "issued", f"order {order.order_number} closed", finance_api.user.pk)  # type: ignore[attr-defined]


@pytest.mark.parametrize("invoice_status", ["issued", "paid", "void"])
def test_closing_leaves_an_issued_paid_or_void_invoice_as_it_is(finance_api: APIClient, invoice_status: str) -> None:
    invoice = InvoiceFactory(status=invoice_status, order_status="delivered")
    before = snapshot()["billing.Invoice"]
    assert move(finance_api, invoice.order_id, "closed").status_code == 200
    assert snapshot()["billing.Invoice"] == before


def test_a_refused_close_issues_nothing(finance_api: APIClient, sales_api: APIClient) -> None:
    # given a shipped order (not delivered yet) and a delivered one, both with draft invoices
    shipped = InvoiceFactory(order_status="shipped")
    delivered = InvoiceFactory(order_status="delivered")
    before = snapshot()
    # when the shipped one is closed, and sales (who may not close) closes the delivered one
    assert_problem(move(finance_api, shipped.order_id, "closed"), 409, "invalid_transition")
    assert_problem(move(sales_api, delivered.order_id, "closed"), 403, "permission_denied")
    # then no invoice was issued and no number used
    assert snapshot() == before


def test_delivered_with_an_open_invoice_and_paid_later(
    client_for: Any, finance_api: APIClient, sales_api: APIClient
) -> None:
    # given a confirmed order, part paid before it ships
    product = ProductFactory(stock=10)
    invoice = InvoiceFactory(lines=[(product, 2)])
    assert pay(finance_api, invoice, "100.00", reference="DEPOSIT").status_code == 201
    # when the warehouse processes, ships and delivers it
    warehouse = client_for("warehouse")
    assert move(warehouse, invoice.order_id, "processing").status_code == 200
    assert move(warehouse, invoice.order_id, "shipped", tracking_number="1Z999AA10123456784",
                carrier="UPS").status_code == 200
    assert move(warehouse, invoice.order_id, "delivered").status_code == 200
    # then the order is delivered while its invoice is still open
    body = sales_api.get(invoice_url(invoice.pk)).json()
    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("issued", "100.00", "159.98")
    # and closing the order leaves the issued invoice open
    assert move(finance_api, invoice.order_id, "closed").status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    # and the rest is paid after the order is closed
    response = pay(finance_api, invoice, "159.98", reference="BALANCE")
    assert response.status_code == 201, response.content
    assert response.json()["invoice"]["status"] == "paid"
    order = Order.objects.get(pk=invoice.order_id)
    assert order.status == "closed"
    # and a cancellation is impossible at this stage anyway
    before = snapshot()
    assert_problem(move(sales_api, order.pk, "cancelled"), 409, "invalid_transition")
    assert snapshot() == before
    assert stock_of(product) == 8


def test_payment_on_a_delivered_order_with_a_draft_invoice_issues_it() -> None:
    invoice = InvoiceFactory(order_status="delivered")
    PaymentFactory(invoice=invoice)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.number, stored.amount_paid) == ("paid", invoice_number(1), Decimal("259.98"))
    assert Order.objects.get(pk=invoice.order_id).status == "delivered"


@pytest.mark.parametrize("how", ["issue", "close", "batch"])
def test_an_invoice_of_zero_is_paid_as_soon_as_it_is_issued(finance_api: APIClient, how: str) -> None:
    # given a delivered order whose only line is free (unit price 0), so its invoice totals 0
    product = ProductFactory(stock=5)
    order = OrderFactory(status="delivered", lines=[(product, 1)], unit_price=Decimal("0"))
    invoice = Invoice.objects.get(order=order)
    assert (invoice.status, invoice.total) == ("draft", Decimal("0"))
    # when it is issued (by hand, by closing the order, or by the batch close)
    if how == "issue":
        assert finance_api.patch(f"/api/v1/sales/invoices/{invoice.pk}/status", {"status": "issued"},
                                 format="json").status_code == 200
    elif how == "close":
        assert move(finance_api, order.pk, "closed").status_code == 200
    else:
        Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=40))
        call_command("close_delivered_orders", stdout=StringIO(), stderr=StringIO())
    # then there is nothing to pay: it is numbered and paid at once
    invoice.refresh_from_db()
    assert invoice.number and invoice.status == "paid"
    assert invoice.amount_due == Decimal("0")
