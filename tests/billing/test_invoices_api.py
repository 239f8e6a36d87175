"""Invoices API: /api/v1/sales/invoices (list, filters, detail, PATCH …/status, history), the invoice made when an
order is confirmed, numbering, due dates and roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services
from billing.models import Invoice, InvoiceEvent, InvoiceStatus
from inventory.models import Product
from sales.models import Order
from synthesq.core.errors import Conflict
from synthesq.core.models import Sequence
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, PaymentFactory, ProductFactory

from .helpers import (
    CREDIT_NOTES_URL,
    INVOICES_URL,
    assert_problem,
    error_fields,
    follow_pages,
    invoice_number,
    invoice_url,
    order_status_url,
    pay,
    snapshot,
)

pytestmark = pytest.mark.django_db

FIELDS = {
    "id", "number", "order_id", "customer_id", "status", "currency", "customer_name", "customer_email",
    "billing_address", "line_items", "subtotal", "total", "amount_paid", "amount_credited", "amount_refunded",
    "amount_due", "amount_refundable", "overdue", "allowed_statuses", "issued_at", "due_at", "paid_at", "voided_at",
    "void_reason", "created_at", "updated_at", "customer_tax_id", "tax_exempt_reason", "charges", "charges_total",
    "tax_total", "prices_include_tax", "tax_rounding", "taxes", "discount", "promotion_code", "promotion_discount",
    "discount_total",
}
LINE_FIELDS = {"product_id", "sku", "description", "quantity", "unit_price", "line_total", "tax_class", "tax_rate",
               "net_amount", "tax_amount", "gross_amount", "taxes", "list_price", "discount", "order_discount_amount"}
EVENT_FIELDS = {"id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"}
def untaxed(amount: str) -> dict[str, object]:
    """The tax fields of a line no rate applies to."""
    return {"tax_class": "standard", "tax_rate": "0.0000", "net_amount": amount, "tax_amount": "0.00",
            "gross_amount": amount, "taxes": []}


def undiscounted(list_price: object) -> dict[str, object]:
    """The discount fields of a line without discount (issue 23), with its product's price."""
    return {"list_price": f"{Decimal(str(list_price)):.2f}", "discount": None, "order_discount_amount": "0.00"}


GUIDE_ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701",
                 "country": "US"}
# token lookup, the user's permissions, its groups' permissions, the page, the lines of the page's invoices
LIST_QUERY_BUDGET = 5
# token lookup, permissions, groups' permissions, the invoice (with its lines, prefetched needlessly), the events
HISTORY_QUERY_BUDGET = 6


def status_change(api: APIClient, invoice_id: str, status: str, reason: str | None = None) -> Any:
    body = {"status": status} if reason is None else {"status": status, "reason": reason}
    return api.patch(invoice_url(invoice_id, "/status"), body, format="json")


def invoice_in(status: str, **kwargs: Any) -> Invoice:
    """An invoice in ``status``; ``part_paid`` is issued with 100.00 of 259.98 paid."""
    if status == "part_paid":
        return InvoiceFactory(status=InvoiceStatus.ISSUED, paid=Decimal("100.00"), **kwargs)
    return InvoiceFactory(status=status, **kwargs)


def listed_ids(api: APIClient, query: str = "") -> list[str]:
    rows, _pages = follow_pages(api, f"{INVOICES_URL}?limit=3{'&' if query else ''}{query}")
    return [row["id"] for row in rows]


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- created by confirming the order --------------------------------------------------------------------


def test_confirming_an_order_creates_its_draft_invoice_as_a_snapshot(
    sales_api: APIClient, finance_api: APIClient
) -> None:
    # given a customer and two products with stock
    customer = CustomerFactory(name="Acme Corp", email="ap@acme.example", default_shipping_address=GUIDE_ADDRESS)
    keyboard = ProductFactory(sku="KB-01", name="Keyboard", price=Decimal("139.00"), stock=10)
    cable = ProductFactory(sku="CBL-02", name="Cable", price=Decimal("15.50"), stock=10)
    # and the guide's draft order: 2 x 129.99 (price sent) and a line priced from the catalogue
    created = sales_api.post("/api/v1/sales/orders", {
        "customer_id": customer.pk, "currency": "USD",
        "line_items": [{"product_id": keyboard.pk, "quantity": 2, "unit_price": 129.99},
                       {"product_id": cable.pk, "quantity": 1}],
        "shipping_address": GUIDE_ADDRESS,
    }, format="json")
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    # and no invoice while the order is a draft
    assert sales_api.get(INVOICES_URL, {"order_id": order_id}).json()["results"] == []
    # when the order is confirmed
    response = sales_api.patch(order_status_url(order_id), {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    # then the guide's query finds exactly one invoice, a draft without a number
    results = sales_api.get(INVOICES_URL, {"order_id": order_id}).json()["results"]
    assert len(results) == 1
    body = results[0]
    assert set(body) == FIELDS
    assert body["id"].startswith("inv_")
    assert (body["status"], body["number"], body["order_id"]) == ("draft", None, order_id)
    # with a snapshot of the customer, the lines and the totals
    assert (body["customer_id"], body["customer_name"], body["customer_email"]) == (
        customer.pk, "Acme Corp", "ap@acme.example")
    assert body["billing_address"] == GUIDE_ADDRESS
    assert body["currency"] == "USD"
    assert body["line_items"] == [
        {"product_id": keyboard.pk, "sku": "KB-01", "description": "Keyboard", "quantity": 2,
         "unit_price": "129.99", "line_total": "259.98", **untaxed("259.98"), **undiscounted(keyboard.price)},
        {"product_id": cable.pk, "sku": "CBL-02", "description": "Cable", "quantity": 1,
         "unit_price": "15.50", "line_total": "15.50", **untaxed("15.50"), **undiscounted(cable.price)},
    ]
    assert (body["subtotal"], body["total"], body["amount_paid"], body["amount_due"]) == (
        "275.48", "275.48", "0.00", "275.48")
    assert body["overdue"] is False
    assert (body["issued_at"], body["due_at"], body["paid_at"], body["voided_at"], body["void_reason"]) == (
        None, None, None, None, "")
    # and sales (who may only read) may move it nowhere, finance may issue or void it
    assert body["allowed_statuses"] == []
    assert finance_api.get(invoice_url(body["id"])).json()["allowed_statuses"] == ["issued", "void"]
    # and its creation is the first history entry, by the user who confirmed
    history = sales_api.get(invoice_url(body["id"], "/history")).json()["results"]
    assert [(e["kind"], e["from_status"], e["to_status"], e["actor"]) for e in history] == [
        ("created", "", "draft", sales_api.user.username),  # type: ignore[attr-defined]
    ]
    assert history[0]["data"]["order_id"] == order_id
    assert history[0]["data"]["total"] == "275.48"
    # and the detail reads the same as the list
    assert sales_api.get(invoice_url(body["id"])).json() == body


def test_invoice_snapshot_survives_catalogue_and_customer_edits(
    sales_api: APIClient, warehouse_api: APIClient
) -> None:
    # given the draft invoice of a confirmed order
    product = ProductFactory(sku="KB-01", name="Keyboard", price=Decimal("129.99"), stock=10)
    customer = CustomerFactory(name="Acme Corp", email="ap@acme.example")
    order = OrderFactory(status="confirmed", customer=customer, lines=[(product, 2)])
    before = sales_api.get(INVOICES_URL, {"order_id": order.pk}).json()["results"][0]
    # when the product is renamed and repriced, and the customer renamed, re-mailed and moved
    assert warehouse_api.patch(f"/api/v1/inventory/products/{product.pk}",
                               {"name": "Keyboard v2", "sku": "KB-02", "price": "199.00"},
                               format="json").status_code == 200
    assert sales_api.patch(f"/api/v1/sales/customers/{customer.pk}", {
        "name": "Acme Holdings", "email": "billing@acme.example",
        "default_shipping_address": {"line1": "1 New Rd", "city": "Dallas", "country": "US"},
    }, format="json").status_code == 200
    # then the invoice still reads exactly as it did
    after = sales_api.get(invoice_url(before["id"])).json()
    assert after == before
    assert after["line_items"][0]["description"] == "Keyboard"
    assert (after["customer_name"], after["total"]) == ("Acme Corp", "259.98")
    # and so does it after being issued (issuing does not re-read the catalogue or the customer)
    services.invoice_issue(invoice_id=before["id"], actor=None)
    issued = sales_api.get(invoice_url(before["id"])).json()
    assert (issued["customer_name"], issued["customer_email"], issued["line_items"], issued["total"]) == (
        "Acme Corp", "ap@acme.example", before["line_items"], "259.98")


def test_billing_address_falls_back_to_the_orders_shipping_address() -> None:
    # given a customer without a default address, and an order shipped to an explicit address
    customer = CustomerFactory(no_address=True)
    order = OrderFactory(status="confirmed", customer=customer, shipping_address=GUIDE_ADDRESS)
    # then the invoice bills to that address
    assert Invoice.objects.get(order=order).billing_address == GUIDE_ADDRESS


def test_a_failed_confirmation_leaves_no_invoice(sales_api: APIClient) -> None:
    # given a draft order for more than is in stock
    product = ProductFactory(stock=1)
    order = OrderFactory(lines=[(product, 2)])
    before = snapshot()
    # when it is confirmed
    response = sales_api.patch(order_status_url(order.pk), {"status": "confirmed"}, format="json")
    # then it is refused and there is no invoice; order, stock and ledger are unchanged
    assert_problem(response, 422, "insufficient_stock")
    assert snapshot() == before
    assert not Invoice.objects.exists()
    assert sales_api.get(INVOICES_URL, {"order_id": order.pk}).json()["results"] == []


def test_invoice_is_made_in_the_confirmation_transaction(
    sales_api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a draft order, and invoice creation that fails
    order = OrderFactory(stock=10)

    def refuse(**kwargs: Any) -> None:
        raise Conflict("billing is down")

    monkeypatch.setattr(services, "invoice_create_for_order", refuse)
    before = snapshot()
    # when the order is confirmed
    response = sales_api.patch(order_status_url(order.pk), {"status": "confirmed"}, format="json")
    # then the confirmation is refused as a whole: no reservation, the order is still a draft
    assert_problem(response, 409, "conflict")
    assert snapshot() == before
    assert Order.objects.get(pk=order.pk).status == "draft"
    assert Product.objects.get(pk=order.lines.get().product_id).stock_quantity == 10


def test_an_order_has_one_invoice(sales_api: APIClient) -> None:
    # given a confirmed order with its invoice
    order = OrderFactory(status="confirmed")
    invoice = Invoice.objects.get(order=order)
    # when it is confirmed again (refused, changing nothing) and the invoice creation is run again
    before = snapshot()
    assert_problem(sales_api.patch(order_status_url(order.pk), {"status": "confirmed"}, format="json"), 409,
                   "invalid_transition")
    assert snapshot() == before
    again = services.invoice_create_for_order(order=order, actor=None)
    # then it is the same invoice, created once
    assert again.pk == invoice.pk
    assert Invoice.objects.filter(order=order).count() == 1
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="created").count() == 1


# --- status changes: every status x every requested status -------------------------------------------------

CURRENT = ["draft", "issued", "part_paid", "paid", "void"]
REQUESTED = ["issued", "void", "paid", "draft"]
ALLOWED_MOVES = {("draft", "issued"), ("draft", "void"), ("issued", "void")}
# what the 409 body says the invoice may move to now
ALLOWED_NEXT = {"draft": ["issued", "void"], "issued": ["void"], "part_paid": [], "paid": [], "void": []}


@pytest.mark.parametrize("requested", REQUESTED)
@pytest.mark.parametrize("current", CURRENT)
def test_status_matrix(finance_api: APIClient, current: str, requested: str) -> None:
    # given an invoice in each status
    invoice = invoice_in(current)
    before = snapshot()
    events = invoice.events.count()
    # when finance asks for each status
    response = status_change(finance_api, invoice.pk, requested, reason="matrix")
    if (current, requested) in ALLOWED_MOVES:
        # then the allowed moves happen and are recorded
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == requested
        assert invoice.events.count() == events + 1
        last = invoice.events.order_by("-id").first()
        assert (last.kind, last.from_status, last.to_status, last.reason, last.actor_id) == (
            "status_changed", current, requested, "matrix", finance_api.user.pk)  # type: ignore[attr-defined]
        # and nothing outside the invoice changed
        after = snapshot()
        for table in ("billing.Payment", "sales.Order", "sales.OrderEvent", "inventory.Product",
                      "inventory.StockMovement", "billing.InvoiceLine"):
            assert after[table] == before[table]
        return
    # then every other move is a 409 that changes nothing
    status_shown = "issued" if current == "part_paid" else current
    if (current, requested) == ("part_paid", "void"):
        body = assert_problem(response, 409, "invoice_has_payments")
        assert (body["invoice_id"], body["amount_paid"]) == (invoice.pk, "100.00")
    else:
        body = assert_problem(response, 409, "invalid_transition")
        assert (body["current_status"], body["requested_status"]) == (status_shown, requested)
        assert body["allowed_statuses"] == ALLOWED_NEXT[current]
    if requested == "paid":
        assert "payment" in body["detail"]
    assert snapshot() == before


def test_issue_sets_number_dates_and_history(finance_api: APIClient, settings: Any) -> None:
    # given 14-day payment terms and a draft invoice
    settings.INVOICE_PAYMENT_TERMS_DAYS = 14
    invoice = InvoiceFactory()
    started = timezone.now()
    # when finance issues it
    response = status_change(finance_api, invoice.pk, "issued", reason="sent to customer")
    # then it has its number, issue date and a due date 14 days later
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == invoice_number(1)
    issued_at, due_at = parse(body["issued_at"]), parse(body["due_at"])
    assert started <= issued_at <= timezone.now()
    assert due_at - issued_at == timedelta(days=14)
    assert (body["overdue"], body["amount_due"], body["allowed_statuses"]) == (False, "259.98", ["void"])
    # and the history says who issued it, why, with which number and due date
    event = finance_api.get(invoice_url(invoice.pk, "/history")).json()["results"][-1]
    assert set(event) == EVENT_FIELDS
    assert (event["kind"], event["from_status"], event["to_status"], event["reason"], event["actor"]) == (
        "status_changed", "draft", "issued", "sent to customer", finance_api.user.username)  # type: ignore[attr-defined]
    assert event["data"]["number"] == body["number"]
    assert abs(parse(event["data"]["due_at"]) - due_at) < timedelta(milliseconds=1)  # JSON keeps milliseconds


def test_default_payment_terms_are_30_days(finance_api: APIClient) -> None:
    invoice = InvoiceFactory()
    body = status_change(finance_api, invoice.pk, "issued").json()
    assert parse(body["due_at"]) - parse(body["issued_at"]) == timedelta(days=30)


def test_numbers_are_sequential_in_issue_order_and_refusals_consume_none(
    finance_api: APIClient, sales_api: APIClient
) -> None:
    # given three draft invoices, and one voided while still a draft (it never gets a number)
    first, second, third = InvoiceFactory(), InvoiceFactory(), InvoiceFactory()
    voided = InvoiceFactory()
    assert status_change(finance_api, voided.pk, "void").json()["number"] is None
    # when they are issued in another order than they were created, with refused attempts in between
    assert status_change(finance_api, second.pk, "issued").json()["number"] == invoice_number(1)
    before = snapshot()
    refused = [
        (status_change(finance_api, second.pk, "issued"), 409, "invalid_transition"),  # already issued
        (status_change(sales_api, third.pk, "issued"), 403, "permission_denied"),  # role may not
        (status_change(finance_api, voided.pk, "issued"), 409, "invalid_transition"),  # void
        (status_change(finance_api, third.pk, "bogus"), 400, "validation_error"),
        (status_change(finance_api, "inv_missing", "issued"), 404, "not_found"),
    ]
    for response, status, code in refused:
        assert_problem(response, status, code)
    assert snapshot() == before
    assert status_change(finance_api, third.pk, "issued").status_code == 200
    assert status_change(finance_api, first.pk, "issued").status_code == 200
    # then the numbers follow the order of issue, INV-<year>-<6 digits>, with no gap for the refusals
    numbers = {inv.pk: Invoice.objects.get(pk=inv.pk).number for inv in (second, third, first)}
    year = timezone.now().year
    assert numbers == {second.pk: f"INV-{year}-000001", third.pk: f"INV-{year}-000002",
                       first.pk: f"INV-{year}-000003"}
    assert Sequence.objects.get(name=f"invoice-{year}").value == 3
    # and a number is never reused: voiding an issued invoice keeps its number, the next one is 4
    assert status_change(finance_api, third.pk, "void").json()["number"] == invoice_number(2)
    assert status_change(finance_api, InvoiceFactory().pk, "issued").json()["number"] == invoice_number(4)


def test_numbers_restart_each_year(finance_api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # given two invoices issued this year
    year = timezone.now().year
    for _ in range(2):
        status_change(finance_api, InvoiceFactory().pk, "issued")
    # when the year turns and another is issued
    new_year = datetime(year + 1, 1, 1, 0, 0, 5, tzinfo=UTC)
    draft = InvoiceFactory()
    monkeypatch.setattr(timezone, "now", lambda: new_year)
    body = status_change(finance_api, draft.pk, "issued").json()
    # then numbering starts again at 1 for the new year
    assert body["number"] == invoice_number(1, year + 1)
    assert parse(body["issued_at"]) == new_year
    assert parse(body["due_at"]) == new_year + timedelta(days=30)
    assert sorted(Invoice.objects.exclude(number=None).values_list("number", flat=True)) == [
        invoice_number(1, year), invoice_number(2, year), invoice_number(1, year + 1)]


# --- void ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "issued"])
def test_void_a_draft_or_an_issued_invoice_with_nothing_paid(finance_api: APIClient, status: str) -> None:
    invoice = InvoiceFactory(status=status)
    response = status_change(finance_api, invoice.pk, "void", reason="duplicate order")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["void_reason"], body["amount_due"], body["allowed_statuses"]) == (
        "void", "duplicate order", "0.00", [])
    assert body["voided_at"]
    # an issued invoice keeps its number (numbers are never reused), a draft never gets one
    assert body["number"] == (invoice_number(1) if status == "issued" else None)
    # and voiding leaves the order alone
    assert Order.objects.get(pk=invoice.order_id).status == "confirmed"


def test_void_is_refused_once_anything_is_paid(finance_api: APIClient) -> None:
    # given a part-paid and a paid invoice
    part_paid = InvoiceFactory(status="issued", paid=Decimal("0.01"))
    paid = InvoiceFactory(status="paid")
    before = snapshot()
    # when finance voids them
    part = assert_problem(status_change(finance_api, part_paid.pk, "void"), 409, "invoice_has_payments")
    full = assert_problem(status_change(finance_api, paid.pk, "void"), 409, "invalid_transition")
    # then both are refused, saying why, and nothing changed
    assert (part["invoice_id"], part["amount_paid"]) == (part_paid.pk, "0.01")
    assert (full["current_status"], full["allowed_statuses"]) == ("paid", [])
    assert snapshot() == before


def test_void_is_refused_once_anything_is_credited(finance_api: APIClient) -> None:
    # given an issued invoice with a credit note of 30.00 on it
    invoice = InvoiceFactory(status="issued")
    credit = finance_api.post(CREDIT_NOTES_URL, {"invoice_id": invoice.pk, "amount": "30.00", "reason": "damage"},
                              format="json")
    assert credit.status_code == 201, credit.content
    before = snapshot()
    # when finance voids it
    body = assert_problem(status_change(finance_api, invoice.pk, "void"), 409, "invoice_has_credit")
    # then it is refused, naming the invoice and its credit note, and nothing changed
    assert (body["invoice_id"], body["invoice_number"], body["amount_credited"], body["credit_notes"]) == (
        invoice.pk, invoice_number(1), "30.00",
        [{"id": credit.json()["id"], "number": credit.json()["number"], "total": "30.00"}])
    assert "never voided" in body["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "status"), ({"status": None}, "status"), ({"status": "settled"}, "status"),
     ({"status": "void", "reason": "r" * 256}, "reason"), ({"status": "void", "note": "x"}, "note")],
)
def test_invalid_status_body_is_400(finance_api: APIClient, body: dict[str, Any], field: str) -> None:
    invoice = InvoiceFactory()
    before = snapshot()
    response = finance_api.patch(invoice_url(invoice.pk, "/status"), body, format="json")
    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert snapshot() == before


def test_unknown_invoice_is_404(finance_api: APIClient) -> None:
    InvoiceFactory()
    before = snapshot()
    for response in (finance_api.get(invoice_url("inv_nope")), finance_api.get(invoice_url("inv_nope", "/history")),
                     status_change(finance_api, "inv_nope", "void")):
        assert_problem(response, 404, "not_found")
    assert snapshot() == before


# --- history ---------------------------------------------------------------------------------------------


def test_history_records_every_move_oldest_first(
    client_for: Callable[..., APIClient], finance_api: APIClient, sales_api: APIClient
) -> None:
    # given an invoice created by a sales user's confirmation, issued, paid in two parts
    seller = client_for("sales").user  # type: ignore[attr-defined]
    invoice = InvoiceFactory(actor=seller)
    status_change(finance_api, invoice.pk, "issued", reason="sent")
    first = PaymentFactory(invoice=invoice, amount=Decimal("100.00"), reference="A", actor=finance_api.user)  # type: ignore[attr-defined]
    second = PaymentFactory(invoice=invoice, reference="B", actor=finance_api.user)  # type: ignore[attr-defined]
    # when its history is read two entries at a time (sales may read it)
    rows, pages = follow_pages(sales_api, invoice_url(invoice.pk, "/history") + "?limit=2")
    # then every move is there once, oldest first, with who and why
    finance = finance_api.user.username  # type: ignore[attr-defined]
    assert pages == 3
    assert [(r["kind"], r["from_status"], r["to_status"], r["actor"], r["reason"]) for r in rows] == [
        ("created", "", "draft", seller.username, ""),
        ("status_changed", "draft", "issued", finance, "sent"),
        ("payment_recorded", "issued", "issued", finance, ""),
        ("payment_recorded", "issued", "issued", finance, ""),
        ("status_changed", "issued", "paid", finance, "paid in full"),
    ]
    assert [r["data"].get("payment_id") for r in rows[2:4]] == [first.pk, second.pk]
    assert [r["data"]["amount_paid"] for r in rows[2:4]] == ["100.00", "259.98"]
    assert len({r["id"] for r in rows}) == 5
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


# --- list, filters, sort -----------------------------------------------------------------------------------


def test_filters(finance_api: APIClient) -> None:
    # given invoices in every status, for two customers
    acme = CustomerFactory()
    draft = InvoiceFactory(customer=acme)
    issued = InvoiceFactory(status="issued", customer=acme)
    overdue = InvoiceFactory(status="issued")
    part_paid = InvoiceFactory(status="issued", paid=Decimal("10.00"))
    paid = InvoiceFactory(status="paid")
    void = InvoiceFactory(status="void")
    everything = {draft.pk, issued.pk, overdue.pk, part_paid.pk, paid.pk, void.pk}
    # and one issued invoice, one paid and one void whose due date has passed
    past = timezone.now() - timedelta(days=1)
    Invoice.objects.filter(pk__in=[overdue.pk, paid.pk, void.pk]).update(due_at=past)

    def ids(**params: Any) -> set[str]:
        response = finance_api.get(INVOICES_URL, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    # then each filter selects what it says
    assert ids() == everything
    assert ids(order_id=issued.order_id) == {issued.pk}
    assert ids(order_id="ord_unknown") == set()
    assert ids(customer_id=acme.pk) == {draft.pk, issued.pk}
    assert ids(status="issued") == {issued.pk, overdue.pk, part_paid.pk}
    assert ids(status=["paid", "void"]) == {paid.pk, void.pk}
    assert ids(**{"status[]": ["draft", "paid"]}) == {draft.pk, paid.pk}
    assert ids(status="draft,void") == {draft.pk, void.pk}
    assert ids(status="issued", customer_id=acme.pk) == {issued.pk}
    assert ids(overdue="true") == {overdue.pk}
    assert ids(overdue="false") == everything - {overdue.pk}
    assert ids(number=overdue.number) == {overdue.pk}
    assert ids(number=overdue.number.lower()) == {overdue.pk}
    assert ids(number="INV-1999-000001") == set()
    # and the overdue flag is shown on each invoice
    flags = {row["id"]: row["overdue"] for row in finance_api.get(INVOICES_URL).json()["results"]}
    assert {pk for pk, flag in flags.items() if flag} == {overdue.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"overdue": "yes"}, "overdue"), ({"overdue": "1"}, "overdue"), ({"status": "settled"}, "status"),
     ({"status[]": ["draft", "nope"]}, "status"), ({"sort": "customer_name"}, "sort"), ({"limit": "0"}, "limit"),
     ({"cursor": "garbage"}, "cursor")],
)
def test_bad_filter_values_are_400(finance_api: APIClient, params: dict[str, Any], field: str) -> None:
    InvoiceFactory()
    body = assert_problem(finance_api.get(INVOICES_URL, params), 400, "validation_error")
    assert field in error_fields(body)


SORT_FIELDS = ["created_at", "issued_at", "due_at", "total", "number"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("field", SORT_FIELDS)
def test_sort_pages_through_every_invoice_once(finance_api: APIClient, field: str, descending: bool) -> None:
    # given invoices of different totals in every status: drafts have no number, issue or due date
    statuses = ["draft", "issued", "paid", "draft", "void", "issued", "draft"]
    for quantity, status in enumerate(statuses, start=1):
        InvoiceFactory(status=status, quantity=quantity)
    # when they are listed sorted, three at a time
    sort = f"-{field}" if descending else field
    rows, _pages = follow_pages(finance_api, f"{INVOICES_URL}?sort={sort}&limit=3")
    # then every invoice is listed once, in order (a missing value sorts first), ties by id
    nothing = "" if field == "number" else _EPOCH
    expected = sorted(Invoice.objects.all(), key=lambda inv: (getattr(inv, field) or nothing, inv.pk),
                      reverse=descending)
    assert [row["id"] for row in rows] == [inv.pk for inv in expected]


def test_default_order_is_newest_first(finance_api: APIClient) -> None:
    created = [InvoiceFactory().pk for _ in range(4)]
    assert listed_ids(finance_api) == created[::-1]


def test_list_query_count_does_not_grow_with_page_size_or_lines(
    finance_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    # given five one-line invoices
    for status in ("draft", "issued", "paid", "void", "draft"):
        InvoiceFactory(status=status)
    finance_api.get(INVOICES_URL)  # warm up the token
    # then a page of 5 needs the budget
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(INVOICES_URL, {"limit": 5}).json()["results"]) == 5
    # and with many more invoices, some of 20 lines, a page of 50 needs the same
    for _ in range(3):
        InvoiceFactory(line_count=20, status="issued")
    for _ in range(42):
        InvoiceFactory()
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        rows = finance_api.get(INVOICES_URL, {"limit": 50}).json()["results"]
    assert len(rows) == 50
    assert sorted(len(row["line_items"]) for row in rows)[-3:] == [20, 20, 20]
    assert {row["allowed_statuses"][0] for row in rows if row["status"] == "draft"} == {"issued"}
    # and one invoice of 20 lines, or its history, also within budget
    big = Invoice.objects.filter(lines__position=20).first()
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(finance_api.get(invoice_url(big.pk)).json()["line_items"]) == 20
    with django_assert_max_num_queries(HISTORY_QUERY_BUDGET):
        assert finance_api.get(invoice_url(big.pk, "/history")).status_code == 200


# --- roles -------------------------------------------------------------------------------------------------


def test_sales_reads_invoices_but_may_not_issue_or_void(sales_api: APIClient) -> None:
    invoice = InvoiceFactory()
    issued = InvoiceFactory(status="issued")
    # sales reads the list, the invoice and its history
    assert sales_api.get(INVOICES_URL).status_code == 200
    assert sales_api.get(invoice_url(invoice.pk)).json()["allowed_statuses"] == []
    assert sales_api.get(invoice_url(invoice.pk, "/history")).status_code == 200
    # but issuing and voiding are refused and change nothing
    before = snapshot()
    for target, status in ((invoice, "issued"), (invoice, "void"), (issued, "void")):
        assert_problem(status_change(sales_api, target.pk, status), 403, "permission_denied")
    assert snapshot() == before


def test_warehouse_and_anonymous_cannot_read_invoices(warehouse_api: APIClient, anon_api: APIClient) -> None:
    invoice = InvoiceFactory()
    before = snapshot()
    for url in (INVOICES_URL, invoice_url(invoice.pk), invoice_url(invoice.pk, "/history")):
        assert_problem(warehouse_api.get(url), 403, "permission_denied")
        assert_problem(anon_api.get(url), 401, "not_authenticated")
    assert_problem(status_change(warehouse_api, invoice.pk, "issued"), 403, "permission_denied")
    assert_problem(status_change(anon_api, invoice.pk, "issued"), 401, "not_authenticated")
    assert snapshot() == before


def test_invoices_are_read_only_apart_from_status(finance_api: APIClient) -> None:
    invoice = InvoiceFactory()
    before = snapshot()
    assert_problem(finance_api.post(INVOICES_URL, {"order_id": invoice.order_id}, format="json"), 405,
                   "method_not_allowed")
    assert_problem(finance_api.patch(invoice_url(invoice.pk), {"total": "1.00"}, format="json"), 405,
                   "method_not_allowed")
    assert_problem(finance_api.delete(invoice_url(invoice.pk)), 405, "method_not_allowed")
    assert snapshot() == before


def test_a_role_without_void_permission_gets_403_even_on_a_part_paid_invoice(
    sales_api: APIClient, finance_api: APIClient
) -> None:
    # given a part-paid invoice
    invoice = InvoiceFactory(status="issued")
    assert pay(finance_api, invoice, "10.00").status_code == 201
    before = snapshot()
    # when sales (no void permission) asks to void it
    response = sales_api.patch(invoice_url(invoice.pk, "/status"), {"status": "void"}, format="json")
    # then its role is what refuses it (403), before the invoice's state (409), and nothing changed
    assert response.status_code == 403
    assert snapshot() == before
