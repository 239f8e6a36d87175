"""Input is strict: unknown body fields, bad filter values and bad page sizes are 400s, never ignored."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from inventory.models import Product
from sales.models import Customer, Order
from tests.factories import CustomerFactory, OrderFactory, ProductFactory

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


# --- types are enforced as the schema declares them --------------------------------------------------


def test_empty_unit_price_is_400_not_the_catalogue_price(admin_api: APIClient) -> None:
    # given a product priced 129.99 in the catalogue
    customer, product = CustomerFactory(), ProductFactory(stock=5)
    # when a draft names an empty unit_price
    response = admin_api.post("/api/v1/sales/orders", {
        "customer_id": customer.pk, "currency": "USD",
        "line_items": [{"product_id": product.pk, "quantity": 1, "unit_price": ""}]}, format="json")
    # then it is refused, naming the field, and no order exists
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "line_items[0].unit_price"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/sales/customers", {"name": "A", "email": "a@example.com", "phone": 5550100}, "phone"),
        ("/api/v1/sales/customers", {"name": 42, "email": "a@example.com"}, "name"),
        ("/api/v1/inventory/products", {"sku": "S1", "name": "n", "price": "1.00", "currency": "USD",
                                        "stock_quantity": "5"}, "stock_quantity"),
        ("/api/v1/inventory/products", {"sku": "S1", "name": "n", "price": "1.00", "currency": "USD",
                                        "active": "true"}, "active"),
        ("/api/v1/inventory/products", {"sku": "S1", "name": "n", "price": "1e2", "currency": "USD"}, "price"),
        ("/api/v1/inventory/products", {"sku": "S1", "name": "n", "price": True, "currency": "USD"}, "price"),
        ("/api/v1/inventory/products", {"sku": " S1", "name": "n", "price": "1.00", "currency": "USD"}, "sku"),
        ("/api/v1/inventory/products", {"sku": "S1", "name": "n", "price": "1.00", "currency": "usd"}, "currency"),
        ("/api/v1/inventory/products", {"sku": "S1", "name": "n", "price": "1.00", "currency": "USD",
                                        "parent_id": ""}, "parent_id"),
        ("/api/v1/sales/customers", {"name": "A", "email": " a@example.com"}, "email"),
        ("/api/v1/sales/customers", {"name": " " * 3, "email": "a@example.com"}, "name"),
        ("/api/v1/sales/customers", {"name": "A" + " " * 200, "email": "a@example.com"}, "name"),
    ],
)
def test_values_of_another_type_than_declared_are_400(admin_api: APIClient, url: str, body: dict,
                                                      field: str) -> None:
    response = admin_api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Customer.objects.exists() and not Product.objects.exists()


def test_number_reason_and_string_boolean_on_a_status_change_are_400(admin_api: APIClient) -> None:
    order = OrderFactory(status="delivered")
    for body, field in (({"status": "cancelled", "reason": 7}, "reason"),
                        ({"status": "closed", "waive_return_window": "true"}, "waive_return_window")):
        response = admin_api.patch(f"/api/v1/sales/orders/{order.pk}/status", body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["field"] == field
    order.refresh_from_db()
    assert order.status == "delivered"


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/inventory/products", {"stock_lte": "0.5"}, "stock_lte"),
        ("/api/v1/inventory/products", {"stock_lte": "-1"}, "stock_lte"),
        ("/api/v1/inventory/products", {"currency": "XYZ"}, "currency"),
        ("/api/v1/inventory/products", {"active": ""}, "active"),
        ("/api/v1/sales/orders", {"on_hold": "2"}, "on_hold"),
        ("/api/v1/sales/orders", {"status": "draft,"}, "status"),
        ("/api/v1/sales/orders", {"created_at_after": ""}, "created_at"),
        ("/api/v1/sales/invoices", {"overdue": "yes"}, "overdue"),
        ("/api/v1/sales/payments", {"payment_method": "barter"}, "payment_method"),
        ("/api/v1/sales/customers", {"limit": "201"}, "limit"),
        ("/api/v1/sales/customers", {"limit": ""}, "limit"),
        ("/api/v1/sales/customers", {"sort": "name,"}, "sort"),
    ],
)
def test_off_list_filter_values_are_400_naming_the_parameter(admin_api: APIClient, url: str, query: dict,
                                                            field: str) -> None:
    response = admin_api.get(url, query)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field


def test_whole_number_stock_filter_still_filters(admin_api: APIClient) -> None:
    low, _high = ProductFactory(stock=2), ProductFactory(stock=50)
    assert [p["id"] for p in admin_api.get("/api/v1/inventory/products", {"stock_lte": "2"}).json()["results"]] \
        == [low.pk]
