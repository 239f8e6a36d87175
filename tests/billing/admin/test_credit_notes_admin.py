"""Credit notes and refunds in the back-office, reached by clicking from the admin index: finance issues a credit
note from the invoice's page (an amount or lines), refunds from the payment's page, refusals shown as messages
that change nothing, links both ways, roles, and the dashboard's credited / refunded this month."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from billing import services
from billing.models import CreditNote, Invoice, Payment, Refund
from tests.admin.helpers import button_link, data_attrs, form_errors, listed, messages_text, page_form
from tests.admin.helpers import figures as dashboard_figures
from tests.admin.navigation import object_link, sidebar_link
from tests.factories import CreditNoteFactory, InvoiceFactory, ReturnFactory

pytestmark = pytest.mark.django_db
D = Decimal


def figures(invoice: Invoice) -> tuple[Any, ...]:
    invoice.refresh_from_db()
    return (invoice.status, invoice.amount_credited, invoice.amount_paid, invoice.amount_refunded,
            invoice.amount_due, invoice.amount_refundable, invoice.credit_notes.count(), invoice.refunds.count(),
            invoice.events.count())


def invoice_page(client: Client, invoice: Invoice) -> Any:
    """Admin index → "Invoices" in the sidebar → the invoice's row."""
    listing = client.get(sidebar_link(client.get("/admin/"), "Invoices"))
    return client.get(object_link(listing, invoice.number or "Draft"))


def payment_page(client: Client, payment: Payment) -> Any:
    """Admin index → "Invoices" → the payment's invoice → the payment in its payments."""
    return client.get(object_link(invoice_page(client, payment.invoice), payment.reference))


# --- credit notes --------------------------------------------------------------------------------------------


def test_finance_issues_a_credit_note_from_the_invoice_page(finance_client: Client) -> None:
    # given an issued invoice of 259.98
    invoice = InvoiceFactory(status="issued")
    # when finance clicks through to it and presses "Issue credit note…"
    page = invoice_page(finance_client, invoice)
    form_page = finance_client.get(button_link(page, "action", "credit-note"))
    assert "At most 259.98 USD" in form_page.content.decode()
    form = page_form(form_page, "action-form")
    form.update(reason="late delivery", amount="25.00")
    done = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    # then the credit note is issued and the invoice page shows it and its new figures
    assert "Credit note issued." in messages_text(done, "success")
    note = CreditNote.objects.get(invoice=invoice)
    assert (note.total, note.reason, note.created_by) == (D("25.00"), "late delivery", finance_client.user)
    assert figures(invoice)[:6] == ("issued", D("25.00"), D(0), D(0), D("234.98"), D(0))
    assert note.number in done.content.decode()
    # and the credit note's page links back to the invoice and the order, and prints
    note_page = finance_client.get(object_link(done, note.number))
    assert note_page.status_code == 200
    assert object_link(note_page, str(invoice.number)) == f"/admin/billing/invoice/{quote(invoice.pk)}/change/"
    assert invoice.order.order_number in note_page.content.decode()
    printable = finance_client.get(button_link(note_page, "action", "print"))
    assert printable.status_code == 200 and note.number in printable.content.decode()
    assert "Credited to" in printable.content.decode() and note.number in printable.content.decode()


def test_finance_credits_lines(finance_client: Client) -> None:
    invoice = InvoiceFactory(status="issued")
    form_page = finance_client.get(button_link(invoice_page(finance_client, invoice), "action", "credit-note"))
    form = page_form(form_page, "action-form")
    form.update(reason="damaged", line1_description="Widget (damaged)", line1_quantity="1",
                line1_unit_price="129.99", line2_description="Handling", line2_quantity="2", line2_unit_price="5")
    done = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    assert "Credit note issued." in messages_text(done, "success")
    note = CreditNote.objects.get(invoice=invoice)
    assert [(line.description, line.quantity, line.line_total) for line in note.lines.all()] == [
        ("Widget (damaged)", 1, D("129.99")), ("Handling", 2, D("10.00"))]


@pytest.mark.parametrize(("fields", "shown"), [
    ({"amount": "259.99"}, "exceeds what is left to credit"),
    ({}, "Send either lines or amount."),
    ({"amount": "1.00", "line1_description": "x", "line1_quantity": "1", "line1_unit_price": "1"},
     "Send either lines or amount."),
])
def test_refused_credit_notes_are_messages_and_change_nothing(finance_client: Client, fields: dict[str, str],
                                                             shown: str) -> None:
    invoice = InvoiceFactory(status="issued")
    before = figures(invoice)
    form_page = finance_client.get(button_link(invoice_page(finance_client, invoice), "action", "credit-note"))
    form = page_form(form_page, "action-form")
    form.update(reason="adjustment", **fields)
    response = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    assert shown in messages_text(response, "error")
    assert figures(invoice) == before


def test_a_half_filled_line_is_a_form_error(finance_client: Client) -> None:
    invoice = InvoiceFactory(status="issued")
    before = figures(invoice)
    form_page = finance_client.get(button_link(invoice_page(finance_client, invoice), "action", "credit-note"))
    form = page_form(form_page, "action-form")
    form.update(reason="adjustment", line1_description="Widget")
    response = finance_client.post(form_page.wsgi_request.path, form)
    assert "Required for this line." in form_errors(response)
    assert figures(invoice) == before


def test_sales_sees_credit_notes_but_cannot_issue_them(sales_client: Client) -> None:
    invoice = InvoiceFactory(status="issued")
    note = CreditNoteFactory(invoice=invoice)
    page = invoice_page(sales_client, invoice)
    assert "credit-note" not in data_attrs(page, "action")
    before = figures(invoice)
    refused = sales_client.post(f"/admin/billing/invoice/{invoice.pk}/credit-note/",
                                {"reason": "x", "amount": "1.00"})
    assert refused.status_code == 403
    assert figures(invoice) == before
    listing = sales_client.get(sidebar_link(sales_client.get("/admin/"), "Credit notes"))
    assert note.number in listing.content.decode()


def test_a_credited_return_links_its_credit_note_to_the_order(finance_client: Client) -> None:
    return_ = ReturnFactory(credited=True)
    note = CreditNote.objects.get(sales_return=return_)
    listing = finance_client.get(sidebar_link(finance_client.get("/admin/"), "Credit notes"))
    page = finance_client.get(object_link(listing, note.number))
    assert object_link(page, return_.return_number).startswith("/admin/sales/return/")
    assert object_link(page, return_.order.order_number).startswith("/admin/sales/order/")
    # and the return's page links its credit note and the invoice back
    return_page = finance_client.get(object_link(page, return_.return_number))
    assert object_link(return_page, note.number).startswith("/admin/billing/creditnote/")
    assert object_link(return_page, str(note.invoice.number)).startswith("/admin/billing/invoice/")


# --- refunds ---------------------------------------------------------------------------------------------------


def test_finance_refunds_from_the_payment_page(finance_client: Client) -> None:
    # given a paid invoice credited 100.00
    invoice = InvoiceFactory(status="paid")
    CreditNoteFactory(invoice=invoice, amount=D("100.00"))
    payment = invoice.payments.get()
    # when finance clicks through to the payment and presses "Refund…"
    form_page = finance_client.get(button_link(payment_page(finance_client, payment), "action", "refund"))
    assert "Owed back on the invoice: 100.00 USD" in form_page.content.decode()
    form = page_form(form_page, "action-form")
    form.update(amount="100.00", reason="returned", reference="BANK-RF-1")
    done = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    # then the refund is recorded and shown on the payment, linked to its page
    assert "Refund of 100.00 USD recorded." in messages_text(done, "success")
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.reference, refund.recorded_by) == (D("100.00"), "BANK-RF-1", finance_client.user)
    assert figures(invoice)[:6] == ("paid", D("100.00"), D("259.98"), D("100.00"), D(0), D(0))
    refund_page = finance_client.get(object_link(done, "BANK-RF-1"))
    assert refund_page.status_code == 200
    assert object_link(refund_page, str(invoice.number)) == f"/admin/billing/invoice/{quote(invoice.pk)}/change/"
    # and the invoice page lists it too
    assert "BANK-RF-1" in invoice_page(finance_client, invoice).content.decode()


def test_a_refund_without_credit_is_refused_as_a_message(finance_client: Client) -> None:
    invoice = InvoiceFactory(status="paid")
    payment = invoice.payments.get()
    before = figures(invoice)
    form_page = finance_client.get(button_link(payment_page(finance_client, payment), "action", "refund"))
    form = page_form(form_page, "action-form")
    form.update(amount="10.00", reason="asked", reference="RF-X")
    response = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    assert "money goes back only when a credit note makes it owed" in messages_text(response, "error")
    assert figures(invoice) == before


@pytest.mark.parametrize("role", ["sales", "warehouse"])
def test_other_roles_cannot_refund(login: Callable[..., Client], role: str) -> None:
    invoice = InvoiceFactory(status="paid")
    CreditNoteFactory(invoice=invoice, amount=D("10.00"))
    payment = invoice.payments.get()
    before = figures(invoice)
    response = login(role).post(f"/admin/billing/payment/{payment.pk}/refund/",
                                {"amount": "10.00", "reason": "x", "reference": "y"})
    assert response.status_code == 403
    assert figures(invoice) == before


# --- dashboard ---------------------------------------------------------------------------------------------------


def test_dashboard_shows_credited_and_refunded_this_month(finance_client: Client) -> None:
    # given nothing yet, then the panel says so
    empty = dashboard_figures(finance_client.get("/admin/"))
    assert empty["Credited this month"][0] == "none"
    assert empty["Refunded this month"][0] == "none"
    # given credit notes in two currencies and a refund this month, and an older credit note
    usd = InvoiceFactory(status="paid")
    jpy = InvoiceFactory(status="issued", currency="JPY")
    notes = [CreditNoteFactory(invoice=usd, amount=D("30.00")), CreditNoteFactory(invoice=usd, amount=D("20.00")),
             CreditNoteFactory(invoice=jpy, amount=D("500"))]
    old = CreditNoteFactory(invoice=InvoiceFactory(status="issued"), amount=D("1.00"))
    CreditNote.objects.filter(pk=old.pk).update(issued_at=old.issued_at.replace(year=old.issued_at.year - 1))
    refund = services.refund_record(payment_id=usd.payments.get().pk, amount=D("50.00"), reason="r",
                                    reference="RF", actor=None)
    # then the dashboard shows each currency's sums, linking to exactly those rows
    shown = dashboard_figures(finance_client.get("/admin/"))
    assert shown["Credited this month · USD"][0] == "50.00 USD"
    assert listed(finance_client, shown["Credited this month · USD"][1]) == {notes[0].pk, notes[1].pk}
    assert shown["Credited this month · JPY"][0] == "500 JPY"
    assert listed(finance_client, shown["Credited this month · JPY"][1]) == {notes[2].pk}
    assert shown["Refunded this month · USD"][0] == "50.00 USD"
    assert listed(finance_client, shown["Refunded this month · USD"][1]) == {refund.pk}
