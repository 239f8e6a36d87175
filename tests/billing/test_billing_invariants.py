"""Invariants after a random mix of operations (seeded, so a failure replays): confirms, cancels, order progress,
payments of random amounts, voids and issues, many of them refused by the rules."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice, InvoiceEvent, InvoiceStatus, Payment
from inventory.models import Product
from inventory.selectors import stock_ledger_mismatches
from sales import services as sales
from sales.models import Order, OrderStatus
from synthesq.core.errors import DomainError
from synthesq.core.models import Sequence
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

OPERATIONS = 200
CHECK_EVERY = 50
METHODS = ["bank_transfer", "card", "cash", "cheque", "other"]
# After the sales services' own path: each step's service and extra arguments.
NEXT_STEP = {
    OrderStatus.CONFIRMED: (sales.order_start_processing, {}),
    OrderStatus.PROCESSING: (sales.order_ship, {"tracking_number": "1Z999", "carrier": "UPS"}),
    OrderStatus.SHIPPED: (sales.order_deliver, {}),
    OrderStatus.DELIVERED: (sales.order_close, {}),
}


class Mix:
    """Runs random operations through the services, counting what happened and what was refused."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.customers = [CustomerFactory() for _ in range(3)]
        # plenty of stock, but one product runs short (its confirmations are then refused)
        self.products = [ProductFactory(stock=stock, price=Decimal(price))
                         for stock, price in ((500, "0.99"), (500, "19.95"), (500, "129.99"), (6, "1000.00"))]
        self.refused: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.references = 0

    def run(self, operation: str) -> None:
        try:
            getattr(self, operation)()
        except DomainError as exc:
            self.refused[type(exc).__name__] += 1
        else:
            self.done[operation] += 1

    def _order(self, *statuses: str) -> Order | None:
        orders = list(Order.objects.filter(status__in=statuses).order_by("id"))
        return self.rng.choice(orders) if orders else None

    def _invoice(self, *statuses: str) -> Invoice | None:
        invoices = Invoice.objects.order_by("id")
        if statuses:
            invoices = invoices.filter(status__in=statuses)
        choices = list(invoices)
        return self.rng.choice(choices) if choices else None

    def confirm(self) -> None:
        lines = [sales.LineInput(product_id=product.pk, quantity=self.rng.randint(1, 3))
                 for product in self.rng.sample(self.products, self.rng.randint(1, 3))]
        order = sales.order_create(actor=None, customer_id=self.rng.choice(self.customers).pk, currency="USD",
                                   line_items=lines)
        sales.order_confirm(order_id=order.pk, actor=None)  # may be refused: insufficient stock

    def cancel(self) -> None:
        order = self._order(OrderStatus.DRAFT, OrderStatus.CONFIRMED)
        if order is not None:
            sales.order_cancel(order_id=order.pk, actor=None, reason="random")

    def advance(self) -> None:
        order = self._order(*NEXT_STEP)
        if order is not None:
            service, extra = NEXT_STEP[order.status]
            service(order_id=order.pk, actor=None, **extra)

    def pay(self) -> None:
        # mostly invoices that take payments, sometimes any (paid or void ones refuse)
        payable = self.rng.random() < 0.85
        invoice = self._invoice(InvoiceStatus.DRAFT, InvoiceStatus.ISSUED) if payable else self._invoice()
        if invoice is None:
            return
        due = invoice.total - invoice.amount_paid
        amount = self.rng.choice([
            due,  # settles it
            (due * Decimal(self.rng.random())).quantize(Decimal("0.01")),  # part of it (maybe 0: refused)
            due + Decimal("0.01"),  # overpayment
            (due * Decimal(self.rng.uniform(1, 3))).quantize(Decimal("0.01")),  # overpayment
        ])
        self.references += 1
        # now and then a reference already used (refused as a duplicate when on the same invoice)
        reference = f"R{self.rng.randint(1, self.references)}" if self.rng.random() < 0.2 else f"R{self.references}"
        billing.payment_record(invoice_id=invoice.pk, amount=amount, currency="USD",
                               payment_method=self.rng.choice(METHODS), reference=reference, actor=None)

    def void(self) -> None:
        voidable = self.rng.random() < 0.7
        invoice = self._invoice(InvoiceStatus.DRAFT, InvoiceStatus.ISSUED) if voidable else self._invoice()
        if invoice is not None:
            billing.invoice_void(invoice_id=invoice.pk, actor=None, reason="random")

    def issue(self) -> None:
        invoice = self._invoice()
        if invoice is not None:
            billing.invoice_issue(invoice_id=invoice.pk, actor=None)


WEIGHTS = {"confirm": 6, "cancel": 2, "advance": 3, "pay": 7, "void": 2, "issue": 2}


def assert_invariants() -> None:
    invoices = list(Invoice.objects.prefetch_related("payments", "events", "lines").order_by("id"))
    for invoice in invoices:
        payments = list(invoice.payments.all())
        events = list(invoice.events.all())
        paid = sum((p.amount for p in payments), Decimal(0))
        where = f"{invoice.pk} ({invoice.status})"
        # the money adds up
        assert invoice.amount_paid == paid, where
        assert Decimal(0) <= invoice.amount_paid <= invoice.total, where
        expected_due = Decimal(0) if invoice.status == InvoiceStatus.VOID else invoice.total - invoice.amount_paid
        assert invoice.amount_due == expected_due, where
        # paid exactly when everything is paid
        fully_paid = invoice.total > 0 and invoice.amount_paid == invoice.total
        assert (invoice.status == InvoiceStatus.PAID) == fully_paid, where
        assert (invoice.paid_at is not None) == (invoice.status == InvoiceStatus.PAID), where
        # payments only on issued or paid invoices, all in the invoice's currency, references unique
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            assert payments == [], where
        assert {p.currency for p in payments} <= {invoice.currency}, where
        assert len({p.reference for p in payments}) == len(payments), where
        # numbered exactly when issued (a void invoice keeps the number it got)
        if invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
            assert invoice.number and invoice.issued_at and invoice.due_at, where
        if invoice.status == InvoiceStatus.DRAFT:
            assert (invoice.number, invoice.issued_at, invoice.due_at) == (None, None, None), where
        assert (invoice.number is None) == (invoice.issued_at is None), where
        # the history explains the state
        moves = [e for e in events if e.kind == InvoiceEvent.Kind.STATUS_CHANGED]
        assert events[0].kind == InvoiceEvent.Kind.CREATED, where
        assert (moves[-1].to_status if moves else InvoiceStatus.DRAFT) == invoice.status, where
        recorded = [e for e in events if e.kind == InvoiceEvent.Kind.PAYMENT_RECORDED]
        assert sorted(e.data["payment_id"] for e in recorded) == sorted(p.pk for p in payments), where
        # the snapshot matches its order
        order = Order.objects.get(pk=invoice.order_id)
        assert (invoice.total, invoice.currency, invoice.customer_id) == (order.total, order.currency,
                                                                         order.customer_id), where
        assert [(line.product_id, line.quantity, line.line_total) for line in invoice.lines.all()] == [
            (line.product_id, line.quantity, line.line_total) for line in order.lines.order_by("position")], where
        if order.status == OrderStatus.CANCELLED:
            assert invoice.status == InvoiceStatus.VOID, where
    # one invoice per order that got past draft; none for drafts (including failed confirmations)
    invoiced = set(Invoice.objects.values_list("order_id", flat=True))
    for order in Order.objects.all():
        if order.confirmed_at is not None:
            assert order.pk in invoiced, order.pk
        else:
            assert order.pk not in invoiced, order.pk
    # every payment belongs to an invoice it fits
    assert Payment.objects.count() == sum(len(invoice.payments.all()) for invoice in invoices)
    # issued numbers per year are exactly 1..N: no gap, no duplicate
    by_year: dict[int, list[int]] = {}
    for number in Invoice.objects.exclude(number=None).values_list("number", flat=True):
        _prefix, year, value = number.split("-")
        assert len(value) == 6
        by_year.setdefault(int(year), []).append(int(value))
    for year, values in by_year.items():
        assert sorted(values) == list(range(1, len(values) + 1)), year
        assert Sequence.objects.get(name=f"invoice-{year}").value == len(values)
    # stock: never negative, the ledger explains it
    assert not Product.objects.filter(stock_quantity__lt=0).exists()
    assert stock_ledger_mismatches() == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_operations_keep_billing_consistent(seed: int) -> None:
    mix = Mix(seed)
    operations = mix.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=OPERATIONS)
    for index, operation in enumerate(operations, start=1):
        mix.run(operation)
        if index % CHECK_EVERY == 0:
            assert_invariants()
    # the mix did exercise the rules: things happened, and things were refused
    summary: dict[str, Any] = {"done": dict(mix.done), "refused": dict(mix.refused)}
    assert mix.done["pay"] >= 5, summary
    assert mix.refused["Overpayment"] >= 3, summary
    assert Invoice.objects.filter(status=InvoiceStatus.PAID).exists(), summary
    assert Invoice.objects.filter(status=InvoiceStatus.VOID).exists(), summary
    assert Invoice.objects.exclude(number=None).count() >= 5, summary
    assert timezone.now().year in {int(n.split("-")[1]) for n in Invoice.objects.exclude(number=None)
                                   .values_list("number", flat=True)}
