"""Refunds API: POST /api/v1/sales/refunds with its rules (never above the payment less its refunds, never above
what a credit note made owed, the payment's currency), Idempotency-Key and roles; the list and detail."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice, Payment, Refund
from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory, RefundFactory

from .helpers import REFUNDS_URL, assert_figures_add_up, assert_problem, error_fields, figures, snapshot

pytestmark = pytest.mark.django_db

FIELDS = {"id", "payment_id", "invoice_id", "amount", "currency", "reason", "reference", "recorded_by",
          "recorded_at", "invoice"}
# token lookup, the user's permissions, its groups' permissions, the page (invoice and recorder joined)
LIST_QUERY_BUDGET = 4
D = Decimal


def refund(api: APIClient, payment: Payment, amount: Any, *, key: str | None = None, **overrides: Any) -> Any:
    """POST /refunds with the issue's body (with an Idempotency-Key when ``key`` is given)."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    body = {"payment_id": payment.pk, "amount": str(amount), "reason": "returned goods",
            "reference": "REFUND-20260130-001", **overrides}
    return api.post(REFUNDS_URL, {k: v for k, v in body.items() if v is not None}, format="json", **headers)


def paid_and_credited(credit: str = "129.99") -> tuple[Invoice, Payment]:
    """An invoice of 259.98 paid in full by one payment, then credited ``credit``."""
    invoice = InvoiceFactory(status="paid")
    CreditNoteFactory(invoice=invoice, amount=D(credit))
    return Invoice.objects.get(pk=invoice.pk), invoice.payments.get()


def test_finance_refunds_what_a_credit_note_made_owed(finance_api: APIClient) -> None:
    # given an invoice of 259.98, paid, then credited 129.99
    invoice, payment = paid_and_credited()
    assert figures(invoice.pk)[5:] == (D(0), D("129.99"))
    # when finance refunds the 129.99 on the payment
    response = refund(finance_api, payment, "129.99")
    # then the refund is returned with the invoice after it: nothing due, nothing more refundable
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"].startswith("ref_")
    assert response["Location"] == f"{REFUNDS_URL}/{body['id']}"
    assert (body["payment_id"], body["invoice_id"], body["amount"], body["currency"], body["reason"],
            body["reference"]) == (payment.pk, invoice.pk, "129.99", "USD", "returned goods", "REFUND-20260130-001")
    assert body["recorded_by"] == finance_api.user.username  # type: ignore[attr-defined]
    assert body["invoice"] == {"id": invoice.pk, "number": invoice.number, "status": "paid", "total": "259.98",
                               "amount_paid": "259.98", "amount_credited": "129.99", "amount_refunded": "129.99",
                               "amount_due": "0.00", "amount_refundable": "0.00"}
    # and the invoice's history records it
    event = invoice.events.order_by("id").last()
    assert event is not None
    assert (event.kind, event.reason, event.data["refund_id"], event.data["amount"]) == (
        "refund_recorded", "returned goods", body["id"], "129.99")
    assert_figures_add_up(invoice.pk)
    # and the refund reads back alone and by payment or invoice
    assert finance_api.get(f"{REFUNDS_URL}/{body['id']}").json() == body
    assert finance_api.get(REFUNDS_URL, {"payment_id": payment.pk}).json()["results"] == [body]
    assert finance_api.get(REFUNDS_URL, {"invoice_id": invoice.pk}).json()["results"] == [body]
    assert finance_api.get(REFUNDS_URL, {"invoice_id": "inv_other"}).json()["results"] == []


def test_partial_refunds_add_up(finance_api: APIClient) -> None:
    invoice, payment = paid_and_credited("100.00")
    assert refund(finance_api, payment, "60.00", reference="R1").status_code == 201
    assert figures(invoice.pk)[4:] == (D("60.00"), D(0), D("40.00"))
    assert refund(finance_api, payment, "40", reference="R2").status_code == 201
    assert figures(invoice.pk)[4:] == (D("100.00"), D(0), D(0))
    assert_figures_add_up(invoice.pk)


def test_a_refund_is_at_most_its_payment_less_earlier_refunds(finance_api: APIClient) -> None:
    # given an invoice of 259.98 paid by 200.00 and 59.98, then credited 259.98 (everything owed back)
    invoice = InvoiceFactory(status="issued")
    big = PaymentFactory(invoice=invoice, amount=D("200.00"))
    small = PaymentFactory(invoice=invoice, amount=D("59.98"))
    CreditNoteFactory(invoice=invoice, amount=D("259.98"))
    assert figures(invoice.pk)[6] == D("259.98")
    # when more than the small payment is refunded on it, then it is refused, naming what is left of it
    before = snapshot()
    body = assert_problem(refund(finance_api, small, "60.00"), 422, "refund_exceeds_payment")
    assert (body["amount"], body["payment_refundable"]) == ("60.00", "59.98")
    assert snapshot() == before
    # and after refunding 50.00 of it, only 9.98 is left on it
    assert refund(finance_api, small, "50.00", reference="R1").status_code == 201
    assert assert_problem(refund(finance_api, small, "10.00", reference="R2"), 422,
                          "refund_exceeds_payment")["payment_refundable"] == "9.98"
    # while the big payment takes the rest
    assert refund(finance_api, big, "200.00", reference="R3").status_code == 201
    assert refund(finance_api, small, "9.98", reference="R4").status_code == 201
    assert figures(invoice.pk) == ("paid", D("259.98"), D("259.98"), D("259.98"), D("259.98"), D(0), D(0))
    assert_figures_add_up(invoice.pk)


REFUSALS = [
    # (name, credit, body overrides, http status, code, field)
    ("nothing credited", None, {"amount": "1.00"}, 422, "refund_exceeds_credit", None),
    ("more than credited", "100.00", {"amount": "100.01"}, 422, "refund_exceeds_credit", None),
    ("more than the payment", "259.98", {"amount": "259.99"}, 422, "refund_exceeds_payment", None),
    ("other currency", "100.00", {"currency": "EUR"}, 422, "currency_mismatch", None),
    ("unknown currency", "100.00", {"currency": "XYZ"}, 400, "validation_error", "currency"),
    ("zero", "100.00", {"amount": 0}, 400, "validation_error", "amount"),
    ("negative", "100.00", {"amount": "-1.00"}, 400, "validation_error", "amount"),
    ("sub-cent", "100.00", {"amount": "0.001"}, 400, "validation_error", "amount"),
    ("unknown payment", "100.00", {"payment_id": "pay_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 400, "validation_error",
     "payment_id"),
    ("no reason", "100.00", {"reason": ""}, 400, "validation_error", "reason"),
    ("blank reference", "100.00", {"reference": "  "}, 400, "validation_error", "reference"),
    ("unknown field", "100.00", {"note": "x"}, 400, "validation_error", "note"),
]


@pytest.mark.parametrize(("credit", "overrides", "http_status", "code", "field"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_refused_refund_changes_nothing(
    finance_api: APIClient, credit: str | None, overrides: dict[str, Any], http_status: int, code: str,
    field: str | None,
) -> None:
    # given an invoice of 259.98 paid in full (and credited, unless the case says otherwise)
    invoice = InvoiceFactory(status="paid")
    if credit:
        CreditNoteFactory(invoice=invoice, amount=D(credit))
    payment = invoice.payments.get()
    before, figures_before = snapshot(), figures(invoice.pk)
    # when finance records the refund
    response = refund(finance_api, payment, overrides.pop("amount", "50.00"), **overrides)
    # then it is refused with its code, and nothing changed
    problem = assert_problem(response, http_status, code)
    if field:
        assert field in error_fields(problem), problem
    assert snapshot() == before
    assert figures(invoice.pk) == figures_before


def test_the_currency_defaults_to_the_payments(finance_api: APIClient) -> None:
    _invoice, payment = paid_and_credited()
    response = refund(finance_api, payment, "1.00", currency=None)
    assert (response.status_code, response.json()["currency"]) == (201, "USD")
    body = assert_problem(refund(finance_api, payment, "1.00", currency="EUR", reference="X"), 422,
                          "currency_mismatch")
    assert (body["payment_currency"], body["refund_currency"]) == ("USD", "EUR")


@pytest.mark.parametrize("role", ["sales", "warehouse"])
def test_only_finance_records_refunds(client_for: Callable[..., APIClient], role: str) -> None:
    _invoice, payment = paid_and_credited()
    api = client_for(role)
    before = snapshot()
    assert_problem(refund(api, payment, "10.00"), 403, "permission_denied")
    assert_problem(api.get(REFUNDS_URL), 403, "permission_denied")
    assert snapshot() == before


def test_same_key_and_body_replays_without_a_second_refund(finance_api: APIClient) -> None:
    invoice, payment = paid_and_credited()
    first = refund(finance_api, payment, "10.00", key="ref-once")
    assert first.status_code == 201, first.content
    again = refund(finance_api, payment, "10.00", key="ref-once")
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (201, "true", first.json())
    assert Refund.objects.filter(payment=payment).count() == 1
    assert figures(invoice.pk)[4] == D("10.00")
    before = snapshot()
    assert_problem(refund(finance_api, payment, "11.00", key="ref-once"), 422, "idempotency_key_reused")
    assert snapshot() == before


def test_refunds_list_query_count_does_not_grow(
    finance_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    invoice, payment = paid_and_credited("259.98")
    for _ in range(5):
        RefundFactory(payment=payment, amount=D("1.00"))
    finance_api.get(REFUNDS_URL)  # warm up the token
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(REFUNDS_URL, {"limit": 5}).json()["results"]) == 5
    for _ in range(10):
        _other, other_payment = paid_and_credited("1.00")
        RefundFactory(payment=other_payment)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(REFUNDS_URL, {"limit": 15}).json()["results"]) == 15
    assert_figures_add_up(invoice.pk)
