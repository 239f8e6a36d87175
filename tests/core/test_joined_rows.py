"""``synthesq.core.postgres.joined_rows``: a parent row's child rows as one text, read back in key order."""

from __future__ import annotations

import pytest

from sales.models import OrderLine, OrderLineAllocation
from synthesq.core.postgres import joined_rows, split_joined_rows
from tests.factories import OrderFactory, ProductFactory, WarehouseFactory


def test_the_text_is_read_back_in_key_order_numbers_as_numbers() -> None:
    assert split_joined_rows(None) == []
    assert split_joined_rows("10:wh_b:1,9:wh_a:2,100:wh_c:3") == [["9", "wh_a", "2"], ["10", "wh_b", "1"],
                                                                   ["100", "wh_c", "3"]]


@pytest.mark.django_db
def test_each_line_carries_its_allocations_and_a_line_without_none() -> None:
    # given a draft line without allocations and another with two (from the south warehouse first)
    order = OrderFactory(lines=[(ProductFactory(), 1), (ProductFactory(), 5)])
    bare, split = order.lines.order_by("position")
    north, south = WarehouseFactory(), WarehouseFactory()
    earlier = OrderLineAllocation.objects.create(line=split, warehouse=south, quantity=3)
    later = OrderLineAllocation.objects.create(line=split, warehouse=north, quantity=2)
    # when the lines are read with their allocations joined
    rows = dict(OrderLine.objects.filter(order=order).annotate(
        joined=joined_rows(OrderLineAllocation, parent=OrderLine, key="line", fields=("warehouse", "quantity")),
    ).values_list("pk", "joined"))
    # then the bare line has none and the other both, in the order they were made
    assert split_joined_rows(rows[bare.pk]) == []
    assert split_joined_rows(rows[split.pk]) == [[str(earlier.pk), south.pk, "3"],
                                                       [str(later.pk), north.pk, "2"]]
