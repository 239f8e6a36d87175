"""Promotion codes and price lists in the back-office: finance reaches them from the sidebar and saves them
through the services; sales reads them. Given / when / then."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from sales.pricing_models import PriceList, PromotionCode
from tests.admin.helpers import form_errors, page_form
from tests.admin.navigation import click, link
from tests.factories import CustomerFactory, PriceListFactory, ProductFactory, PromotionCodeFactory

pytestmark = pytest.mark.django_db


def test_finance_adds_a_promotion_code_from_the_sidebar(finance_client: Client) -> None:
    # given a product; finance opens the codes from the sidebar
    product = ProductFactory()
    codes = click(finance_client, finance_client.get("/admin/"), "Promotion codes")
    # when a code limited to the product is added
    response = finance_client.post(link(codes, "Add promotion code"), {
        "code": "SPRING", "description": "", "discount_type": "percent", "discount_value": "12.5", "currency": "",
        "min_subtotal": "{}", "products": [product.pk], "usage_limit": "100", "usage_limit_per_customer": "",
        "active": "on",
    })
    # then it is saved by the service, with its product
    assert response.status_code == 302, response.content.decode()[:2000]
    code = PromotionCode.objects.get()
    assert (code.code, code.discount_value, code.usage_limit) == ("SPRING", Decimal("12.5"), 100)
    assert list(code.products.values_list("pk", flat=True)) == [product.pk]


def test_finance_changes_a_price_list_and_its_entries(finance_client: Client) -> None:
    # given a price list with one entry
    product = ProductFactory()
    price_list = PriceListFactory(name="Acme", entries=[(product, 1, "9.00")])
    page = click(finance_client, click(finance_client, finance_client.get("/admin/"), "Price lists"), "Acme")
    # when a quantity break is added
    response = finance_client.post(page.request["PATH_INFO"], {
        "name": "Acme", "currency": "USD", "valid_from": "", "valid_to": "", "active": "on",
        "entries-TOTAL_FORMS": "2", "entries-INITIAL_FORMS": "1", "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
        "entries-0-id": str(price_list.entries.get().pk), "entries-0-price_list": price_list.pk,
        "entries-0-product": product.pk, "entries-0-min_quantity": "1", "entries-0-unit_price": "9.00",
        "entries-1-price_list": price_list.pk, "entries-1-product": product.pk, "entries-1-min_quantity": "100",
        "entries-1-unit_price": "8.00",
    })
    # then the list has both breaks
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(PriceList.objects.get().entries.values_list("min_quantity", "unit_price")) == [
        (1, Decimal("9.0000")), (100, Decimal("8.0000"))]


def test_sales_reads_codes_but_may_not_add_them(sales_client: Client) -> None:
    PromotionCodeFactory(code="READONLY")
    codes = click(sales_client, sales_client.get("/admin/"), "Promotion codes")
    assert "READONLY" in codes.content.decode()
    assert sales_client.get("/admin/sales/promotioncode/add/").status_code == 403


def test_finance_gives_a_customer_a_price_list_in_the_admin(login: Any) -> None:
    # given a customer and a price list; a user of sales and finance (sales changes customers)
    client = login("sales", "finance")
    price_list = PriceListFactory(name="Key accounts")
    customer = CustomerFactory(name="Acme Retail", email="ap@acme.example")
    page = click(client, click(client, client.get("/admin/"), "Customers"), "Acme Retail")
    # when the list is chosen on the customer's page
    response = client.post(page.request["PATH_INFO"], {**page_form(page, "customer_form"),
                                                      "price_list": price_list.pk})
    # then the service gave it
    assert response.status_code == 302, form_errors(response)
    customer.refresh_from_db()
    assert customer.price_list_id == price_list.pk


def test_sales_alone_sees_the_price_list_but_may_not_change_it(sales_client: Client) -> None:
    customer = CustomerFactory(name="Acme Retail", price_list=PriceListFactory(name="Key accounts"))
    page = click(sales_client, click(sales_client, sales_client.get("/admin/"), "Customers"), "Acme Retail")
    assert 'name="price_list"' not in page.content.decode()
    assert customer.price_list is not None
