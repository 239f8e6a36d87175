"""The finance dashboard's discounts of the month, by code and in total, and the orders list's filters by code
and price list. Given / when / then."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from sales import services
from sales.discounts import DiscountInput
from sales.models import Order
from tests.admin.navigation import click, text_of
from tests.factories import CustomerFactory, PriceListFactory, ProductFactory, PromotionCodeFactory

pytestmark = pytest.mark.django_db


def _confirmed(customer_id: str, product_id: str, *, code: str | None = None,
               discount: DiscountInput | None = None) -> str:
    order = services.order_create(actor=None, customer_id=customer_id, currency="USD",
                                  line_items=[services.LineInput(product_id=product_id, quantity=2)],
                                  shipping_address={"line1": "1 Main St", "city": "Austin", "state": "TX",
                                                    "postal_code": "78701", "country": "US"},
                                  discount=discount, promotion_code=code)
    services.order_confirm(order_id=order.pk, actor=None)
    return order.pk


def test_finance_sees_the_discounts_of_the_month_by_code_and_in_total(finance_client: Client) -> None:
    # given two confirmed orders with a 10 % code (2 x 50.00 each: 10.00 off), one with 7.00 off by hand, a
    # cancelled one with the code and a draft with it
    PromotionCodeFactory(code="TEN")
    product = ProductFactory(price="50.00", stock=100)
    for _ in range(2):
        _confirmed(CustomerFactory().pk, product.pk, code="TEN")
    _confirmed(CustomerFactory().pk, product.pk, discount=DiscountInput("amount", Decimal("7.00")))
    services.order_cancel(order_id=_confirmed(CustomerFactory().pk, product.pk, code="TEN"), actor=None)
    services.order_create(actor=None, customer_id=CustomerFactory().pk, currency="USD", promotion_code="TEN",
                          line_items=[services.LineInput(product_id=product.pk, quantity=2)],
                          shipping_address={"line1": "1 Main St", "city": "Austin", "postal_code": "78701",
                                            "country": "US"})
    # when finance opens the dashboard
    page = text_of(finance_client.get("/admin/").content.decode())
    # then the month shows 27.00 given in total and 20.00 by the code, on 3 and 2 orders
    assert "27.00 USD All discounts · USD 3 orders 20.00 USD Code TEN · USD 2 orders" in page
    # and the code's figure leads to its orders: the two confirmed, the cancelled one and the draft carry it
    orders = click(finance_client, finance_client.get("/admin/"), "Code TEN · USD")
    listed = orders.content.decode()
    for order in Order.objects.all():
        assert (order.order_number in listed) == (order.promotion_code_id is not None), order.order_number


def test_the_orders_list_filters_by_code_and_price_list(client_for: Callable[..., APIClient]) -> None:
    # given an order with a code, one priced from a price list and one with neither
    api = client_for("sales")
    product = ProductFactory(price="10.00", stock=100)
    PromotionCodeFactory(code="SPRING")
    price_list = PriceListFactory(entries=[(product, 1, "9.00")])
    with_code = _confirmed(CustomerFactory().pk, product.pk, code="SPRING")
    listed = _confirmed(CustomerFactory(price_list=price_list).pk, product.pk)
    _confirmed(CustomerFactory().pk, product.pk)
    # when the list is filtered, then each filter finds its order
    by_code = api.get("/api/v1/sales/orders", {"promotion_code": "spring"}).json()["results"]
    by_list = api.get("/api/v1/sales/orders", {"price_list_id": price_list.pk}).json()["results"]
    assert [order["id"] for order in by_code] == [with_code]
    assert [order["id"] for order in by_list] == [listed]
