"""``synthesq.core.postgres.insert_together`` (the order, its lines and its history in one statement on PostgreSQL):
the rows read back equal what was written, JSON columns included (a None is SQL NULL, as Django saves it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sales.models import Order, OrderEvent, OrderLine
from sales.services.drafts import ORDER_NUMBER, ORDER_NUMBER_SEQUENCE
from synthesq.core.models import Sequence
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_an_order_its_lines_and_history_are_written_whole() -> None:
    # given an order of three lines made through the service (one without a discount, JSON null)
    order = OrderFactory(lines=[(ProductFactory(), 1), (ProductFactory(), 2), (ProductFactory(), 3)])
    # when its rows are read back
    lines = list(OrderLine.objects.filter(order=order).order_by("position"))
    # then every line has its key, its JSON as written and no discount (SQL NULL, not a JSON null)
    assert [line.quantity for line in lines] == [1, 2, 3] and all(line.pk for line in lines)
    assert OrderLine.objects.filter(order=order, discount__isnull=True).count() == 3
    assert [line.taxes for line in lines] == [line.taxes for line in order.lines.all()]
    assert Order.objects.filter(pk=order.pk, order_number=order.order_number).exists()
    history = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.CREATED)
    assert history.data["lines"] == 3 and Decimal(history.data["total"]) == order.total


def test_the_first_order_creates_its_counter_and_is_number_one() -> None:
    # given no order number counter yet
    Sequence.objects.filter(name=ORDER_NUMBER_SEQUENCE).delete()
    # when an order is created, then the counter is made and the order is the first, as stored
    order = OrderFactory(lines=[(ProductFactory(), 1)])
    assert order.order_number == "SO-00000001"
    assert Order.objects.get(pk=order.pk).order_number == "SO-00000001"
    assert Sequence.objects.get(name=ORDER_NUMBER_SEQUENCE).value == 1


def test_a_number_beyond_its_width_keeps_every_digit() -> None:
    # given a counter at the last number of eight digits
    Sequence.objects.update_or_create(name=ORDER_NUMBER_SEQUENCE, defaults={"value": 99_999_998})
    # when two orders are created, then the second has nine digits, as Python formats it
    first, second = (OrderFactory(lines=[(ProductFactory(), 1)]) for _ in range(2))
    assert [first.order_number, second.order_number] == ["SO-99999999", "SO-100000000"]
    assert Order.objects.get(pk=second.pk).order_number == ORDER_NUMBER.text(100_000_000) == "SO-100000000"
