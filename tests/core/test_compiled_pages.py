"""A list's cursor pages compiled once per shape (``synthesq.core.compiled_pages``): the rows equal the queryset's
under every operation the cursor paginator makes, each shape compiles once, anything else is replayed."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from sales.models import Order
from synthesq.core import compiled_pages
from synthesq.core.compiled import CompiledQuery
from synthesq.core.compiled_pages import CompiledPageRows
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _base() -> Any:
    return Order.objects.values("id", "order_number", "promotion_code__code").order_by("-id")


def _rows(name: str) -> CompiledPageRows:
    return CompiledPageRows(name, _base, Order)


@pytest.fixture
def order_ids() -> list[str]:
    customer = CustomerFactory()
    Order.objects.bulk_create(Order(order_number=f"PAGE-{n:03d}", customer=customer, currency="USD",
                                    shipping_address=customer.default_shipping_address)
                              for n in range(7))
    return sorted(Order.objects.values_list("id", flat=True))


def test_every_cursor_page_equals_the_querysets(order_ids: list[str]) -> None:
    # given the pages the cursor paginator asks for: first, forward and backward from a position, with an offset
    middle = order_ids[3]
    pages: list[tuple[tuple[str, ...], dict[str, str], slice]] = [
        (("-id",), {}, slice(0, 3)),
        (("-id",), {"id__lt": middle}, slice(0, 3)),
        (("id",), {"id__gt": middle}, slice(0, 3)),
        (("-id",), {"id__lt": middle}, slice(1, 4)),
        (("id",), {}, slice(2, 10)),
        (("-id",), {"id__lt": "ord_unknown"}, slice(0, 3)),
    ]
    for ordering, lookups, window in pages:
        expected = list(_base().order_by(*ordering).filter(**lookups)[window])
        # when the same operations are made on the compiled rows (twice: compiled, then run again)
        for _ in range(2):
            rows = _rows("test.pages").order_by(*ordering)
            rows = rows.filter(**lookups) if lookups else rows
            # then the rows are the queryset's
            assert list(rows[window]) == expected, (ordering, lookups, window)


def test_each_shape_compiles_once_whatever_the_position(order_ids: list[str]) -> None:
    compiled_pages._SHAPES.clear()
    with mock.patch.object(CompiledQuery, "_compile", autospec=True,
                           side_effect=CompiledQuery._compile) as compiling:
        for position in order_ids:
            list(_rows("test.once").order_by("-id").filter(id__lt=position)[0:3])
    assert compiling.call_count == 1


def test_other_operations_are_replayed_on_the_queryset(order_ids: list[str]) -> None:
    # a second filter, or a position that is not a string: run as the queryset runs them
    rows = _rows("test.replayed").order_by("-id").filter(id__lt=order_ids[5]).filter(id__gt=order_ids[1])[0:10]
    assert [row["id"] for row in rows] == order_ids[4:1:-1]
    numbered = _rows("test.replayed").order_by("id").filter(order_number__in=["PAGE-001", "PAGE-002"])[0:5]
    assert [row["order_number"] for row in numbered] == ["PAGE-001", "PAGE-002"]
