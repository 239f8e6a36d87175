"""Property: whatever the basket (USD, JPY, BHD; line discounts by percent and amount; an order discount by
percent or amount; a promotion code; taxes exclusive or inclusive, rounded per line or per document), created
through the draft service, the lines' shares sum to the order's discounts, no line goes below zero, and every
invariant of issue 22 still holds on the stored order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales import services
from sales.exceptions import PromotionCodeNotApplicable
from sales.models import Order, with_lines
from sales.representations import order_representation
from tests.factories import CustomerFactory, ProductFactory, PromotionCodeFactory
from tests.sales.discount_strategies import DECIMALS, Rollback, amount, discount
from tests.taxes.helpers import BERLIN, assert_adds_up, rate, tax_settings

pytestmark = pytest.mark.django_db

@st.composite
def _basket(draw: Any) -> dict[str, Any]:
    currency = draw(st.sampled_from(sorted(DECIMALS)))
    lines = draw(st.lists(st.tuples(amount(currency, 0, 5000), st.integers(1, 200),
                                    st.sampled_from(["standard", "reduced"]), discount(currency, 2000, (0, 10000))),
                          min_size=1, max_size=6))
    return {"currency": currency, "lines": lines, "discount": draw(discount(currency, 20000, (0, 10000))),
            "code": draw(st.sampled_from([None, "percent", "amount"])),
            "inclusive": draw(st.booleans()), "rounding": draw(st.sampled_from(["line", "document"]))}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(basket=_basket())
def test_discounts_add_up_and_taxes_still_do(basket: dict[str, Any]) -> None:
    try:
        with transaction.atomic():  # each example's rows are rolled back
            _check(basket)
            raise Rollback
    except Rollback:
        pass


def _check(basket: dict[str, Any]) -> None:
    # given rates on two classes, the settings, the products and, maybe, a code in the basket's currency
    currency = basket["currency"]
    rate("19", name="USt 19%")
    rate("7", tax_class="reduced", name="USt 7%")
    tax_settings(prices_include_tax=basket["inclusive"], rounding=basket["rounding"])
    code = None
    if basket["code"] == "percent":
        code = PromotionCodeFactory(code="PROP", discount_value=Decimal("12.5")).code
    elif basket["code"] == "amount":
        code = PromotionCodeFactory(code="PROP", discount_type="amount", discount_value=Decimal(3),
                                    currency=currency).code
    items = [services.LineInput(product_id=ProductFactory(currency=currency, price=price, tax_class_id=tax_class).pk,
                                quantity=quantity, discount=discount)
             for price, quantity, tax_class, discount in basket["lines"]]
    # when the draft is created through the service by the system (no discount limit)
    try:
        created = services.order_create(actor=None, customer_id=CustomerFactory().pk, currency=currency,
                                        line_items=items, shipping_address=BERLIN, discount=basket["discount"],
                                        promotion_code=code)
    except PromotionCodeNotApplicable:  # the lines' own discounts left nothing for the code: refused, no order
        assert code is not None and not Order.objects.exists()
        return
    # then, on the stored order and lines
    order = with_lines(Order.objects.select_related("promotion_code").get(pk=created.pk))
    lines = list(order.lines.all())
    shares = [line.order_discount_amount for line in lines]
    assert sum(shares) == order.discount_amount + order.promotion_discount_amount
    assert sum(line.discount_amount for line in lines) == order.lines_discount_total
    for line in lines:
        assert 0 <= line.discount_amount <= line.line_total
        assert line.line_total - line.discount_amount - line.order_discount_amount >= 0
        assert line.gross_amount >= 0 and line.net_amount >= 0
    if basket["code"] is None:
        assert order.promotion_discount_amount == 0
    assert_adds_up(order_representation(order))
