"""What staff read on pages they may only view, reached by clicking from the admin index: addresses as an envelope
shows them, money in its currency's minor unit. Given / when / then."""

from __future__ import annotations

import pytest
from django.test import Client

from sales.models import OrderStatus
from tests.admin.navigation import open_from_index, readonly_fields
from tests.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_a_customer_read_only_shows_its_address(login: Client) -> None:
    # given a customer with a default shipping address
    CustomerFactory(name="Northwind Traders")
    # when the warehouse (who may only view customers) clicks through to it
    fields = readonly_fields(open_from_index(login("warehouse"), "Customers", "Northwind Traders"))
    # then the address reads as on an envelope, with no empty "Ship line1 -" boxes
    assert fields["Ships to"] == "123 Commerce St Austin, TX 78701 US"
    assert not [label for label in fields if label.startswith(("Ship ", "Address line", "City"))], fields


def test_a_draft_order_read_only_shows_its_address(login: Client) -> None:
    # given a draft order; the warehouse may view orders, not change them
    order = OrderFactory(status=OrderStatus.DRAFT)
    fields = readonly_fields(open_from_index(login("warehouse"), "Orders", order.order_number))
    assert fields["Shipping address"].startswith("123 Commerce St")
    assert not [label for label in fields if label.startswith(("Ship ", "Address line"))], fields


@pytest.mark.parametrize(("traits", "price"), [({}, "19.00 USD"), ({"jpy": True}, "1300 JPY")])
def test_a_product_read_only_shows_its_price_in_the_minor_unit(login: Client, traits: dict[str, bool],
                                                               price: str) -> None:
    # given a product at 19 USD, or one at 1300 JPY (no minor unit)
    product = ProductFactory(**traits, **({} if traits else {"price": "19"}))
    # when sales (who may only view products) clicks through to it
    fields = readonly_fields(open_from_index(login("sales"), "Products", product.sku))
    # then its price reads in the currency's minor unit, never the column's four decimals
    assert fields["Price"] == price
