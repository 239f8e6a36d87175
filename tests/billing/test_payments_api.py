"""Payments API: POST /api/v1/sales/payments (the guide's call) with its rules and Idempotency-Key, and the
payments list and detail."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from billing import services
from billing.models import Invoice, Payment
from inventory.models import Product
from sales.models import Order
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory, ProductFactory

from .helpers import (
    INVOICES_URL,
    PAYMENTS_URL,
    assert_problem,
    billing_state,
    error_fields,
    invoice_number,
    invoice_url,
    order_status_url,
    pay,
    payment_body,
    snapshot,
)

pytestmark = pytest.mark.django_db

FIELDS = {"id", "invoice_id", "amount", "currency", "payment_method", "reference", "recorded_by", "created_at",
          "invoice"}
INVOICE_SUMMARY_FIELDS = {"id", "number", "status", "total", "amount_paid", "amount_credited", "amount_refunded",
                          "amount_due", "amount_refundable"}
# token lookup, the user's permissions, its groups' permissions, the page (invoice and recorder joined)
LIST_QUERY_BUDGET = 4
# Statements to record a payment, whatever the number of invoice lines (a draft is issued on the way).
RECORD_QUERY_BUDGET = 24


def payment_url(payment_id: str) -> str:
    return f"{PAYMENTS_URL}/{payment_id}"


def summary(response: Any) -> tuple[str, str, str]:
    invoice = response.json()["invoice"]
    return invoice["status"], invoice["amount_paid"], invoice["amount_due"]


# --- the guide, end to end ----------------------------------------------------------------------------------


def test_the_guides_order_to_payment_flow(sales_api: APIClient, finance_api: APIClient) -> None:
    # given a customer and a product with 10 in stock
    customer = CustomerFactory()
    product = ProductFactory(stock=10)
    # when sales creates the guide's order (2 x 129.99) and confirms it
    created = sales_api.post("/api/v1/sales/orders", {
        "customer_id": customer.pk, "currency": "USD",
        "line_items": [{"product_id": product.pk, "quantity": 2, "unit_price": 129.99}],
        "shipping_address": {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701",
                             "country": "US"},
    }, format="json")
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    assert sales_api.patch(order_status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200
    # then finance finds its draft invoice with the guide's query
    found = finance_api.get(INVOICES_URL, {"order_id": order_id}).json()["results"]
    assert [(i["status"], i["total"], i["amount_due"]) for i in found] == [("draft", "259.98", "259.98")]
    invoice_id = found[0]["id"]
    # when finance records the guide's payment, amount sent as a JSON number
    response = finance_api.post(PAYMENTS_URL, {
        "invoice_id": invoice_id, "amount": 259.98, "currency": "USD", "payment_method": "bank_transfer",
        "reference": "TXN-20260128-001",
    }, format="json")
    # then the payment is returned with the invoice's new state: issued on the way, and paid
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"].startswith("pay_")
    assert response["Location"] == payment_url(body["id"])
    assert (body["invoice_id"], body["amount"], body["currency"], body["payment_method"], body["reference"]) == (
        invoice_id, "259.98", "USD", "bank_transfer", "TXN-20260128-001")
    assert body["recorded_by"] == finance_api.user.username  # type: ignore[attr-defined]
    assert set(body["invoice"]) == INVOICE_SUMMARY_FIELDS
    assert body["invoice"] == {"id": invoice_id, "number": invoice_number(1), "status": "paid", "total": "259.98",
                               "amount_paid": "259.98", "amount_credited": "0.00", "amount_refunded": "0.00",
                               "amount_due": "0.00", "amount_refundable": "0.00"}
    # and the invoice reads paid, with its dates
    invoice = finance_api.get(invoice_url(invoice_id)).json()
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == ("paid", "259.98", "0.00")
    assert invoice["issued_at"] and invoice["due_at"] and invoice["paid_at"]
    assert invoice["allowed_statuses"] == []
    # and its history tells the story
    history = finance_api.get(invoice_url(invoice_id, "/history")).json()["results"]
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in history] == [
        ("created", "", "draft"), ("status_changed", "draft", "issued"),
        ("payment_recorded", "issued", "issued"), ("status_changed", "issued", "paid"),
    ]
    assert history[1]["reason"] == "payment received on a draft invoice"
    # and the payment can be read back, alone and by invoice
    assert finance_api.get(payment_url(body["id"])).json() == body
    assert finance_api.get(PAYMENTS_URL, {"invoice_id": invoice_id}).json()["results"] == [body]
    # while the order, loosely coupled, is still confirmed with its stock reserved
    assert Order.objects.get(pk=order_id).status == "confirmed"
    assert Product.objects.get(pk=product.pk).stock_quantity == 8


def test_partial_payments_add_up_to_paid(finance_api: APIClient) -> None:
    # given the draft invoice of 259.98
    invoice = InvoiceFactory()
    # when it is paid in three parts
    first = pay(finance_api, invoice, "100.00", reference="P1", payment_method="card")
    # then the first issues it and leaves it open
    assert first.status_code == 201, first.content
    assert summary(first) == ("issued", "100.00", "159.98")
    assert first.json()["invoice"]["number"] == invoice_number(1)
    second = pay(finance_api, invoice, "59.98", reference="P2", payment_method="cash")
    assert summary(second) == ("issued", "159.98", "100.00")
    assert Invoice.objects.get(pk=invoice.pk).paid_at is None
    # and the last, reaching the total, settles it
    third = pay(finance_api, invoice, 100, reference="P3", payment_method="cheque")
    assert summary(third) == ("paid", "259.98", "0.00")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.paid_at is not None
    assert stored.number == invoice_number(1)  # issued once
    assert stored.amount_paid == sum(stored.payments.values_list("amount", flat=True)) == Decimal("259.98")
    # and then it takes no more
    before = snapshot()
    body = assert_problem(pay(finance_api, invoice, "0.01", reference="P4"), 409, "invoice_not_payable")
    assert body["invoice_status"] == "paid"
    assert snapshot() == before


def test_payment_on_an_issued_invoice_keeps_its_number_and_due_date(finance_api: APIClient) -> None:
    invoice = InvoiceFactory(status="issued")
    response = pay(finance_api, invoice, "10.00")
    assert response.status_code == 201, response.content
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.number, stored.issued_at, stored.due_at) == (invoice.number, invoice.issued_at, invoice.due_at)
    assert stored.events.filter(kind="status_changed").count() == 1  # only the issue


# --- refusals ------------------------------------------------------------------------------------------------

REFUSALS = [
    # (name, invoice status, body overrides, status, code, field)
    ("unknown invoice", "draft", {"invoice_id": "inv_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 400, "validation_error",
     "invoice_id"),
    ("no invoice", "draft", {"invoice_id": None}, 400, "validation_error", "invoice_id"),
    ("void invoice", "void", {"amount": "10.00"}, 409, "invoice_not_payable", None),
    ("voided draft", "void_draft", {"amount": "10.00"}, 409, "invoice_not_payable", None),
    ("paid invoice", "paid", {"amount": "1.00"}, 409, "invoice_not_payable", None),
    ("other currency", "draft", {"currency": "EUR"}, 422, "currency_mismatch", None),
    ("unknown currency", "draft", {"currency": "XYZ"}, 400, "validation_error", "currency"),
    ("no currency", "draft", {"currency": None}, 400, "validation_error", "currency"),
    ("zero", "draft", {"amount": 0}, 400, "validation_error", "amount"),
    ("negative", "draft", {"amount": "-10.00"}, 400, "validation_error", "amount"),
    ("text amount", "draft", {"amount": "ten"}, 400, "validation_error", "amount"),
    ("boolean amount", "draft", {"amount": True}, 400, "validation_error", "amount"),
    ("no amount", "draft", {"amount": None}, 400, "validation_error", "amount"),
    ("sub-cent amount", "draft", {"amount": "0.001"}, 400, "validation_error", "amount"),
    ("huge amount", "draft", {"amount": "1e30"}, 400, "validation_error", "amount"),
    ("overpayment", "draft", {"amount": "259.99"}, 422, "overpayment", None),
    ("overpaying an issued invoice", "issued", {"amount": "1000"}, 422, "overpayment", None),
    ("unknown method", "draft", {"payment_method": "crypto"}, 400, "validation_error", "payment_method"),
    ("no method", "draft", {"payment_method": None}, 400, "validation_error", "payment_method"),
    ("no reference", "draft", {"reference": None}, 400, "validation_error", "reference"),
    ("empty reference", "draft", {"reference": ""}, 400, "validation_error", "reference"),
    ("blank reference", "draft", {"reference": "   "}, 400, "validation_error", "reference"),
    ("long reference", "draft", {"reference": "R" * 101}, 400, "validation_error", "reference"),
    ("unknown field", "draft", {"note": "thanks"}, 400, "validation_error", "note"),
]


@pytest.mark.parametrize(("status", "overrides", "http_status", "code", "field"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_refused_payment_changes_nothing(
    finance_api: APIClient, status: str, overrides: dict[str, Any], http_status: int, code: str, field: str | None
) -> None:
    # given an invoice (a draft unless the case says otherwise)
    if status == "void_draft":
        invoice = services.invoice_void(invoice_id=InvoiceFactory().pk, actor=None)
    else:
        invoice = InvoiceFactory(status=status)
    body = payment_body(invoice)
    for key, value in overrides.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    before = snapshot()
    # when finance records the payment
    response = finance_api.post(PAYMENTS_URL, body, format="json")
    # then it is refused with its status and code, naming the field
    problem = assert_problem(response, http_status, code)
    if field is not None:
        assert field in error_fields(problem)
    # and nothing changed: no payment, a draft is still a draft without a number, no history, no number used
    assert snapshot() == before


def test_overpayment_says_what_is_due(finance_api: APIClient) -> None:
    invoice = InvoiceFactory(status="issued", paid=Decimal("200.00"))
    before = snapshot()
    body = assert_problem(pay(finance_api, invoice, "60.00", reference="MORE"), 422, "overpayment")
    assert (body["amount"], body["amount_due"]) == ("60.00", "59.98")
    assert snapshot() == before
    # while exactly the amount due is fine
    assert summary(pay(finance_api, invoice, "59.98", reference="REST")) == ("paid", "259.98", "0.00")


def test_currency_mismatch_names_both_currencies(finance_api: APIClient) -> None:
    invoice = InvoiceFactory()
    body = assert_problem(pay(finance_api, invoice, currency="EUR"), 422, "currency_mismatch")
    assert (body["invoice_currency"], body["payment_currency"]) == ("USD", "EUR")


def test_reference_is_unique_per_invoice(finance_api: APIClient) -> None:
    # given a payment with reference TXN-1
    invoice = InvoiceFactory()
    first = pay(finance_api, invoice, "100.00", reference="TXN-1")
    assert first.status_code == 201
    before = snapshot()
    # when the same reference is booked again on the invoice, even with spaces around it
    for reference in ("TXN-1", "  TXN-1 "):
        body = assert_problem(pay(finance_api, invoice, "50.00", reference=reference), 409,
                              "duplicate_payment_reference")
        # then it is refused, pointing at the payment already booked
        assert (body["invoice_id"], body["reference"], body["payment_id"]) == (invoice.pk, "TXN-1", first.json()["id"])
    assert snapshot() == before
    # while another invoice may carry the same reference
    assert pay(finance_api, InvoiceFactory(), "50.00", reference="TXN-1").status_code == 201
    # and the reference is stored trimmed
    assert pay(finance_api, invoice, "1.00", reference="  TXN-2  ").json()["reference"] == "TXN-2"


# --- idempotency -------------------------------------------------------------------------------------------


def test_same_key_and_body_replays_without_a_second_payment(finance_api: APIClient) -> None:
    # given a payment recorded with an Idempotency-Key
    invoice = InvoiceFactory()
    first = pay(finance_api, invoice, "100.00", key="pay-once")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    # when the same request is sent again (a client retry)
    again = pay(finance_api, invoice, "100.00", key="pay-once")
    # then the first response is replayed and no second payment is booked
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert again.json() == first.json()
    assert billing_state(invoice.pk)[2:4] == (Decimal("100.00"), 1)
    # and a replay after the invoice moved on still answers as the first time
    assert pay(finance_api, invoice, "159.98", reference="REST").status_code == 201
    late = pay(finance_api, invoice, "100.00", key="pay-once")
    assert (late.status_code, late["Idempotent-Replayed"], late.json()) == (201, "true", first.json())
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_same_key_with_another_body_is_422(finance_api: APIClient) -> None:
    invoice = InvoiceFactory()
    assert pay(finance_api, invoice, "100.00", key="k-1").status_code == 201
    before = snapshot()
    body = assert_problem(pay(finance_api, invoice, "100.01", key="k-1"), 422, "idempotency_key_reused")
    assert body["key"] == "k-1"
    assert snapshot() == before


def test_a_refused_request_does_not_use_up_its_key(finance_api: APIClient) -> None:
    # given a request refused as an overpayment
    invoice = InvoiceFactory()
    before = snapshot()
    assert_problem(pay(finance_api, invoice, "300.00", key="k-2"), 422, "overpayment")
    assert snapshot() == before
    # when it is sent again, then it is evaluated again (not replayed)
    again = pay(finance_api, invoice, "300.00", key="k-2")
    assert_problem(again, 422, "overpayment")
    assert "Idempotent-Replayed" not in again
    # and the corrected request may use the same key
    assert pay(finance_api, invoice, "259.98", key="k-2").status_code == 201


def test_keys_belong_to_their_user(finance_api: APIClient, client_for: Callable[..., APIClient]) -> None:
    invoice = InvoiceFactory()
    assert pay(finance_api, invoice, "100.00", key="shared").status_code == 201
    # another user's identical request is not a replay of the first: it is a duplicate booking
    other = client_for("finance")
    before = snapshot()
    assert_problem(pay(other, invoice, "100.00", key="shared"), 409, "duplicate_payment_reference")
    assert snapshot() == before
    assert Payment.objects.count() == 1


# --- currencies without decimals ----------------------------------------------------------------------------


def test_jpy_invoice_takes_whole_yen_only(finance_api: APIClient) -> None:
    # given a JPY invoice of 2 x 1300
    invoice = InvoiceFactory(currency="JPY")
    assert (invoice.currency, invoice.total) == ("JPY", Decimal("2600"))
    before = snapshot()
    # when half a yen is paid, then it is refused naming the amount
    body = assert_problem(pay(finance_api, invoice, "1300.5", reference="Y1"), 400, "validation_error")
    assert error_fields(body) == ["amount"]
    assert_problem(pay(finance_api, invoice, "1300", reference="Y1", currency="USD"), 422, "currency_mismatch")
    assert snapshot() == before
    # and whole yen are accepted, shown without decimals
    response = pay(finance_api, invoice, 1300, reference="Y1")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "1300"
    assert summary(response) == ("issued", "1300", "1300")
    assert summary(pay(finance_api, invoice, "1300.0", reference="Y2")) == ("paid", "2600", "0")
    assert finance_api.get(invoice_url(invoice.pk)).json()["total"] == "2600"


# --- list and detail ----------------------------------------------------------------------------------------


def test_payments_list_detail_and_filters(finance_api: APIClient) -> None:
    # given payments on two invoices
    first_invoice, second_invoice = InvoiceFactory(), InvoiceFactory()
    a = PaymentFactory(invoice=first_invoice, amount=Decimal("10.00"), reference="A", payment_method="card")
    b = PaymentFactory(invoice=first_invoice, amount=Decimal("20.00"), reference="B", payment_method="cash")
    c = PaymentFactory(invoice=second_invoice, amount=Decimal("30.00"), reference="A", payment_method="card")

    def ids(**params: Any) -> list[str]:
        response = finance_api.get(PAYMENTS_URL, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    # then they are listed newest first, and filtered by invoice, method and reference
    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(invoice_id=first_invoice.pk) == [b.pk, a.pk]
    assert ids(invoice_id="inv_unknown") == []
    assert ids(payment_method="card") == [c.pk, a.pk]
    assert ids(reference="A") == [c.pk, a.pk]
    assert ids(invoice_id=first_invoice.pk, reference="A") == [a.pk]
    assert ids(sort="amount") == [a.pk, b.pk, c.pk]
    assert ids(sort="-created_at") == [c.pk, b.pk, a.pk]
    # and each reads alone with the invoice's current state
    detail = finance_api.get(payment_url(a.pk)).json()
    assert (detail["amount"], detail["reference"], detail["payment_method"]) == ("10.00", "A", "card")
    assert detail["invoice"]["amount_paid"] == "30.00"
    assert_problem(finance_api.get(payment_url("pay_nope")), 404, "not_found")
    assert "payment_method" in error_fields(assert_problem(finance_api.get(PAYMENTS_URL, {"payment_method": "x"}),
                                                          400, "validation_error"))


def test_payments_list_query_count_does_not_grow(
    finance_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    invoice = InvoiceFactory(quantity=100, stock=100)
    for _ in range(5):
        PaymentFactory(invoice=invoice, amount=Decimal("1.00"), actor=finance_api.user)  # type: ignore[attr-defined]
    finance_api.get(PAYMENTS_URL)  # warm up the token
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(PAYMENTS_URL, {"limit": 5}).json()["results"]) == 5
    for index in range(45):
        PaymentFactory(invoice=invoice if index % 2 else InvoiceFactory(), amount=Decimal("1.00"),
                       actor=finance_api.user)  # type: ignore[attr-defined]
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(PAYMENTS_URL, {"limit": 50}).json()["results"]) == 50


def test_recording_a_payment_takes_the_same_queries_for_one_line_or_fifty(
    finance_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    # given draft invoices of 1 and of 50 lines, and a warmed-up token and invoice counter
    small, large = InvoiceFactory(line_count=1), InvoiceFactory(line_count=50)
    InvoiceFactory(status="issued")
    finance_api.get(PAYMENTS_URL)

    def pay(invoice: Invoice, reference: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = finance_api.post(PAYMENTS_URL, {"invoice_id": invoice.pk, "amount": "1.00", "currency": "USD",
                                                       "payment_method": "card", "reference": reference},
                                        format="json")
        assert response.status_code == 201, response.content
        return len(queries)

    # when each draft gets a payment (which issues it), then a second one
    with django_assert_max_num_queries(RECORD_QUERY_BUDGET):
        one = pay(small, "A")
    fifty = pay(large, "A")
    again = pay(large, "B")
    # then one line or fifty cost the same, within the budget, and a payment on an issued invoice costs less
    assert one == fifty <= RECORD_QUERY_BUDGET
    assert again < fifty
    assert Invoice.objects.get(pk=large.pk).amount_paid == Decimal("2.00")


# --- roles -------------------------------------------------------------------------------------------------


def test_only_finance_records_and_reads_payments(
    sales_api: APIClient, warehouse_api: APIClient, anon_api: APIClient, finance_api: APIClient
) -> None:
    invoice = InvoiceFactory()
    payment = PaymentFactory(invoice=invoice, amount=Decimal("1.00"))
    before = snapshot()
    for api, status, code in ((sales_api, 403, "permission_denied"), (warehouse_api, 403, "permission_denied"),
                              (anon_api, 401, "not_authenticated")):
        assert_problem(pay(api, invoice, "1.00", reference="NOPE"), status, code)
        assert_problem(pay(api, invoice, "1.00", reference="NOPE", key="k"), status, code)
        assert_problem(api.get(PAYMENTS_URL), status, code)
        assert_problem(api.get(payment_url(payment.pk)), status, code)
    assert snapshot() == before
    assert finance_api.get(payment_url(payment.pk)).status_code == 200


def test_payments_cannot_be_changed_or_deleted(finance_api: APIClient) -> None:
    payment = PaymentFactory(amount=Decimal("1.00"))
    before = snapshot()
    assert_problem(finance_api.patch(payment_url(payment.pk), {"amount": "2.00"}, format="json"), 405,
                   "method_not_allowed")
    assert_problem(finance_api.delete(payment_url(payment.pk)), 405, "method_not_allowed")
    assert snapshot() == before
