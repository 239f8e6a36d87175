"""Credit notes API: POST /api/v1/sales/credit-notes (lines or one amount) with its rules, Idempotency-Key and
roles; the list (filters, query count), detail and PDF; and what a credit note does to its invoice's figures."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services
from billing.models import CreditNote, Invoice
from synthesq.core.errors import PermissionRefused, ValidationFailed
from synthesq.core.models import Sequence
from tests.factories import CreditNoteFactory, CustomerFactory, InvoiceFactory, PaymentFactory

from .helpers import (
    CREDIT_NOTES_URL,
    assert_figures_add_up,
    assert_problem,
    error_fields,
    figures,
    invoice_url,
    pay,
    snapshot,
)

pytestmark = pytest.mark.django_db

FIELDS = {"id", "number", "invoice_id", "invoice_number", "order_id", "customer_id", "return_id", "reason",
          "currency", "net_total", "tax_total", "total", "taxes", "lines", "issued_at", "created_by", "invoice"}
LINE_FIELDS = {"position", "product_id", "description", "quantity", "unit_price", "line_total", "tax_rate",
               "net_amount", "tax_amount", "gross_amount", "taxes"}
# token lookup, the user's permissions, its groups' permissions, the page (invoice and issuer joined), its lines
LIST_QUERY_BUDGET = 5
D = Decimal


def credit_note_number(value: int, year: int | None = None) -> str:
    return f"CN-{year or timezone.now().year}-{value:06d}"


def credit(api: APIClient, invoice: Invoice, *, key: str | None = None, **body: Any) -> Any:
    """POST /credit-notes for ``invoice`` (with an Idempotency-Key when ``key`` is given)."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    body = {"invoice_id": invoice.pk, "reason": "price adjustment", **body}
    return api.post(CREDIT_NOTES_URL, {k: v for k, v in body.items() if v is not None}, format="json", **headers)


# --- issuing -------------------------------------------------------------------------------------------------


def test_finance_credits_lines_of_an_issued_invoice(finance_api: APIClient) -> None:
    # given an issued invoice of 259.98 (2 x 129.99)
    invoice = InvoiceFactory(status="issued")
    # when finance credits one unit and a delivery fee adjustment
    response = credit(finance_api, invoice, reason="one unit damaged", lines=[
        {"description": "Widget (damaged)", "quantity": 1, "unit_price": "129.99"},
        {"description": "Delivery adjustment", "quantity": 2, "unit_price": 5},
    ])
    # then a numbered credit note is returned with its lines and the invoice after it
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"].startswith("cn_")
    assert response["Location"] == f"{CREDIT_NOTES_URL}/{body['id']}"
    assert (body["number"], body["invoice_id"], body["invoice_number"], body["order_id"], body["customer_id"]) == (
        credit_note_number(1), invoice.pk, invoice.number, invoice.order_id, invoice.customer_id)
    assert (body["reason"], body["currency"], body["total"], body["return_id"]) == (
        "one unit damaged", "USD", "139.99", None)
    assert body["created_by"] == finance_api.user.username  # type: ignore[attr-defined]
    assert [set(line) for line in body["lines"]] == [LINE_FIELDS, LINE_FIELDS]
    assert [(line["position"], line["description"], line["quantity"], line["unit_price"], line["line_total"])
            for line in body["lines"]] == [(1, "Widget (damaged)", 1, "129.99", "129.99"),
                                           (2, "Delivery adjustment", 2, "5.00", "10.00")]
    assert body["invoice"] == {"id": invoice.pk, "number": invoice.number, "status": "issued", "total": "259.98",
                               "amount_paid": "0.00", "amount_credited": "139.99", "amount_refunded": "0.00",
                               "amount_due": "119.99", "amount_refundable": "0.00"}
    # and the invoice reads the new figures, with the credit note in its history
    read = finance_api.get(invoice_url(invoice.pk)).json()
    assert (read["status"], read["amount_credited"], read["amount_due"], read["amount_refundable"]) == (
        "issued", "139.99", "119.99", "0.00")
    history = finance_api.get(invoice_url(invoice.pk, "/history")).json()["results"]
    assert [(e["kind"], e["reason"], e["data"].get("number")) for e in history][-1] == (
        "credit_note_issued", "one unit damaged", credit_note_number(1))
    assert_figures_add_up(invoice.pk)


def test_an_amount_credits_one_line_and_a_draft_is_issued_first(finance_api: APIClient) -> None:
    # given a draft invoice
    invoice = InvoiceFactory()
    # when finance credits 20.00 of goodwill
    response = credit(finance_api, invoice, amount="20.00", reason="late delivery")
    # then the invoice was issued on the way, and the credit note has one line
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(line["description"], line["quantity"], line["line_total"]) for line in body["lines"]] == [
        ("Credit: late delivery", 1, "20.00")]
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.status == "issued" and stored.number
    assert [e.kind for e in stored.events.order_by("id")] == ["created", "status_changed", "credit_note_issued"]
    assert figures(invoice.pk)[1:] == (D("259.98"), D("20.00"), D(0), D(0), D("239.98"), D(0))


def test_credit_covering_what_is_left_settles_the_invoice(finance_api: APIClient) -> None:
    # given an issued invoice of 259.98 with 200.00 paid
    invoice = InvoiceFactory(status="issued", paid=D("200.00"))
    # when the remaining 59.98 is credited
    response = credit(finance_api, invoice, amount="59.98")
    # then nothing is due and the invoice became paid, as through payments
    assert response.status_code == 201, response.content
    assert response.json()["invoice"]["status"] == "paid"
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_due, stored.amount_refundable) == ("paid", D(0), D(0))
    assert stored.paid_at is not None
    assert [(e.kind, e.to_status, e.reason) for e in stored.events.order_by("id")][-2:] == [
        ("credit_note_issued", "issued", "price adjustment"), ("status_changed", "paid", "credited in full")]
    assert_figures_add_up(invoice.pk)


def test_crediting_a_paid_invoice_makes_money_refundable(finance_api: APIClient) -> None:
    invoice = InvoiceFactory(status="paid")
    assert credit(finance_api, invoice, amount="129.99").status_code == 201
    assert figures(invoice.pk) == ("paid", D("259.98"), D("129.99"), D("259.98"), D(0), D(0), D("129.99"))
    assert_figures_add_up(invoice.pk)


def test_payments_refuse_overpayment_against_the_credited_amount_due(finance_api: APIClient) -> None:
    # given an issued invoice of 259.98 credited 100.00
    invoice = InvoiceFactory(status="issued")
    CreditNoteFactory(invoice=invoice, amount=D("100.00"))
    invoice.refresh_from_db()
    # when a payment of the old total arrives, then it is an overpayment against 159.98
    before = snapshot()
    body = assert_problem(pay(finance_api, invoice, "259.98"), 422, "overpayment")
    assert body["amount_due"] == "159.98"
    assert snapshot() == before
    # and paying 159.98 settles it
    assert pay(finance_api, invoice, "159.98").json()["invoice"]["status"] == "paid"
    assert_figures_add_up(invoice.pk)


def test_numbers_are_gap_free_per_year_and_refusals_take_none(finance_api: APIClient) -> None:
    # given two invoices
    first, second = InvoiceFactory(status="issued"), InvoiceFactory(status="issued")
    # when credit notes are issued, one refused in between
    assert credit(finance_api, first, amount="10.00").json()["number"] == credit_note_number(1)
    assert_problem(credit(finance_api, first, amount="500.00"), 422, "credit_exceeds_invoice")
    assert credit(finance_api, second, amount="10.00").json()["number"] == credit_note_number(2)
    assert credit(finance_api, first, amount="1.00").json()["number"] == credit_note_number(3)
    # then numbers run 1..3 from their own counter, the invoices' counter untouched
    assert sorted(CreditNote.objects.values_list("number", flat=True)) == [credit_note_number(n) for n in (1, 2, 3)]
    year = timezone.now().year
    assert Sequence.objects.get(name=f"credit-note-{year}").value == 3
    assert Sequence.objects.get(name=f"invoice-{year}").value == 2


def test_a_new_year_starts_its_own_counter() -> None:
    # given a credit note counter of last year at 41
    year = timezone.now().year
    Sequence.objects.create(name=f"credit-note-{year - 1}", value=41)
    # when a credit note is issued this year, then it is number 1 of this year
    assert CreditNoteFactory().number == credit_note_number(1, year)
    assert Sequence.objects.get(name=f"credit-note-{year - 1}").value == 41


# --- refusals ------------------------------------------------------------------------------------------------

REFUSALS = [
    # (name, invoice status, body, http status, code, field)
    ("void invoice", "void", {"amount": "10.00"}, 409, "invoice_not_creditable", None),
    ("more than the total", "issued", {"amount": "259.99"}, 422, "credit_exceeds_invoice", None),
    ("lines above the total", "issued", {"lines": [{"description": "x", "quantity": 3, "unit_price": "129.99"}]},
     422, "credit_exceeds_invoice", None),
    ("more than is left after earlier credit", "credited", {"amount": "159.99"}, 422, "credit_exceeds_invoice",
     None),
    ("unknown invoice", "issued", {"amount": "10.00", "invoice_id": "inv_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 400,
     "validation_error", "invoice_id"),
    ("lines and amount", "issued", {"amount": "10.00", "lines": [{"description": "x", "quantity": 1,
                                                                 "unit_price": "1.00"}]},
     400, "validation_error", "lines"),
    ("neither lines nor amount", "issued", {}, 400, "validation_error", "lines"),
    ("no lines", "issued", {"lines": []}, 400, "validation_error", "lines"),
    ("zero amount", "issued", {"amount": 0}, 400, "validation_error", "amount"),
    ("negative amount", "issued", {"amount": "-5.00"}, 400, "validation_error", "amount"),
    ("sub-cent amount", "issued", {"amount": "0.001"}, 400, "validation_error", "amount"),
    ("zero quantity", "issued", {"lines": [{"description": "x", "quantity": 0, "unit_price": "1.00"}]}, 400,
     "validation_error", "lines"),
    ("huge quantity", "issued", {"lines": [{"description": "x", "quantity": 10**25, "unit_price": "1.00"}]}, 400,
     "validation_error", "lines"),
    ("no reason", "issued", {"amount": "10.00", "reason": ""}, 400, "validation_error", "reason"),
    ("unknown field", "issued", {"amount": "10.00", "note": "x"}, 400, "validation_error", "note"),
]


@pytest.mark.parametrize(("status", "body", "http_status", "code", "field"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_refused_credit_note_changes_nothing(
    finance_api: APIClient, status: str, body: dict[str, Any], http_status: int, code: str, field: str | None
) -> None:
    # given an invoice of 259.98 (credited 100.00 in the "credited" case)
    invoice = InvoiceFactory(status="issued" if status == "credited" else status)
    if status == "credited":
        CreditNoteFactory(invoice=invoice, amount=D("100.00"))
    before, figures_before = snapshot(), figures(invoice.pk)
    # when finance asks for the credit note
    response = credit(finance_api, invoice, **body)
    # then it is refused with its code, naming the field, and nothing changed
    problem = assert_problem(response, http_status, code)
    if field:
        assert any(name and name.startswith(field) for name in error_fields(problem)), problem
    assert snapshot() == before
    assert figures(invoice.pk) == figures_before


def test_refusals_carry_what_a_client_needs(finance_api: APIClient) -> None:
    invoice = InvoiceFactory(status="issued")
    CreditNoteFactory(invoice=invoice, amount=D("200.00"))
    body = assert_problem(credit(finance_api, invoice, amount="60.00"), 422, "credit_exceeds_invoice")
    assert (body["amount"], body["creditable"]) == ("60.00", "59.98")
    void = InvoiceFactory(status="void")
    body = assert_problem(credit(finance_api, void, amount="1.00"), 409, "invoice_not_creditable")
    assert (body["invoice_id"], body["invoice_status"]) == (void.pk, "void")


@pytest.mark.parametrize("role", ["sales", "warehouse"])
def test_only_finance_issues_credit_notes(client_for: Callable[..., APIClient], role: str) -> None:
    invoice = InvoiceFactory(status="issued")
    before = snapshot()
    assert_problem(credit(client_for(role), invoice, amount="10.00"), 403, "permission_denied")
    assert snapshot() == before


def test_the_service_checks_the_role_too(client_for: Callable[..., APIClient]) -> None:
    invoice = InvoiceFactory(status="issued")
    sales_user = client_for("sales").user  # type: ignore[attr-defined]
    before = snapshot()
    with pytest.raises(PermissionRefused):
        services.credit_note_issue(invoice_id=invoice.pk, amount=D("1.00"), reason="x", actor=sales_user)
    assert snapshot() == before


def test_the_service_refuses_huge_quantities_too() -> None:
    invoice = InvoiceFactory(status="issued")
    before = snapshot()
    with pytest.raises(ValidationFailed):
        services.credit_note_issue(invoice_id=invoice.pk, reason="x", actor=None, lines=[
            {"description": "x", "quantity": 58207858955991393559904256, "unit_price": D("51722624085712.00")}])
    assert snapshot() == before


def test_a_superuser_may_credit(admin_api: APIClient) -> None:
    assert credit(admin_api, InvoiceFactory(status="issued"), amount="1.00").status_code == 201


# --- idempotency -----------------------------------------------------------------------------------------------


def test_same_key_and_body_replays_without_a_second_credit_note(finance_api: APIClient) -> None:
    invoice = InvoiceFactory(status="issued")
    first = credit(finance_api, invoice, amount="10.00", key="cn-once")
    assert first.status_code == 201, first.content
    again = credit(finance_api, invoice, amount="10.00", key="cn-once")
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (201, "true", first.json())
    assert CreditNote.objects.filter(invoice=invoice).count() == 1
    assert figures(invoice.pk)[2] == D("10.00")
    # and the same key with another body is refused, changing nothing
    before = snapshot()
    assert_problem(credit(finance_api, invoice, amount="11.00", key="cn-once"), 422, "idempotency_key_reused")
    assert snapshot() == before


# --- reading -----------------------------------------------------------------------------------------------------


def test_list_filters_detail_and_pdf(finance_api: APIClient, sales_api: APIClient) -> None:
    # given credit notes on two invoices of two customers
    customer = CustomerFactory()
    mine = InvoiceFactory(status="issued", customer=customer)
    other = InvoiceFactory(status="issued")
    a = CreditNoteFactory(invoice=mine, amount=D("1.00"))
    b = CreditNoteFactory(invoice=mine, amount=D("2.00"))
    c = CreditNoteFactory(invoice=other, amount=D("3.00"))
    # then the list is newest first, and filters by invoice, customer and number
    ids = [row["id"] for row in finance_api.get(CREDIT_NOTES_URL).json()["results"]]
    assert ids == [c.pk, b.pk, a.pk]
    assert [r["id"] for r in finance_api.get(CREDIT_NOTES_URL, {"invoice_id": mine.pk}).json()["results"]] == [
        b.pk, a.pk]
    assert [r["id"] for r in finance_api.get(CREDIT_NOTES_URL, {"customer_id": customer.pk}).json()["results"]] == [
        b.pk, a.pk]
    assert [r["id"] for r in finance_api.get(CREDIT_NOTES_URL, {"number": c.number.lower()}).json()["results"]] == [
        c.pk]
    # and sales may read them too; a detail is the list's row
    detail = sales_api.get(f"{CREDIT_NOTES_URL}/{a.pk}").json()
    assert (detail["number"], detail["total"]) == (a.number, "1.00")
    assert_problem(finance_api.get(f"{CREDIT_NOTES_URL}/cn_nope"), 404, "not_found")
    # and the PDF is a PDF named after the number
    pdf = finance_api.get(f"{CREDIT_NOTES_URL}/{a.pk}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="{a.number}.pdf"' in pdf["Content-Disposition"]


def test_warehouse_cannot_read_credit_notes(warehouse_api: APIClient) -> None:
    assert_problem(warehouse_api.get(CREDIT_NOTES_URL), 403, "permission_denied")


def test_credit_notes_list_query_count_does_not_grow(
    finance_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    invoice = InvoiceFactory(status="issued", quantity=100, stock=100)
    for _ in range(5):
        CreditNoteFactory(invoice=invoice, lines=[{"description": "a", "quantity": 1, "unit_price": "1.00"},
                                                  {"description": "b", "quantity": 1, "unit_price": "1.00"}])
    finance_api.get(CREDIT_NOTES_URL)  # warm up the token
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(CREDIT_NOTES_URL, {"limit": 5}).json()["results"]) == 5
    for _ in range(20):
        CreditNoteFactory(invoice=InvoiceFactory(status="issued"), amount=D("1.00"))
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(CREDIT_NOTES_URL, {"limit": 25}).json()["results"]) == 25


def test_invoice_list_query_count_is_unchanged_by_credit_notes_and_refunds(
    finance_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    # token lookup, the user's permissions, its groups' permissions, the page, its lines: as before credit notes
    for _ in range(3):
        invoice = InvoiceFactory(status="paid")
        CreditNoteFactory(invoice=invoice, amount=D("10.00"))
        services.refund_record(payment_id=invoice.payments.get().pk, amount=D("10.00"), reason="r",
                               reference="R", actor=None)
    finance_api.get("/api/v1/sales/invoices")
    with django_assert_max_num_queries(5):
        rows = finance_api.get("/api/v1/sales/invoices").json()["results"]
    assert {(r["amount_credited"], r["amount_refunded"], r["amount_due"]) for r in rows} == {
        ("10.00", "10.00", "0.00")}


def test_a_payment_after_partial_credit_then_credit_after_payment(finance_api: APIClient) -> None:
    """The figures after every step of a mixed story add up."""
    invoice = InvoiceFactory(status="issued")
    steps: list[Callable[[], Any]] = [
        lambda: CreditNoteFactory(invoice=invoice, amount=D("9.98")),
        lambda: PaymentFactory(invoice=invoice, amount=D("200.00")),
        lambda: CreditNoteFactory(invoice=invoice, amount=D("100.00")),
    ]
    expected = [
        ("issued", D("9.98"), D(0), D("250.00"), D(0)),
        ("issued", D("9.98"), D("200.00"), D("50.00"), D(0)),
        ("paid", D("109.98"), D("200.00"), D(0), D("50.00")),
    ]
    for step, (status, credited, paid, due, refundable) in zip(steps, expected, strict=True):
        step()
        state = figures(invoice.pk)
        assert (state[0], state[2], state[3], state[5], state[6]) == (status, credited, paid, due, refundable)
        assert_figures_add_up(invoice.pk)
