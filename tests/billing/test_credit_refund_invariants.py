"""The invoice's figures after every step of random payments, credit notes and refunds (seeded, so a failure
replays): ``total - credited - paid + refunded`` equals ``amount_due`` (or ``-amount_refundable``), the stored
sums equal their rows, and a refused step changes nothing."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest

from billing import services
from billing.models import Invoice
from synthesq.core.errors import DomainError
from tests.factories import InvoiceFactory

from .helpers import assert_figures_add_up, figures, snapshot

pytestmark = pytest.mark.django_db

STEPS = 25
CENTS = Decimal("0.01")


def random_amount(rng: random.Random, around: Decimal) -> Decimal:
    """Mostly something that fits, sometimes just over, sometimes far over."""
    roll = rng.random()
    if roll < 0.15:
        return around + CENTS
    if roll < 0.25:
        return around * 2 + Decimal(1)
    return max(CENTS, (around * Decimal(rng.random())).quantize(CENTS))


@pytest.mark.parametrize("seed", range(6))
def test_figures_add_up_after_every_step(seed: int) -> None:
    rng = random.Random(seed)
    invoice = InvoiceFactory(status=rng.choice(["draft", "issued"]))
    done: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for step in range(STEPS):
        current = Invoice.objects.get(pk=invoice.pk)
        operation = rng.choice(["pay", "credit", "credit_lines", "refund"])
        before = snapshot()
        try:
            if operation == "pay":
                services.payment_record(invoice_id=invoice.pk, amount=random_amount(rng, current.amount_due),
                                        currency="USD", payment_method="card", reference=f"P{step}", actor=None)
            elif operation == "credit":
                services.credit_note_issue(invoice_id=invoice.pk, reason="adjustment", actor=None,
                                           amount=random_amount(rng, current.total - current.amount_credited))
            elif operation == "credit_lines":
                price = random_amount(rng, (current.total - current.amount_credited) / 2)
                services.credit_note_issue(invoice_id=invoice.pk, reason="returned", actor=None, lines=[
                    {"description": "Returned unit", "quantity": rng.randint(1, 2), "unit_price": str(price)}])
            else:
                payments = list(current.payments.order_by("id"))
                if not payments:
                    continue
                payment = rng.choice(payments)
                services.refund_record(payment_id=payment.pk, actor=None, reason="owed", reference=f"R{step}",
                                       amount=random_amount(rng, current.amount_refundable))
        except DomainError as error:
            refused[type(error).__name__] += 1
            assert snapshot() == before, (operation, error)
        else:
            done[operation] += 1
        assert_figures_add_up(invoice.pk)
    # the walk did exercise both outcomes
    assert sum(done.values()) > 0 and sum(refused.values()) > 0, (done, refused)


TABLE = [
    # (steps, expected (status, credited, paid, refunded, amount_due, amount_refundable) after the last)
    ([("pay", "259.98")], ("paid", "0", "259.98", "0", "0", "0")),
    ([("credit", "259.98")], ("paid", "259.98", "0", "0", "0", "0")),
    ([("pay", "100"), ("credit", "159.98")], ("paid", "159.98", "100", "0", "0", "0")),
    ([("pay", "100"), ("credit", "200")], ("paid", "200", "100", "0", "0", "40.02")),
    ([("pay", "100"), ("credit", "200"), ("refund", "40.02")], ("paid", "200", "100", "40.02", "0", "0")),
    ([("pay", "259.98"), ("credit", "59.98"), ("refund", "20"), ("credit", "100")],
     ("paid", "159.98", "259.98", "20", "0", "139.98")),
    ([("credit", "59.98"), ("pay", "200")], ("paid", "59.98", "200", "0", "0", "0")),
    ([("credit", "59.98"), ("pay", "150")], ("issued", "59.98", "150", "0", "50", "0")),
]


@pytest.mark.parametrize(("steps", "expected"), TABLE, ids=[" then ".join(f"{op} {a}" for op, a in steps)
                                                            for steps, _ in TABLE])
def test_figures_table(steps: list[tuple[str, str]], expected: tuple[str, ...]) -> None:
    invoice = InvoiceFactory(status="issued")
    for index, (operation, amount) in enumerate(steps):
        if operation == "pay":
            services.payment_record(invoice_id=invoice.pk, amount=Decimal(amount), currency="USD",
                                    payment_method="card", reference=f"P{index}", actor=None)
        elif operation == "credit":
            services.credit_note_issue(invoice_id=invoice.pk, amount=Decimal(amount), reason="r", actor=None)
        else:
            payment = Invoice.objects.get(pk=invoice.pk).payments.order_by("id").first()
            assert payment is not None
            services.refund_record(payment_id=payment.pk, amount=Decimal(amount), reason="r",
                                   reference=f"R{index}", actor=None)
        assert_figures_add_up(invoice.pk)
    status, credited, paid, refunded, due, refundable = expected
    assert figures(invoice.pk) == (status, Decimal("259.98"), Decimal(credited), Decimal(paid), Decimal(refunded),
                                   Decimal(due), Decimal(refundable))
