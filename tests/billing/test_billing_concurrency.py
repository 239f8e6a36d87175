"""Billing under real concurrency (PostgreSQL): invoice numbers, payments racing each other and a cancellation.

Each thread has its own connection (and closes it), so the row locks taken by the services are what keeps the
invoices right. The threads start together at a barrier.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models.signals import pre_save
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services
from billing.exceptions import InvoiceHasPayments, InvoiceNotPayable, Overpayment
from billing.models import Invoice, InvoiceStatus, Payment
from inventory.models import Product
from sales import services as sales_services
from sales.models import Order
from synthesq.core.models import Sequence
from tests.factories import InvoiceFactory, ProductFactory
from tests.helpers import run_in_threads

from .helpers import invoice_number, invoice_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_together(*works: Callable[[], Any]) -> list[Any]:
    return run_in_threads(list(works))


def paying(invoice_id: str, amount: str, reference: str) -> Callable[[], Any]:
    def work() -> Any:
        return services.payment_record(invoice_id=invoice_id, amount=Decimal(amount), currency="USD",
                                       payment_method="bank_transfer", reference=reference, actor=None)

    return work


def test_concurrent_issues_get_distinct_consecutive_numbers(client_for: Callable[..., APIClient]) -> None:
    # given 8 draft invoices and a finance token
    invoices = [InvoiceFactory() for _ in range(8)]
    token = client_for("finance").token.plain  # type: ignore[attr-defined]

    def issuing(invoice_id: str) -> Callable[[], Any]:
        def work() -> Any:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            response = api.patch(invoice_url(invoice_id, "/status"), {"status": "issued"}, format="json")
            return response.status_code, response.json().get("number")

        return work

    # when all 8 are issued through the API at the same time
    outcomes = run_together(*(issuing(invoice.pk) for invoice in invoices))
    # then all succeed with 8 distinct numbers 1..8: no duplicate, no gap
    assert [status for status, _number in outcomes] == [200] * 8, outcomes
    assert sorted(number for _status, number in outcomes) == [invoice_number(n) for n in range(1, 9)]
    stored = Invoice.objects.filter(pk__in=[i.pk for i in invoices])
    assert sorted(stored.values_list("number", flat=True)) == [invoice_number(n) for n in range(1, 9)]
    assert set(stored.values_list("status", flat=True)) == {"issued"}
    assert Sequence.objects.get(name=f"invoice-{timezone.now().year}").value == 8


def test_concurrent_payments_never_exceed_the_total() -> None:
    # given a draft invoice of 259.98
    invoice = InvoiceFactory()
    # when 6 payments of 100.00 arrive at the same time
    outcomes = run_together(*(paying(invoice.pk, "100.00", f"RACE-{n}") for n in range(6)))
    # then exactly 2 are booked and the other 4 are refused as overpayments
    booked = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if isinstance(o, Overpayment)]
    assert (len(booked), len(refused)) == (2, 4), outcomes
    # and the invoice holds exactly those two, issued once, never above its total
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("200.00") == sum(p.amount for p in invoice.payments.all())
    assert invoice.amount_paid <= invoice.total
    assert (invoice.status, invoice.number) == (InvoiceStatus.ISSUED, invoice_number(1))
    assert invoice.events.filter(kind="payment_recorded").count() == 2
    assert invoice.events.filter(kind="status_changed").count() == 1
    assert all(refusal.extra["amount_due"] == "59.98" for refusal in refused)


def test_two_payments_settling_the_same_invoice_one_wins() -> None:
    # given an issued invoice of 259.98
    invoice = InvoiceFactory(status="issued")
    # when two payments of the whole amount arrive at the same time
    outcomes = run_together(paying(invoice.pk, "259.98", "WIRE-A"), paying(invoice.pk, "259.98", "WIRE-B"))
    # then one is booked and settles the invoice, the other finds it paid
    booked = [o for o in outcomes if isinstance(o, Payment)]
    refused = [o for o in outcomes if isinstance(o, InvoiceNotPayable)]
    assert (len(booked), len(refused)) == (1, 1), outcomes
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("259.98"))
    assert [p.pk for p in invoice.payments.all()] == [booked[0].pk]
    assert invoice.events.filter(to_status="paid", kind="status_changed").count() == 1


@pytest.mark.parametrize("invoice_status", ["draft", "issued"])
def test_cancel_and_payment_racing_never_both_happen(invoice_status: str) -> None:
    # given confirmed orders (2 units of a product with 10) with their invoices
    rounds = 4
    product = ProductFactory(stock=10 * rounds)
    winners: set[str] = set()
    for index in range(rounds):
        invoice = InvoiceFactory(status=invoice_status, lines=[(product, 2)])

        def cancel(order_id: str = invoice.order_id) -> Any:
            return sales_services.order_cancel(order_id=order_id, actor=None, reason="race")

        # when the order is cancelled while a payment arrives
        cancelled, paid = run_together(cancel, paying(invoice.pk, "100.00", f"RACE-{index}"))
        invoice.refresh_from_db()
        order = Order.objects.get(pk=invoice.order_id)
        reserved = Product.objects.get(pk=product.pk).stock_quantity
        if isinstance(cancelled, Order):
            # then either the cancel won: the invoice is void and the payment refused
            winners.add("cancel")
            assert isinstance(paid, InvoiceNotPayable), paid
            assert (order.status, invoice.status, invoice.amount_paid) == ("cancelled", "void", Decimal(0))
            assert not invoice.payments.exists()
        else:
            # or the payment won: the cancel is refused and the order keeps its reservation
            winners.add("payment")
            assert isinstance(cancelled, InvoiceHasPayments), cancelled
            assert isinstance(paid, Payment), paid
            assert (order.status, invoice.status, invoice.amount_paid) == ("confirmed", "issued", Decimal("100.00"))
            assert invoice.payments.count() == 1
        expected_stock = 10 * rounds - 2 * Order.objects.filter(status="confirmed").count()
        assert reserved == expected_stock
    assert winners  # which side wins each round is up to the scheduler


@pytest.mark.parametrize("order_move", ["cancel", "close"])
def test_a_payment_arriving_during_an_order_move_waits_for_it(order_move: str) -> None:
    """An order move locks the order, then (billing's receiver) its invoice. A payment on a draft invoice must
    not lock the invoice and then wait for the order (PostgreSQL share-locks the order when the invoice row is
    updated a second time in one transaction): that was a deadlock, one side failing with a database error."""
    # given the draft invoice of a confirmed order (to cancel) or a delivered one (to close)
    invoice = InvoiceFactory(order_status="confirmed" if order_move == "cancel" else "delivered")
    order_locked, payment_started = threading.Event(), threading.Event()

    def hold_the_order(sender: Any, instance: Order, **kwargs: Any) -> None:
        # runs inside the order move, with the order row locked: let the payment run into it
        if instance.pk == invoice.order_id and not order_locked.is_set():
            order_locked.set()
            payment_started.wait(timeout=10)
            time.sleep(0.5)

    def move() -> Any:
        if order_move == "cancel":
            return sales_services.order_cancel(order_id=invoice.order_id, actor=None, reason="race")
        return sales_services.order_close(order_id=invoice.order_id, actor=None, waive_return_window=True)

    def pay() -> Any:
        order_locked.wait(timeout=10)
        payment_started.set()
        return paying(invoice.pk, "100.00", "DURING-MOVE")()

    pre_save.connect(hold_the_order, sender=Order, weak=False, dispatch_uid="hold_the_order")
    try:
        # when a payment arrives while the order is being cancelled or closed
        moved, paid = run_together(move, pay)
    finally:
        pre_save.disconnect(sender=Order, dispatch_uid="hold_the_order")
    # then the order move, which came first, completes, and the payment is decided after it
    assert isinstance(moved, Order), moved
    invoice.refresh_from_db()
    if order_move == "cancel":
        assert isinstance(paid, InvoiceNotPayable), paid
        assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.VOID, Decimal(0))
    else:
        assert isinstance(paid, Payment), paid
        assert (invoice.status, invoice.number, invoice.amount_paid) == (
            InvoiceStatus.ISSUED, invoice_number(1), Decimal("100.00"))
        assert invoice.events.filter(kind="status_changed").get().reason.endswith("closed")
