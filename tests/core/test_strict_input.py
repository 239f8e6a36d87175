"""Input is strict: unknown body fields, bad filter values and bad page sizes are 400s, never ignored."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from inventory.models import Product
from sales.models import Customer
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/sales/customers", {"name": "A", "email": "a@example.com", "emial": "x"}, "emial"),
        ("/api/v1/sales/customers", {"name": "A", "email": "a@example.com", "id": "cust_mine"}, "id"),
        ("/api/v1/inventory/products",
         {"sku": "S1", "name": "n", "price": "1.00", "currency": "USD", "stock": 5}, "stock"),
    ],
)
def test_unknown_body_fields_are_400_and_nothing_is_created(
    admin_api: APIClient, url: str, body: dict, field: str
) -> None:
    response = admin_api.post(url, body, format="json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Customer.objects.exists() and not Product.objects.exists()


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5"])
def test_bad_limit_is_400(admin_api: APIClient, limit: str) -> None:
    response = admin_api.get("/api/v1/sales/customers", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("value", ["maybe", "1", "yes"])
def test_bad_boolean_filter_is_400(admin_api: APIClient, value: str) -> None:
    response = admin_api.get("/api/v1/inventory/products", {"active": value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "active"


def test_put_replaces_whole_customer_clearing_omitted_optional_fields(admin_api: APIClient) -> None:
    # given a customer with a phone and an address
    customer = CustomerFactory(phone="555-0100")
    # when it is replaced with only the required fields
    response = admin_api.put(f"/api/v1/sales/customers/{customer.pk}",
                             {"name": "New", "email": "new@example.com"}, format="json")
    # then the omitted optional fields are cleared, as a full replacement should
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.default_shipping_address) == ("New", "", None)


def test_put_replaces_whole_product_resetting_parent_and_description(admin_api: APIClient) -> None:
    parent = ProductFactory()
    variant = ProductFactory(parent=parent, description="old", is_active=False)
    response = admin_api.put(f"/api/v1/inventory/products/{variant.pk}",
                             {"sku": variant.sku, "name": "V", "price": "2.00", "currency": "USD"}, format="json")
    assert response.status_code == 200, response.content
    variant.refresh_from_db()
    assert (variant.parent_id, variant.description, variant.is_active) == (None, "", True)


def test_sku_is_unique_in_any_case(admin_api: APIClient) -> None:
    ProductFactory(sku="DESK-1")
    response = admin_api.post("/api/v1/inventory/products",
                              {"sku": "desk-1", "name": "n", "price": "1.00", "currency": "USD"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sku"
    assert Product.objects.count() == 1
