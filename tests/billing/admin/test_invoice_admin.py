"""The invoices back-office: list and overdue filter, buttons, issue / void / record payment with their
refusals, the printable invoice, and read-only payments. Given / when / then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.utils import quote
from django.test import Client
from django.utils import formats, timezone

from billing import services as billing
from billing.models import Invoice, InvoiceEvent, Payment
from sales.models import OrderStatus
from tests.admin.helpers import data_attrs, form_errors, hidden_form, messages_text, page_form
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import rows_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billing/invoice/"


def url(invoice: Invoice, suffix: str = "change/") -> str:
    return f"/admin/billing/invoice/{quote(invoice.pk)}/{suffix}"


def draft_invoice(**order_kwargs: Any) -> Invoice:
    """The draft invoice of a confirmed order of 2 x 129.99 USD (259.98)."""
    return Invoice.objects.get(order=OrderFactory(status=OrderStatus.CONFIRMED, **order_kwargs))


def issued_invoice(**order_kwargs: Any) -> Invoice:
    invoice = draft_invoice(**order_kwargs)
    return billing.invoice_issue(invoice_id=invoice.pk, actor=None)


def pay(invoice: Invoice, amount: str, reference: str) -> Payment:
    return billing.payment_record(invoice_id=invoice.pk, amount=Decimal(amount), currency=invoice.currency,
                                  payment_method="bank_transfer", reference=reference, actor=None)


# What a refused action must leave alone: the invoices, their history and payments.
INVOICE_ROWS = (Invoice, InvoiceEvent, Payment)


def payment_data(**overrides: str) -> dict[str, str]:
    return {"amount": "259.98", "currency": "USD", "payment_method": "bank_transfer", "reference": "TXN-1",
            **overrides}


# --- list ---------------------------------------------------------------------------------------------


def test_list_shows_number_order_status_total_amount_due_and_due_date(finance_client: Client) -> None:
    # given an issued invoice with a part payment, and a draft
    issued = issued_invoice()
    pay(issued, "100.00", "TXN-A")
    draft = draft_invoice()

    # when finance opens the invoices list
    response = finance_client.get(CHANGELIST)

    # then both are listed with number (or draft), order, status, total, amount due and due date
    assert response.status_code == 200
    page = response.content.decode()
    issued.refresh_from_db()
    for text in (issued.number, issued.order.order_number, draft.order.order_number, "Draft (numbered when issued)",
                 ">issued<", ">draft<", "259.98 USD", "159.98 USD", "Due at"):
        assert text in page, text
    assert formats.localize(timezone.template_localtime(issued.due_at)) in page  # the due date column


def test_overdue_filter(finance_client: Client) -> None:
    # given an issued invoice past its due date, one not yet due, a paid one past due and a draft
    overdue, current, paid = issued_invoice(), issued_invoice(), issued_invoice()
    pay(paid, "259.98", "TXN-P")
    draft = draft_invoice()
    Invoice.objects.filter(pk__in=[overdue.pk, paid.pk]).update(due_at=timezone.now() - timedelta(days=1))

    # when filtering by overdue
    def listed(query: str) -> set[str]:
        response = finance_client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200
        return {invoice.pk for invoice in response.context["cl"].result_list}

    # then only issued invoices past due count as overdue
    assert listed("overdue=yes") == {overdue.pk}
    assert listed("overdue=no") == {current.pk, paid.pk, draft.pk}
    assert listed("status__exact=paid") == {paid.pk}


@pytest.mark.parametrize("count", [5, 40])
def test_list_runs_a_constant_number_of_queries(
    finance_client: Client, django_assert_max_num_queries: Callable[..., Any], count: int
) -> None:
    for _ in range(count):
        draft_invoice()
    with django_assert_max_num_queries(12):
        response = finance_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == count


# --- change page and its buttons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "role", "buttons"),
    [
        ("draft", "finance", {"issue", "void", "record-payment", "credit-note", "print", "pdf"}),
        ("issued", "finance", {"void", "record-payment", "credit-note", "print", "pdf"}),
        ("part-paid", "finance", {"record-payment", "credit-note", "print", "pdf"}),
        ("paid", "finance", {"credit-note", "print", "pdf"}),
        ("void", "finance", {"print", "pdf"}),
        ("draft", "sales", {"print", "pdf"}),
        ("issued", "sales", {"print", "pdf"}),
        ("draft", "superuser", {"issue", "void", "record-payment", "credit-note", "print", "pdf"}),
    ],
)
def test_buttons_follow_status_and_role(login: Callable[..., Client], state: str, role: str,
                                        buttons: set[str]) -> None:
    # given an invoice in that state
    invoice = draft_invoice()
    if state != "draft" and state != "void":
        billing.invoice_issue(invoice_id=invoice.pk, actor=None)
    if state == "part-paid":
        pay(invoice, "100.00", "TXN-A")
    if state == "paid":
        pay(invoice, "259.98", "TXN-A")
    if state == "void":
        billing.invoice_void(invoice_id=invoice.pk, actor=None, reason="test")

    # when the role opens it, then it sees exactly those buttons
    client = login(superuser=True) if role == "superuser" else login(role)
    response = client.get(url(invoice))
    assert response.status_code == 200
    assert data_attrs(response, "action") == buttons


def test_change_page_shows_lines_payments_and_history_read_only(finance_client: Client) -> None:
    # given an issued invoice with a payment
    invoice = issued_invoice(lines=[(ProductFactory(sku="DESK-STD", name="Standing desk", stock=10), 2)])
    pay(invoice, "100.00", "TXN-A")

    # when finance opens it
    response = finance_client.get(url(invoice))

    # then the lines, the payment and the history are shown, and nothing is an input
    page = response.content.decode()
    for text in ("DESK-STD", "Standing desk", "129.99", "TXN-A", "100.00 USD", "159.98 USD", "Payment recorded"):
        assert text in page, text
    data = page_form(response, "invoice_form")
    assert not [name for name in data if not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS",
                                                            "MAX_NUM_FORMS", "-id", "-invoice"))]
    assert "_save" not in page


def test_invoices_cannot_be_added_changed_or_deleted(superuser_client: Client) -> None:
    invoice = draft_invoice()
    before = rows_of(*INVOICE_ROWS)
    assert superuser_client.get("/admin/billing/invoice/add/").status_code == 403
    assert superuser_client.post(url(invoice, "delete/"), {"post": "yes"}).status_code == 403
    superuser_client.post(url(invoice), {"status": "paid", "amount_paid": "259.98", "total": "1"})
    assert rows_of(*INVOICE_ROWS) == before


# --- issue --------------------------------------------------------------------------------------------


def test_issue_gives_a_number_and_due_date(finance_client: Client) -> None:
    # given a draft invoice
    invoice = draft_invoice()
    # when finance issues it (a GET only asks to confirm)
    confirm = finance_client.get(url(invoice, "issue/"))
    assert confirm.status_code == 200 and "Issue invoice" in confirm.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
    response = finance_client.post(url(invoice, "issue/"), follow=True)
    # then it is issued with a number and a due date after the payment terms
    assert response.status_code == 200
    assert "Invoice issued." in messages_text(response, "success")
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert invoice.number.startswith(f"INV-{invoice.issued_at.year}-")
    assert invoice.due_at - invoice.issued_at == timedelta(days=settings.INVOICE_PAYMENT_TERMS_DAYS)

    # when issued again, then refused with a message, unchanged
    before = rows_of(*INVOICE_ROWS)
    response = finance_client.post(url(invoice, "issue/"), follow=True)
    assert response.status_code == 200
    assert "cannot move to 'issued'" in messages_text(response, "error")
    assert rows_of(*INVOICE_ROWS) == before


def test_sales_may_not_issue(sales_client: Client) -> None:
    invoice = draft_invoice()
    before = rows_of(*INVOICE_ROWS)
    response = sales_client.post(url(invoice, "issue/"), follow=True)
    assert response.status_code == 200
    assert "Your role may not issue invoices." in messages_text(response, "error")
    assert rows_of(*INVOICE_ROWS) == before


# --- void ---------------------------------------------------------------------------------------------


def test_void_asks_for_a_reason(finance_client: Client) -> None:
    # given an issued invoice
    invoice = issued_invoice()
    before = rows_of(*INVOICE_ROWS)

    # when finance opens the void form and posts it empty
    assert "reason" in finance_client.get(url(invoice, "void/")).context["form"].fields
    response = finance_client.post(url(invoice, "void/"), {"reason": ""})
    # then the form asks again, nothing changed
    assert response.status_code == 200
    assert "This field is required." in form_errors(response)
    assert rows_of(*INVOICE_ROWS) == before

    # when posted with a reason, then the invoice is void with the reason, nothing due
    response = finance_client.post(url(invoice, "void/"), {"reason": "duplicate"}, follow=True)
    assert "Invoice voided." in messages_text(response, "success")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.void_reason, invoice.amount_due) == ("void", "duplicate", Decimal("0.00"))


def test_void_of_a_part_paid_invoice_is_refused(finance_client: Client) -> None:
    # given an issued invoice with a part payment
    invoice = issued_invoice()
    pay(invoice, "100.00", "TXN-A")
    before = rows_of(*INVOICE_ROWS)

    # when finance voids it anyway (the button is not shown, the URL is posted)
    response = finance_client.post(url(invoice, "void/"), {"reason": "mistake"}, follow=True)

    # then refused with the reason, unchanged
    assert response.status_code == 200
    assert "has payments (100.00); it cannot be voided" in messages_text(response, "error")
    assert rows_of(*INVOICE_ROWS) == before


def test_sales_may_not_void(sales_client: Client) -> None:
    invoice = issued_invoice()
    before = rows_of(*INVOICE_ROWS)
    response = sales_client.post(url(invoice, "void/"), {"reason": "mistake"}, follow=True)
    assert response.status_code == 200
    assert "Your role may not void invoices." in messages_text(response, "error")
    assert rows_of(*INVOICE_ROWS) == before


# --- record payment ------------------------------------------------------------------------------------


def test_payment_form_is_prefilled_with_the_amount_due(finance_client: Client) -> None:
    invoice = issued_invoice()
    pay(invoice, "100.00", "TXN-A")
    response = finance_client.get(url(invoice, "record-payment/"))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert (initial["amount"], initial["currency"]) == ("159.98", "USD")
    assert 'value="159.98"' in response.content.decode()


def test_recording_the_full_payment_pays_the_invoice(finance_client: Client) -> None:
    # given an issued invoice of 259.98 USD
    invoice = issued_invoice()

    # when finance records the full amount
    response = finance_client.post(url(invoice, "record-payment/"), payment_data(), follow=True)

    # then the payment is stored and the invoice is paid
    assert response.status_code == 200
    assert "Payment of 259.98 USD recorded." in messages_text(response, "success")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", Decimal("259.98"), Decimal("0.00"))
    payment = invoice.payments.get()
    assert (payment.reference, payment.payment_method, payment.recorded_by) == (
        "TXN-1", "bank_transfer", finance_client.user)
    # and the page now offers only the printable invoice (and correcting it with a credit note)
    assert data_attrs(finance_client.get(url(invoice)), "action") == {"credit-note", "print", "pdf"}


def test_a_payment_on_a_draft_issues_it_first(finance_client: Client) -> None:
    invoice = draft_invoice()
    response = finance_client.post(url(invoice, "record-payment/"), payment_data(amount="59.98"), follow=True)
    assert "Payment of 59.98 USD recorded." in messages_text(response, "success")
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.number.startswith("INV-")
    assert invoice.amount_due == Decimal("200.00")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "300.00"}, "exceeds the amount due"),
        ({"currency": "EUR"}, "The invoice is in USD; a payment in EUR cannot be recorded on it."),
        ({"amount": "10.005"}, "at most 2 decimal places"),
        ({"amount": "0"}, "Must be positive."),
        ({"reference": "TXN-A"}, "A payment with reference 'TXN-A' is already recorded"),
    ],
    ids=["overpayment", "wrong-currency", "too-many-decimals", "zero", "duplicate-reference"],
)
def test_refused_payments_show_the_reason_and_write_nothing(
    finance_client: Client, overrides: dict[str, str], message: str
) -> None:
    # given an issued invoice with one payment of 100.00 (reference TXN-A)
    invoice = issued_invoice()
    pay(invoice, "100.00", "TXN-A")
    before = rows_of(*INVOICE_ROWS)

    # when finance records a payment the rules refuse
    response = finance_client.post(url(invoice, "record-payment/"), payment_data(**{"amount": "50.00", **overrides}))

    # then the form is shown again with the reason as a message, and nothing was written
    assert response.status_code == 200
    assert message in messages_text(response, "error")
    assert response.context["form"].data["reference"] == payment_data(**overrides)["reference"]
    assert rows_of(*INVOICE_ROWS) == before
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"reference": ""}, "reference"), ({"payment_method": "bitcoin"}, "payment_method"),
     ({"amount": "-5"}, "amount"), ({"amount": "lots"}, "amount"), ({"currency": ""}, "currency")],
)
def test_invalid_payment_form_shows_field_errors(finance_client: Client, overrides: dict[str, str],
                                                 field: str) -> None:
    invoice = issued_invoice()
    before = rows_of(*INVOICE_ROWS)
    response = finance_client.post(url(invoice, "record-payment/"), payment_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert rows_of(*INVOICE_ROWS) == before


@pytest.mark.parametrize("state", ["void", "paid"])
def test_no_payment_on_a_void_or_paid_invoice(finance_client: Client, state: str) -> None:
    invoice = issued_invoice()
    if state == "void":
        billing.invoice_void(invoice_id=invoice.pk, actor=None, reason="test")
    else:
        pay(invoice, "259.98", "TXN-A")
    before = rows_of(*INVOICE_ROWS)
    response = finance_client.post(url(invoice, "record-payment/"), payment_data(amount="1.00", reference="TXN-Z"))
    assert response.status_code == 200
    assert "it takes no more payments" in messages_text(response, "error")
    assert rows_of(*INVOICE_ROWS) == before


# --- printable invoice ---------------------------------------------------------------------------------


def test_printable_invoice_has_seller_customer_lines_totals_payments_and_amount_due(finance_client: Client) -> None:
    # given an issued invoice of 2 standing desks for Acme Retail, with a part payment
    customer = CustomerFactory(name="Acme Retail", email="orders@acme.example")
    desk = ProductFactory(sku="DESK-STD", name="Standing desk", price=Decimal("129.99"), stock=10)
    invoice = issued_invoice(customer=customer, lines=[(desk, 2)])
    pay(invoice, "100.00", "TXN-20260128-001")

    # when finance opens the printable invoice
    response = finance_client.get(url(invoice, "print/"))

    # then it is a standalone page with a print rule and every part of the invoice
    assert response.status_code == 200
    page = response.content.decode()
    seller = settings.SELLER
    for text in ("@page", invoice.number, invoice.order.order_number,
                 seller["name"], *seller["address"], seller["email"],
                 "Acme Retail", "orders@acme.example", "123 Commerce St", "Austin", "TX", "78701",
                 "Standing desk", "DESK-STD", "129.99", "259.98 USD",  # line and total
                 "Subtotal", "Paid", "100.00 USD", "Amount due", "159.98 USD",
                 "TXN-20260128-001", "Bank transfer"):
        assert text in page, text
    assert "admin/base" not in page and 'id="header"' not in page  # not inside the admin chrome


def test_printable_draft_invoice_says_it_is_not_issued(sales_client: Client) -> None:
    response = sales_client.get(url(draft_invoice(), "print/"))
    assert response.status_code == 200
    assert "DRAFT — not yet issued" in response.content.decode()


# --- payments (read-only) -------------------------------------------------------------------------------


def test_payments_are_listed_read_only(finance_client: Client) -> None:
    invoice = issued_invoice()
    payment = pay(invoice, "100.00", "TXN-A")
    page = finance_client.get("/admin/billing/payment/").content.decode()
    assert "TXN-A" in page and "100.00 USD" in page
    response = finance_client.get(f"/admin/billing/payment/{payment.pk}/change/")
    assert response.status_code == 200 and "_save" not in response.content.decode()
    assert finance_client.get("/admin/billing/payment/add/").status_code == 403
    finance_client.post(f"/admin/billing/payment/{payment.pk}/change/", {"amount": "1.00", "reference": "X"})
    payment.refresh_from_db()
    assert (payment.amount, payment.reference) == (Decimal("100.00"), "TXN-A")
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="payment_recorded").count() == 1


def test_issue_button_submits_a_form_with_a_csrf_token(login: Callable[..., Client]) -> None:
    # given a draft invoice and a finance user whose client enforces CSRF like a browser
    invoice = draft_invoice()
    client = Client(enforce_csrf_checks=True)
    client.force_login(login("finance").user)  # type: ignore[attr-defined]
    # when the issue button's form is submitted as rendered, then the invoice is issued
    action, data = hidden_form(client.get(url(invoice)), "invoice-issue")
    assert action == url(invoice, "issue/") and "csrfmiddlewaretoken" in data
    assert client.post(action, data).status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
