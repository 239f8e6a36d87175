"""Billing's part of returns: crediting a received return issues its credit note (its lines at the order's
prices) in the same transaction, through ``sales.signals.return_credited``; a refusal refuses the credit. And
the guide's story extended: delivered, one of two lines returned and received, credited, the paid difference
refunded, then the order closes, through the HTTP API with the guide's bodies."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing import services
from billing.models import CreditNote, Invoice
from inventory.selectors import stock_ledger_mismatches
from sales import services as services_sales
from sales.models import Order, Return
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, ReturnFactory
from tests.sales.helpers import (
    GUIDE_ADDRESS,
    TRACKING,
    order_payload,
    order_returns_url,
    order_url,
    return_url,
    returns_db_state,
    stock_of,
)
from tests.sales.helpers import status_url as order_status_url

from .helpers import (
    CREDIT_NOTES_URL,
    PAYMENTS_URL,
    REFUNDS_URL,
    assert_figures_add_up,
    assert_problem,
    figures,
    invoice_url,
    snapshot,
)

pytestmark = pytest.mark.django_db
D = Decimal


def credit_return(api: APIClient, return_id: str) -> Any:
    return api.patch(return_url(return_id, "/status"), {"status": "credited"}, format="json")


def state() -> dict[str, Any]:
    return {**snapshot(), **returns_db_state()}


# --- the receiver --------------------------------------------------------------------------------------------


def test_crediting_a_return_issues_its_credit_note(finance_api: APIClient) -> None:
    # given a delivered order of 2 widgets and 3 gadgets at 10.00, whose draft invoice is unpaid
    widget, gadget = ProductFactory(stock=10), ProductFactory(stock=10)
    order = OrderFactory(status="delivered", lines=[(widget, 2), (gadget, 3)], unit_price=D("10.00"))
    invoice = Invoice.objects.get(order=order)
    assert (invoice.status, invoice.total) == ("draft", D("50.00"))
    # and a received return of 1 widget and 2 gadgets
    return_ = ReturnFactory(order=order, lines=[(widget.pk, 1, True), (gadget.pk, 2, False)], received=True)
    # when finance credits it
    response = credit_return(finance_api, return_.pk)
    # then the return is credited and a credit note carries its lines at the order's prices
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "credited"
    note = CreditNote.objects.get(sales_return=return_)
    assert (note.invoice_id, note.total, note.reason) == (invoice.pk, D("30.00"),
                                                           f"Return {return_.return_number}: damaged in transit")
    assert note.created_by == finance_api.user  # type: ignore[attr-defined]
    assert [(line.product_id, line.quantity, line.unit_price, line.line_total) for line in note.lines.all()] == [
        (widget.pk, 1, D("10.00"), D("10.00")), (gadget.pk, 2, D("10.00"), D("20.00"))]
    # and the draft invoice was issued on the way, and now owes the rest
    assert figures(invoice.pk) == ("issued", D("50.00"), D("30.00"), D(0), D(0), D("20.00"), D(0))
    assert_figures_add_up(invoice.pk)
    # and the credit note names its return through the API
    body = finance_api.get(CREDIT_NOTES_URL, {"invoice_id": invoice.pk}).json()["results"]
    assert [(row["id"], row["return_id"], row["total"]) for row in body] == [(note.pk, return_.pk, "30.00")]


def test_crediting_the_whole_order_settles_the_invoice(finance_api: APIClient) -> None:
    order = OrderFactory(status="delivered")
    line = order.lines.get()
    return_ = ReturnFactory(order=order, lines=[(line.product_id, line.quantity, True)], received=True)
    assert credit_return(finance_api, return_.pk).status_code == 200
    invoice = Invoice.objects.get(order=order)
    assert figures(invoice.pk)[0::5] == ("paid", D(0))
    assert invoice.events.order_by("id").last().reason == "credited in full"  # type: ignore[union-attr]


def test_a_void_invoice_refuses_the_credit_and_nothing_changes(finance_api: APIClient) -> None:
    # given a received return whose order's invoice was voided
    return_ = ReturnFactory(received=True)
    invoice = Invoice.objects.get(order_id=return_.order_id)
    services.invoice_void(invoice_id=invoice.pk, actor=None, reason="wrong customer")
    before = state()
    # when finance credits it, then it is refused and the return stays received
    body = assert_problem(credit_return(finance_api, return_.pk), 409, "invoice_not_creditable")
    assert (body["invoice_id"], body["invoice_status"]) == (invoice.pk, "void")
    assert state() == before
    assert Return.objects.get(pk=return_.pk).status == "received"


def test_an_order_without_invoice_refuses_the_credit(finance_api: APIClient) -> None:
    # given a received return whose order has (somehow) no invoice
    return_ = ReturnFactory(received=True)
    Invoice.objects.filter(order_id=return_.order_id).delete()
    before = state()
    body = assert_problem(credit_return(finance_api, return_.pk), 409, "invoice_not_creditable")
    assert body["invoice_id"] is None
    assert state() == before


def test_credit_above_what_is_left_refuses_the_credit(finance_api: APIClient) -> None:
    # given a received return of 1 x 129.99 on an invoice of 259.98 already credited 200.00
    return_ = ReturnFactory(received=True)
    invoice = Invoice.objects.get(order_id=return_.order_id)
    services.credit_note_issue(invoice_id=invoice.pk, amount=D("200.00"), reason="goodwill", actor=None)
    before = state()
    # when finance credits the return, then it is refused as exceeding the invoice and nothing changes
    body = assert_problem(credit_return(finance_api, return_.pk), 422, "credit_exceeds_invoice")
    assert (body["amount"], body["creditable"]) == ("129.99", "59.98")
    assert state() == before
    assert Return.objects.get(pk=return_.pk).status == "received"


# --- returns billing could never credit are refused when requested ----------------------------------------------


def request_return(api: APIClient, order: Order, quantity: int = 1) -> Any:
    product_id = order.lines.order_by("position").first().product_id  # type: ignore[union-attr]
    return api.post(order_returns_url(order.pk), {"lines": [{"product_id": product_id, "quantity": quantity,
                                                             "restock": True}], "reason": "broken"}, format="json")


def test_a_return_on_a_void_invoice_is_refused_when_requested(sales_api: APIClient) -> None:
    # given a delivered order whose invoice was voided
    order = OrderFactory(status="delivered", line_count=2)
    invoice = Invoice.objects.get(order=order)
    services.invoice_void(invoice_id=invoice.pk, actor=None, reason="wrong customer")
    before = state()
    # when a return is requested, then it is refused (it could never be credited) and nothing is written
    body = assert_problem(request_return(sales_api, order), 409, "invoice_not_creditable")
    assert (body["invoice_id"], body["invoice_status"]) == (invoice.pk, "void")
    assert state() == before


def test_open_returns_worth_more_than_is_left_to_credit_are_refused(sales_api: APIClient) -> None:
    # given a delivered order of 3 x 10.00 on an invoice of 30.00, 15.00 of it already credited as goodwill
    product = ProductFactory(stock=10)
    order = OrderFactory(status="delivered", lines=[(product, 3)], unit_price=D("10.00"))
    invoice = Invoice.objects.get(order=order)
    services.credit_note_issue(invoice_id=invoice.pk, amount=D("15.00"), reason="goodwill", actor=None)
    # and an open return of 1 (10.00)
    assert request_return(sales_api, order).status_code == 201
    before = state()
    # when another return of 1 is requested (the two together 20.00, more than the 15.00 left)
    body = assert_problem(request_return(sales_api, order), 422, "credit_exceeds_invoice")
    # then it is refused, naming the open value and what is left, and nothing is written
    assert (body["amount"], body["creditable"]) == ("20.00", "15.00")
    assert state() == before
    # and once the first is rejected, the same request fits
    services_sales.return_reject(return_id=Return.objects.get(order=order).pk, reason="not ours", actor=None)
    assert request_return(sales_api, order).status_code == 201


# --- the guide's story, extended ------------------------------------------------------------------------------


def test_guide_story_with_a_return_credit_and_refund(client_for: Callable[..., APIClient], settings: Any) -> None:
    sales, warehouse, finance = client_for("sales"), client_for("warehouse"), client_for("finance")
    customer = CustomerFactory()
    widget = ProductFactory(stock=10, price=D("129.99"))
    cable = ProductFactory(stock=10, price=D("19.99"))

    def invoice_figures(invoice_id: str) -> tuple[str, ...]:
        body = finance.get(invoice_url(invoice_id)).json()
        assert_figures_add_up(invoice_id)
        return (body["status"], body["total"], body["amount_credited"], body["amount_paid"], body["amount_refunded"],
                body["amount_due"], body["amount_refundable"])

    # the guide's order, with two lines: 2 x 129.99 and 1 x 19.99; confirmed, processed, shipped, delivered
    created = sales.post("/api/v1/sales/orders", order_payload(
        customer.pk, [(widget.pk, 2, 129.99), (cable.pk, 1, 19.99)], address=GUIDE_ADDRESS), format="json")
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    assert sales.patch(order_status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200
    invoice_id = finance.get("/api/v1/sales/invoices", {"order_id": order_id}).json()["results"][0]["id"]
    assert invoice_figures(invoice_id) == ("draft", "279.97", "0.00", "0.00", "0.00", "279.97", "0.00")
    for target, extra in (("processing", {}), ("shipped", TRACKING), ("delivered", {})):
        response = warehouse.patch(order_status_url(order_id), {"status": target, **extra}, format="json")
        assert response.status_code == 200, response.content

    # finance records the guide's payment of the whole invoice: issued on the way, paid
    paid = finance.post(PAYMENTS_URL, {"invoice_id": invoice_id, "amount": 279.97, "currency": "USD",
                                       "payment_method": "bank_transfer", "reference": "TXN-20260128-001"},
                        format="json")
    assert paid.status_code == 201, paid.content
    payment_id = paid.json()["id"]
    assert invoice_figures(invoice_id) == ("paid", "279.97", "0.00", "279.97", "0.00", "0.00", "0.00")

    # the customer sends one widget back: sales records the return of one of the two lines
    requested = sales.post(order_returns_url(order_id), {
        "lines": [{"product_id": widget.pk, "quantity": 1, "restock": True}], "reason": "Arrived damaged"},
        format="json")
    assert requested.status_code == 201, requested.content
    return_id = requested.json()["id"]
    assert (requested.json()["status"], requested.json()["value"]) == ("requested", "129.99")
    assert invoice_figures(invoice_id) == ("paid", "279.97", "0.00", "279.97", "0.00", "0.00", "0.00")
    # (the order cannot close while the return is open)
    settings.ORDER_RETURN_WINDOW_DAYS = 0
    assert_problem(finance.patch(order_status_url(order_id), {"status": "closed"}, format="json"), 409,
                   "return_open")

    # the warehouse receives it back into stock
    assert stock_of(widget) == 8
    received = warehouse.patch(return_url(return_id, "/status"), {"status": "received"}, format="json")
    assert (received.status_code, received.json()["status"]) == (200, "received")
    assert stock_of(widget) == 9
    assert invoice_figures(invoice_id) == ("paid", "279.97", "0.00", "279.97", "0.00", "0.00", "0.00")

    # finance credits it: a numbered credit note for 129.99, now owed back
    credited = credit_return(finance, return_id)
    assert (credited.status_code, credited.json()["status"]) == (200, "credited")
    notes = finance.get(CREDIT_NOTES_URL, {"invoice_id": invoice_id}).json()["results"]
    assert [(n["return_id"], n["total"], [(line["description"], line["quantity"], line["unit_price"])
                                          for line in n["lines"]]) for n in notes] == [
        (return_id, "129.99", [(f"{widget.name} (returned)", 1, "129.99")])]
    assert notes[0]["number"].startswith("CN-") and notes[0]["number"].endswith("-000001")
    assert invoice_figures(invoice_id) == ("paid", "279.97", "129.99", "279.97", "0.00", "0.00", "129.99")

    # finance refunds the paid difference on the payment
    refunded = finance.post(REFUNDS_URL, {"payment_id": payment_id, "amount": "129.99", "reason": "Return credited",
                                          "reference": "REFUND-20260205-001"}, format="json")
    assert refunded.status_code == 201, refunded.content
    assert invoice_figures(invoice_id) == ("paid", "279.97", "129.99", "279.97", "129.99", "0.00", "0.00")
    # (nothing more can go back)
    assert_problem(finance.post(REFUNDS_URL, {"payment_id": payment_id, "amount": "0.01", "reason": "again",
                                              "reference": "REFUND-2"}, format="json"), 422, "refund_exceeds_credit")

    # then the order closes, its invoice untouched, and every ledger adds up
    closed = finance.patch(order_status_url(order_id), {"status": "closed"}, format="json")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    assert invoice_figures(invoice_id) == ("paid", "279.97", "129.99", "279.97", "129.99", "0.00", "0.00")
    assert Order.objects.get(pk=order_id).status == "closed"
    assert stock_ledger_mismatches() == []
    history = [(e["kind"], e["to_status"]) for e in finance.get(invoice_url(invoice_id, "/history")).json()["results"]]
    assert history == [("created", "draft"), ("status_changed", "issued"), ("payment_recorded", "issued"),
                       ("status_changed", "paid"), ("credit_note_issued", "paid"), ("refund_recorded", "paid")]
    assert finance.get(order_url(order_id)).json()["status"] == "closed"
