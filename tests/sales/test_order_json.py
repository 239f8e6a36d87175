"""Property: the line items and returns PostgreSQL writes as JSON for a page of orders (``order_lines_json``) are
what the representation builds in Python from the lines' rows (``order_representations``): the same values once
parsed, and the same bytes once rendered (orjson with the JSON inserted, DRF's renderer with an indent) — over
random orders in currencies of 0, 2, 3 and 4 decimals, with amounts of every sign (those that round to a signed
zero too), tax rows, discounts of both kinds (and none, empty, without a reason), price lists, list prices or
none, allocations from two warehouses, returns in every status and awkward text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import renderers as drf_renderers

from sales.models import Order, OrderLine, OrderLineAllocation, Return, ReturnLine, ReturnStatus
from sales.representations import order_page_representations, order_representations
from sales.selectors import OrderJSON, order_lines_json, order_page_lines, order_read_of_row, order_rows
from synthesq.core.prebuilt_json import plain
from synthesq.core.renderers import JSONRenderer
from tests.factories import OrderFactory, PriceListFactory, ProductFactory, WarehouseFactory
from tests.sales.discount_strategies import Rollback

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CURRENCIES = {"JPY": 0, "KRW": 0, "USD": 2, "EUR": 2, "BHD": 3, "KWD": 3, "CLF": 4}

# Text PostgreSQL stores (no NUL), with what JSON escapes and what it does not.
_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8) | st.sampled_from(
    ["", '"quoted"', "back\\slash", "\n\t\x01\x1f\x7f", "\u2028\u2029", "é😀", "</script>"])


def _decimal(places: int, low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda units: Decimal(units).scaleb(-places))


# A stored amount (4 decimals), mostly small: near zero they round to a signed zero in every currency.
_amount = _decimal(4, -10**17 + 1, 10**17 - 1) | _decimal(4, -60, 60)
_tax_row = st.fixed_dictionaries({"name": _text, "rate": _text, "country": _text,
                                  "region": _text | st.none(), "tax_amount": _text | st.none()})


@st.composite
def _discount(draw: Any) -> dict[str, Any] | None:
    kind = draw(st.sampled_from([None, "empty", "blank", "percent", "amount"]))
    if kind in (None, "empty", "blank"):
        return {None: None, "empty": {}, "blank": {"type": "", "value": "1"}}[kind]
    places = draw(st.integers(0, 4))
    # any value, one with a trailing zero ("12.50": a percent shows "12.5"), a whole one with decimals ("10.00")
    value = str(draw(_decimal(places, -10**9, 10**9)
                     | st.integers(-10**6, 10**6).map(lambda units: Decimal(units * 10).scaleb(-places))
                     | st.integers(-1000, 1000).map(lambda whole: Decimal(whole).quantize(Decimal(1).scaleb(-places)))))
    written = {"type": kind, "value": value}
    reason = draw(st.sampled_from(["absent", "null", "text"]))
    if reason != "absent":
        written["reason"] = None if reason == "null" else draw(_text)
    return written


_line = st.fixed_dictionaries({
    "sku": _text, "name": _text, "quantity": st.integers(1, 2**31 - 1), "unit_price": _amount.map(abs),
    "line_total": _amount, "tax_class": _text, "tax_rate": _decimal(4, -10**9 + 1, 10**9 - 1),
    "net_amount": _amount, "tax_amount": _amount, "gross_amount": _amount,
    "taxes": st.lists(_tax_row, max_size=3), "list_price": _amount | st.none(), "priced": st.booleans(),
    "discount": _discount(), "discount_amount": _amount, "order_discount_amount": _amount,
    "allocated": st.lists(st.integers(1, 10**6), max_size=2),
    "returned": st.lists(st.integers(1, 10**6), max_size=3),
})
_order = st.fixed_dictionaries({"currency": st.sampled_from(sorted(CURRENCIES)),
                                "lines": st.lists(_line, max_size=3),
                                "returns": st.lists(st.sampled_from(ReturnStatus.values), max_size=3)})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(orders=st.lists(_order, min_size=1, max_size=3))
def test_the_database_writes_the_lines_as_the_representation_does(orders: list[dict[str, Any]]) -> None:
    try:
        with transaction.atomic():  # each example's rows are rolled back
            _check(orders)
            raise Rollback
    except Rollback:
        pass


def _check(orders: list[dict[str, Any]]) -> None:
    # given orders with those lines, allocations and returns (written as rows: any value the columns hold)
    product, price_list = ProductFactory(), PriceListFactory()
    warehouses = [WarehouseFactory(), WarehouseFactory()]
    ids = [_order_of(spec, product, price_list, warehouses) for spec in orders]
    rows = [order_read_of_row(row) for row in order_rows().filter(pk__in=ids)]
    # when a page is represented from the JSON PostgreSQL wrote, and from the rows in Python
    written = order_page_representations(rows)
    built = order_representations(rows)
    # then the same values, and the same bytes whichever renderer writes them
    assert all(isinstance(lines, OrderJSON) for lines in order_page_lines(ids).values())
    assert plain(written) == built
    assert JSONRenderer().render(written) == JSONRenderer().render(built) == _drf(built)
    indented = "application/json; indent=4"
    assert JSONRenderer().render(written, indented) == _drf(built, indented)


def _drf(data: Any, media_type: str = "application/json") -> bytes:
    return drf_renderers.JSONRenderer().render(data, media_type, {})


def _order_of(spec: dict[str, Any], product: Any, price_list: Any, warehouses: list[Any]) -> str:
    order = _without_lines()
    Order.objects.filter(pk=order.pk).update(currency=spec["currency"])
    lines = [_line_of(order, position, line, product, price_list) for position, line in enumerate(spec["lines"])]
    for line, line_spec in zip(lines, spec["lines"], strict=True):
        OrderLineAllocation.objects.bulk_create([OrderLineAllocation(line=line, warehouse=warehouse, quantity=quantity)
                                                 for warehouse, quantity in zip(warehouses, line_spec["allocated"],
                                                                                strict=False)])
    for number, status in enumerate(spec["returns"]):
        sales_return = Return.objects.create(order=order, return_number=f"R-{order.pk[-20:]}-{number}",
                                             currency=spec["currency"])
        Return.objects.filter(pk=sales_return.pk).update(status=status)
        ReturnLine.objects.bulk_create([
            ReturnLine(sales_return=sales_return, position=position, order_line=line, product=product,
                       quantity=line_spec["returned"][number], unit_price=0, line_total=0)
            for position, (line, line_spec) in enumerate(zip(lines, spec["lines"], strict=True))
            if number < len(line_spec["returned"])])
    return order.pk


def _without_lines() -> Order:
    order = OrderFactory()
    OrderLine.objects.filter(order=order).delete()
    return order


def _line_of(order: Order, position: int, spec: dict[str, Any], product: Any, price_list: Any) -> OrderLine:
    fields = {key: value for key, value in spec.items() if key not in ("priced", "allocated", "returned")}
    return OrderLine.objects.create(order=order, position=position, product=product,
                                    price_list=price_list if spec["priced"] else None, **fields)


def test_an_order_without_lines_has_empty_lists() -> None:
    # given an order without lines; when its lines are written as JSON; then two empty lists
    order = _without_lines()
    written = order_lines_json([order.pk])[order.pk]
    assert (written.line_items.text, written.returns.text) == ("[]", "[]")
    assert order_lines_json([]) == {}
