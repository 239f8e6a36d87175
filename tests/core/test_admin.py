"""Staff see customers, products and API tokens in the admin, and manage tokens there."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from synthesq.core.models import ApiToken, token_digest
from tests.factories import ApiTokenFactory, CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(superuser=True))
    return client


def test_changelists_show_customers_products_and_tokens(staff_client: Client) -> None:
    customer, product = CustomerFactory(name="Acme Retail"), ProductFactory(sku="DESK-1", stock=4)
    ApiTokenFactory(name="shop integration")
    for url, text in [
        ("/admin/sales/customer/", "Acme Retail"),
        ("/admin/inventory/product/", "DESK-1"),
        ("/admin/core/apitoken/", "shop integration"),
        (f"/admin/sales/customer/{customer.pk}/change/", "Acme Retail"),
        (f"/admin/inventory/product/{product.pk}/change/", "initial stock"),
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_creating_a_token_in_the_admin_shows_it_once_and_stores_a_digest(staff_client: Client) -> None:
    user = UserFactory(username="integration")
    response = staff_client.post(
        "/admin/core/apitoken/add/", {"user": user.pk, "name": "fulfilment"}, follow=True
    )
    assert response.status_code == 200
    plain = re.search(r"sqs_[A-Za-z0-9_\-]{20,}", response.content.decode()).group(0)
    token = ApiToken.objects.get(user=user)
    assert token.digest == token_digest(plain)
    assert token.name == "fulfilment"
    # the change page never shows it again
    assert plain not in staff_client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()


def test_revoke_action_revokes_selected_tokens(staff_client: Client) -> None:
    keep, revoke = ApiTokenFactory(), ApiTokenFactory()
    response = staff_client.post(
        "/admin/core/apitoken/", {"action": "revoke", "_selected_action": [revoke.pk]}, follow=True
    )
    assert response.status_code == 200
    revoke.refresh_from_db()
    keep.refresh_from_db()
    assert revoke.revoked_at is not None
    assert keep.revoked_at is None


def test_stock_is_read_only_in_the_product_admin(staff_client: Client) -> None:
    product = ProductFactory(stock=4)
    staff_client.post(f"/admin/inventory/product/{product.pk}/change/", {
        "sku": product.sku, "name": "Renamed", "description": "", "price": "129.99", "currency": "USD",
        "is_active": "on", "stock_quantity": "999",
        "movements-TOTAL_FORMS": "0", "movements-INITIAL_FORMS": "1",
        "movements-MIN_NUM_FORMS": "0", "movements-MAX_NUM_FORMS": "1000",
        "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0", "variants-MAX_NUM_FORMS": "1000",
        "warehouse_stocks-TOTAL_FORMS": "0", "warehouse_stocks-INITIAL_FORMS": "1",
        "warehouse_stocks-MIN_NUM_FORMS": "0", "warehouse_stocks-MAX_NUM_FORMS": "1000",
    })
    product.refresh_from_db()
    assert product.name == "Renamed"
    assert product.stock_quantity == 4


def _product_form(**overrides: str) -> dict[str, str]:
    data = {
        "sku": "NEW-1", "name": "New", "description": "", "price": "10.00", "currency": "USD", "is_active": "on",
        "movements-TOTAL_FORMS": "0", "movements-INITIAL_FORMS": "0",
        "movements-MIN_NUM_FORMS": "0", "movements-MAX_NUM_FORMS": "1000",
        "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0", "variants-MAX_NUM_FORMS": "1000",
        "warehouse_stocks-TOTAL_FORMS": "0", "warehouse_stocks-INITIAL_FORMS": "0",
        "warehouse_stocks-MIN_NUM_FORMS": "0", "warehouse_stocks-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price": "10.005"}, "at most 2 decimal places"),
        ({"currency": "XYZ"}, "not an ISO 4217 currency code"),
    ],
)
def test_product_admin_refuses_bad_money_with_a_form_error(
    staff_client: Client, overrides: dict[str, str], message: str
) -> None:
    from inventory.models import Product

    response = staff_client.post("/admin/inventory/product/add/", _product_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.filter(sku="NEW-1").exists()


def test_product_admin_refuses_a_parent_holding_stock(staff_client: Client) -> None:
    from inventory.models import Product

    parent = ProductFactory(stock=3)
    response = staff_client.post("/admin/inventory/product/add/", _product_form(parent=parent.pk))
    assert response.status_code == 200
    assert "holds stock" in response.content.decode()
    assert not Product.objects.filter(sku="NEW-1").exists()


def test_product_admin_creates_through_the_service(staff_client: Client) -> None:
    from inventory.models import Product

    response = staff_client.post("/admin/inventory/product/add/", _product_form())
    assert response.status_code == 302
    product = Product.objects.get(sku="NEW-1")
    assert product.id.startswith("prod_")
    assert product.stock_quantity == 0
