"""History rows as staff read them, reached by clicking from the admin index: every key a service writes into a
history row's ``data`` is declared once (``sales.history``, ``billing.history``), the writer cannot use another,
and the admin knows each one (a waived close shows the waiver; an invoice's Created row shows its total, not
"Credited"). Given / when / then."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from billing.admin.invoices import INVOICE_EVENT_LABELS, INVOICE_EVENT_UNSHOWN
from billing.history import INVOICE_HISTORY_KEYS
from billing.models import Invoice, InvoiceEvent
from sales import services
from sales.admin.orders import ORDER_EVENT_LABELS
from sales.admin.returns import RETURN_EVENT_LABELS, RETURN_EVENT_UNSHOWN
from sales.history import ORDER_HISTORY_KEYS, RETURN_HISTORY_KEYS
from sales.models import Order, OrderEvent, OrderStatus, ReturnEvent
from tests.admin.navigation import history_details, open_from_index
from tests.factories import CreditNoteFactory, InvoiceFactory, OrderFactory, RefundFactory, ReturnFactory

pytestmark = pytest.mark.django_db


def order_page(client: Client, order: Order) -> Any:
    return open_from_index(client, "Orders", order.order_number)


def invoice_page(client: Client, invoice: Invoice) -> Any:
    return open_from_index(client, "Invoices", invoice.number or "Draft")


# --- one name per key, declared once -----------------------------------------------------------------------


def test_the_admin_knows_every_declared_history_key() -> None:
    # every key a writer may use is labelled for staff, or deliberately left unshown (ids named elsewhere)
    assert set(ORDER_EVENT_LABELS) == ORDER_HISTORY_KEYS
    assert set(RETURN_EVENT_LABELS) | RETURN_EVENT_UNSHOWN == RETURN_HISTORY_KEYS
    assert set(INVOICE_EVENT_LABELS) | INVOICE_EVENT_UNSHOWN == INVOICE_HISTORY_KEYS


def test_a_history_row_refuses_an_undeclared_key() -> None:
    order = OrderFactory()
    with pytest.raises(ValueError, match="waive_return_window"):
        OrderEvent.record(order, kind=OrderEvent.Kind.UPDATED, actor=None, data={"waive_return_window": True})
    with pytest.raises(ValueError, match="credited"):
        InvoiceEvent.build(InvoiceFactory(), kind=InvoiceEvent.Kind.CREATED, actor=None, data={"credited": "1"})


def test_every_key_the_services_write_is_declared(finance_client: Client) -> None:
    # given a day of work through the services: ship, hold and release, cancel on hold, close waiving the window,
    # the nightly batch, a return with a waiver, an invoice paid, credited and refunded
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    services.order_hold(order_id=shipped.pk, reason="customer dispute", actor=None)
    services.order_release_hold(order_id=shipped.pk, actor=None)
    held = OrderFactory(status=OrderStatus.CONFIRMED)
    services.order_hold(order_id=held.pk, reason="fraud check", actor=None)
    services.order_cancel(order_id=held.pk, actor=None)
    delivered = OrderFactory(status=OrderStatus.DELIVERED)
    services.order_close(order_id=delivered.pk, actor=finance_client.user, waive_return_window=True)
    ReturnFactory(actor=finance_client.user)
    invoice = InvoiceFactory(status="paid")
    CreditNoteFactory(invoice=invoice)
    RefundFactory(payment=invoice.payments.get(), amount=Decimal("5.00"))
    # then every key written is one the history modules declare (and so one the admin knows)
    written = {key for data in OrderEvent.objects.values_list("data", flat=True) for key in data}
    assert {"tracking_number", "hold_reason", "hold_released", "return_window_waived", "lines"} <= written
    assert written <= ORDER_HISTORY_KEYS
    assert {key for data in ReturnEvent.objects.values_list("data", flat=True) for key in data} <= RETURN_HISTORY_KEYS
    written = {key for data in InvoiceEvent.objects.values_list("data", flat=True) for key in data}
    assert {"total", "payment_method", "amount_refundable", "amount_credited"} <= written
    assert written <= INVOICE_HISTORY_KEYS


# --- what staff read ---------------------------------------------------------------------------------------


def test_a_waived_close_shows_the_waiver_in_the_order_history(finance_client: Client) -> None:
    # given a delivered order, its return window open, closed by finance waiving the window
    order = OrderFactory(status=OrderStatus.DELIVERED)
    services.order_close(order_id=order.pk, actor=finance_client.user, waive_return_window=True, reason="agreed")
    # when finance clicks through to the order
    details = history_details(order_page(finance_client, order))
    # then the close row says the window was waived, by whom, and when it would have ended
    close_row = details[-1]
    assert "Return window waived" in close_row
    assert f"Waived by: {finance_client.user.username}" in close_row
    assert "Return window would have ended:" in close_row


def test_an_invoice_created_row_shows_its_total_not_credited(finance_client: Client) -> None:
    # given an issued invoice of 259.98, then a credit note of 10.00 on it
    invoice = InvoiceFactory(status="issued")
    CreditNoteFactory(invoice=invoice, amount=Decimal("10.00"))
    invoice.refresh_from_db()
    # when finance clicks through to the invoice
    details = history_details(invoice_page(finance_client, invoice))
    # then the Created row gives the invoice's total, and only the credit note's row says "Credited"
    created, *_, credited = details
    assert "Total: 259.98" in created and "Credited" not in created
    assert "Credited: 10.00" in credited and "Credited in all: 10.00" in credited
