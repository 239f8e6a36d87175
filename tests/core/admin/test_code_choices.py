"""Codes staff pick, not type: a customer's country from ISO 3166-1 and an order's or product's currency from
ISO 4217, as searchable choices, any case typed normalised, nothing outside the standard accepted or cut to fit.
Forms reached by clicking from the admin index. Given / when / then."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inventory.models import Product
from sales.models import Customer, Order
from tests.admin.helpers import form_errors, management, page_form
from tests.admin.navigation import click
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def add_page(client: Client, sidebar: str, add_label: str) -> Any:
    """Admin index → ``sidebar`` → its "Add …" button."""
    return click(client, click(client, client.get("/admin/"), sidebar), add_label)


def choices(response: Any, field: str) -> dict[str, str]:
    """The options of a select on the page: value → label."""
    return dict(response.context["adminform"].form.fields[field].choices)


def test_a_customer_country_is_chosen_from_iso_3166(sales_client: Client) -> None:
    # when sales opens "Add customer" from the index
    page = add_page(sales_client, "Customers", "Add customer")
    # then the country is a searchable choice of ISO 3166-1 countries, by name
    countries = choices(page, "ship_country")
    assert countries["GB"] == "United Kingdom (GB)" and countries["US"].startswith("United States")
    assert "ZZ" not in countries and "UN" not in countries
    assert 'class="unfold-admin-autocomplete' in page.content.decode()


@pytest.mark.parametrize("typed", ["United Kingdom", "ZZ", "UN"])
def test_a_customer_country_outside_iso_3166_is_refused_never_cut(sales_client: Client, typed: str) -> None:
    page = add_page(sales_client, "Customers", "Add customer")
    form = {**page_form(page, "customer_form"), "name": "Brit Ltd", "email": "brit@example.com",
            "ship_line1": "1 High St", "ship_city": "London", "ship_country": typed}
    response = sales_client.post(page.wsgi_request.path, form)
    assert response.status_code == 200
    assert "ISO 3166-1 alpha-2" in form_errors(response)
    assert not Customer.objects.filter(email="brit@example.com").exists()


def test_a_customer_country_in_any_case_is_normalised(sales_client: Client) -> None:
    page = add_page(sales_client, "Customers", "Add customer")
    form = {**page_form(page, "customer_form"), "name": "Brit Ltd", "email": "brit@example.com",
            "ship_line1": "1 High St", "ship_city": "London", "ship_country": " gb "}
    response = sales_client.post(page.wsgi_request.path, form, follow=True)
    assert response.status_code == 200, form_errors(response)
    assert Customer.objects.get(email="brit@example.com").default_shipping_address["country"] == "GB"


def test_an_order_currency_is_chosen_from_iso_4217_any_case(sales_client: Client) -> None:
    # given a customer and a product in USD
    customer, product = CustomerFactory(), ProductFactory()
    # when sales opens "Add order" from the index, the currency is a searchable ISO 4217 choice
    page = add_page(sales_client, "Orders", "Add order")
    currencies = choices(page, "currency")
    assert currencies["USD"] == "USD · US Dollar" and currencies["JPY"] == "JPY · Yen"
    assert "XXX" not in currencies  # no "no currency" code: only real money
    # and a currency typed in lower case is that currency
    form = {**page_form(page, "order_form"), "customer": customer.pk, "currency": "usd",
            **management("lines", total=1), "lines-0-product": product.pk, "lines-0-quantity": "1"}
    response = sales_client.post(page.wsgi_request.path, form, follow=True)
    assert response.status_code == 200, form_errors(response)
    assert Order.objects.get(customer=customer).currency == "USD"


def test_a_product_currency_is_chosen_from_iso_4217(login: Any) -> None:
    client = login("warehouse")
    page = add_page(client, "Products", "Add product")
    assert choices(page, "currency")["EUR"] == "EUR · Euro"
    form = {**page_form(page, "product_form"), "sku": "GB-TEA", "name": "Tea", "price": "4.50", "currency": "gbp",
            "is_active": "on"}
    for prefix in ("variants", "movements"):
        form.update({key: value for key, value in management(prefix).items() if key not in form})
    response = client.post(page.wsgi_request.path, form, follow=True)
    assert response.status_code == 200, form_errors(response)
    assert Product.objects.get(sku="GB-TEA").currency == "GBP"
