"""``synthesq.core.postgres.insert_together`` (the order, its lines and its history in one statement on PostgreSQL):
the rows read back equal what was written, JSON columns included (a None is SQL NULL, as Django saves it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sales.models import Order, OrderEvent, OrderLine
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
