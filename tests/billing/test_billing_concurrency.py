"""Billing under real concurrency (PostgreSQL): invoice numbers, payments racing each other and a cancellation,
credit notes and refunds racing each other.

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
from billing.exceptions import (
    CreditExceedsInvoice,
    InvoiceHasPayments,
    InvoiceNotPayable,
    Overpayment,
    RefundExceedsCredit,
    RefundExceedsPayment,
)
from billing.models import CreditNote, Invoice, InvoiceStatus, Payment, Refund
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


# --- credit notes and refunds ----------------------------------------------------------------------------------


def crediting(invoice_id: str, amount: str) -> Callable[[], Any]:
    def work() -> Any:
        return services.credit_note_issue(invoice_id=invoice_id, amount=Decimal(amount), reason="race", actor=None)

    return work


def refunding(payment_id: str, amount: str, reference: str) -> Callable[[], Any]:
    def work() -> Any:
        return services.refund_record(payment_id=payment_id, amount=Decimal(amount), reason="race",
                                      reference=reference, actor=None)

    return work


def test_concurrent_credit_notes_never_exceed_the_total() -> None:
    # given an issued invoice of 259.98
    invoice = InvoiceFactory(status="issued")
    # when 6 credit notes of 100.00 are issued at the same time (each fits alone)
    outcomes = run_together(*(crediting(invoice.pk, "100.00") for _ in range(6)))
    # then exactly 2 are issued, numbered 1 and 2, and the other 4 are refused
    issued = [o for o in outcomes if isinstance(o, CreditNote)]
    refused = [o for o in outcomes if isinstance(o, CreditExceedsInvoice)]
    assert (len(issued), len(refused)) == (2, 4), outcomes
    year = timezone.now().year
    assert sorted(note.number for note in issued) == [f"CN-{year}-000001", f"CN-{year}-000002"]
    assert Sequence.objects.get(name=f"credit-note-{year}").value == 2
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("200.00") == sum(n.total for n in invoice.credit_notes.all())
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.ISSUED, Decimal("59.98"))
    assert invoice.events.filter(kind="credit_note_issued").count() == 2


def test_concurrent_refunds_never_exceed_what_is_owed() -> None:
    # given an invoice of 259.98 paid by two payments and credited 150.00 (150.00 refundable)
    invoice = InvoiceFactory(status="issued")
    first = services.payment_record(invoice_id=invoice.pk, amount=Decimal("130.00"), currency="USD",
                                    payment_method="card", reference="A", actor=None)
    second = services.payment_record(invoice_id=invoice.pk, amount=Decimal("129.98"), currency="USD",
                                     payment_method="card", reference="B", actor=None)
    services.credit_note_issue(invoice_id=invoice.pk, amount=Decimal("150.00"), reason="return", actor=None)
    # when 3 refunds of 60.00 on each payment run at the same time (each fits alone)
    outcomes = run_together(*(refunding(payment.pk, "60.00", f"R-{payment.pk}-{n}")
                              for payment in (first, second) for n in range(3)))
    # then exactly 2 are recorded (120.00 of the 150.00 owed), the other 4 refused as exceeding the credit (or,
    # after two on the same payment, that payment)
    recorded = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if isinstance(o, RefundExceedsCredit | RefundExceedsPayment)]
    assert (len(recorded), len(refused)) == (2, 4), outcomes
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("120.00") == sum(r.amount for r in invoice.refunds.all())
    assert invoice.amount_refundable == Decimal("30.00")
    assert invoice.events.filter(kind="refund_recorded").count() == 2


def test_concurrent_refunds_on_one_payment_never_exceed_it() -> None:
    # given an invoice of 259.98 paid by 59.98 and 200.00, then credited in full (259.98 refundable)
    invoice = InvoiceFactory(status="issued")
    small = services.payment_record(invoice_id=invoice.pk, amount=Decimal("59.98"), currency="USD",
                                    payment_method="card", reference="S", actor=None)
    services.payment_record(invoice_id=invoice.pk, amount=Decimal("200.00"), currency="USD", payment_method="card",
                            reference="B", actor=None)
    services.credit_note_issue(invoice_id=invoice.pk, amount=Decimal("259.98"), reason="return", actor=None)
    # when 4 refunds of 25.00 on the small payment run at the same time
    outcomes = run_together(*(refunding(small.pk, "25.00", f"R{n}") for n in range(4)))
    # then exactly 2 fit in its 59.98
    recorded = [o for o in outcomes if isinstance(o, Refund)]
    refused = [o for o in outcomes if isinstance(o, RefundExceedsPayment)]
    assert (len(recorded), len(refused)) == (2, 2), outcomes
    assert sum(r.amount for r in Refund.objects.filter(payment=small)) == Decimal("50.00")
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("50.00")


def test_credit_note_and_payment_racing_never_overpay_nor_overcredit() -> None:
    # given issued invoices of 259.98
    for index in range(4):
        invoice = InvoiceFactory(status="issued")
        # when a credit of 200.00 and a payment of 200.00 arrive together
        outcomes = run_together(crediting(invoice.pk, "200.00"), paying(invoice.pk, "200.00", f"RACE-{index}"))
        # then both may land (the credit after the payment leaves money refundable), or the payment is refused
        # as an overpayment against the credited amount due; never a deadlock, never a broken figure
        invoice.refresh_from_db()
        assert isinstance(outcomes[0], CreditNote), outcomes
        assert isinstance(outcomes[1], Payment | Overpayment), outcomes
        balance = invoice.total - invoice.amount_credited - invoice.amount_paid + invoice.amount_refunded
        assert balance == invoice.amount_due - invoice.amount_refundable
        assert invoice.amount_paid == sum(p.amount for p in invoice.payments.all())
