"""Price lists (issue 23): managed by finance, given to a customer, and taken by a draft's lines without a
unit_price: the best entry for the quantity, in the order's currency, when the list is active and valid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sales.models import Customer
from sales.pricing_models import PriceList
from tests.factories import CustomerFactory, PriceListFactory, ProductFactory

from .helpers import ORDERS_URL, order_payload

pytestmark = pytest.mark.django_db
PRICE_LISTS_URL = "/api/v1/sales/price-lists"
CUSTOMERS_URL = "/api/v1/sales/customers"


def _order(api: APIClient, customer: Any, lines: list[tuple[Any, int] | tuple[Any, int, Any]],
           currency: str = "USD") -> dict[str, Any]:
    body = order_payload(customer.pk, [(line[0].pk, *line[1:]) for line in lines], currency=currency)
    response = api.post(ORDERS_URL, body, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_finance_makes_a_list_and_gives_it_to_a_customer(finance_api: APIClient, sales_api: APIClient) -> None:
    # given a product and a customer
    product, customer = ProductFactory(price="10.00"), CustomerFactory()
    # when finance creates a list with two quantity breaks
    body = {"name": "Acme", "currency": "USD", "entries": [
        {"product_id": product.pk, "min_quantity": 1, "unit_price": "9.50"},
        {"product_id": product.pk, "min_quantity": 100, "unit_price": "8.00"}]}
    made = finance_api.post(PRICE_LISTS_URL, body, format="json")
    assert made.status_code == 201, made.content
    price_list = made.json()
    assert price_list["id"].startswith("prl_")
    assert [entry["unit_price"] for entry in price_list["entries"]] == ["9.50", "8.00"]
    # then sales may not give it to a customer (nothing changed), finance may
    url = f"{CUSTOMERS_URL}/{customer.pk}"
    assert sales_api.patch(url, {"price_list_id": price_list["id"]}, format="json").status_code == 403
    assert Customer.objects.get(pk=customer.pk).price_list_id is None
    sales_and_finance = finance_api
    given = sales_and_finance.patch(url, {"price_list_id": price_list["id"]}, format="json")
    assert given.status_code == 200, given.content
    assert given.json()["price_list_id"] == price_list["id"]
    # and sales reads the list but may not create one
    assert sales_api.get(f"{PRICE_LISTS_URL}/{price_list['id']}").json() == price_list
    assert sales_api.post(PRICE_LISTS_URL, body, format="json").status_code == 403
    assert PriceList.objects.count() == 1


@pytest.fixture
def finance_api(client_for: Callable[..., APIClient]) -> APIClient:
    """Finance with the sales role (customers are changed by sales; price lists given by finance)."""
    return client_for("sales", "finance")


def test_a_line_takes_the_best_break_for_its_quantity(sales_api: APIClient) -> None:
    # given a key account's list with breaks at 1, 50 and 120 units of a product, and another product not on it
    listed, unlisted = ProductFactory(price="10.00", stock=500), ProductFactory(price="4.00")
    price_list = PriceListFactory(entries=[(listed, 1, "9.50"), (listed, 50, "9.00"), (listed, 120, "8.25")])
    customer = CustomerFactory(price_list=price_list)
    # when orders of 49, 50, 119 and 120 units are drafted, and one with an explicit unit price
    prices = [_order(sales_api, customer, [(listed, quantity)])["line_items"][0]["unit_price"]
              for quantity in (49, 50, 119, 120)]
    mixed = _order(sales_api, customer, [(listed, 120), (unlisted, 2), (listed, 1, "7.00")])
    # then each takes the largest break not above its quantity
    assert prices == ["9.50", "9.00", "9.00", "8.25"]
    # and each line shows its list price and where its price came from
    assert [(line["unit_price"], line["list_price"], line["price_list_id"]) for line in mixed["line_items"]] == [
        ("8.25", "10.00", price_list.pk), ("4.00", "4.00", None), ("7.00", "10.00", None)]


@pytest.mark.parametrize("change", [{"active": False}, {"currency": "EUR"}, {"valid_to": -1}, {"valid_from": 1}])
def test_an_inapplicable_list_leaves_the_product_price(sales_api: APIClient, change: dict[str, Any]) -> None:
    # given a list that is inactive, in another currency or outside its validity
    product = ProductFactory(price="10.00")
    today = timezone.localdate()
    fields = {name: today + timedelta(days=value) if name.startswith("valid") else value
              for name, value in change.items()}
    customer = CustomerFactory(price_list=PriceListFactory(entries=[(product, 1, "5.00")], **fields))
    # when a USD draft is made, then the product's price applies
    line = _order(sales_api, customer, [(product, 1)])["line_items"][0]
    assert (line["unit_price"], line["price_list_id"]) == ("10.00", None)


def test_a_list_prices_a_product_sold_in_another_currency(sales_api: APIClient) -> None:
    # given a product priced in USD and a customer's EUR list for it
    product = ProductFactory(price="10.00", currency="USD")
    customer = CustomerFactory(price_list=PriceListFactory(currency="EUR", entries=[(product, 1, "9.20")]))
    # when an EUR draft names it without a unit price, the list's price applies (no currency_mismatch)
    line = _order(sales_api, customer, [(product, 2)], currency="EUR")["line_items"][0]
    assert (line["unit_price"], line["line_total"], line["list_price"]) == ("9.20", "18.40", None)


def test_a_patch_of_entries_takes_their_defaults_and_refuses_a_price_too_large(
        finance_api: APIClient) -> None:
    # given a list with one entry
    product = ProductFactory(price="10.00")
    price_list = PriceListFactory(entries=[(product, 1, "9.00")])
    url = f"{PRICE_LISTS_URL}/{price_list.pk}"
    # when its entries are replaced without min_quantity, the break is from 1 unit
    patched = finance_api.patch(url, {"entries": [{"product_id": product.pk, "unit_price": "8.50"}]}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["entries"] == [{"product_id": product.pk, "min_quantity": 1, "unit_price": "8.50"}]
    # and a price of 10^12 or more is a 400 naming it, nothing changed
    refused = finance_api.patch(url, {"entries": [{"product_id": product.pk, "unit_price": "99999999999999.98"}]},
                                format="json")
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["entries[0].unit_price"]
    assert finance_api.get(url).json()["entries"] == patched.json()["entries"]
