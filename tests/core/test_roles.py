"""Roles are groups made by a data migration; each API action needs its permission; superusers pass all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from inventory.models import Product
from sales.models import Customer
from synthesq.core.roles import ROLE_PERMISSIONS
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import rows_of

pytestmark = pytest.mark.django_db


def test_migration_created_every_role_with_exactly_its_permissions() -> None:
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(expected), role


ADJUST = {"quantity_delta": 1, "reason": "r"}
# (role, method, url template, body, allowed)
CUSTOMER = {"name": "N", "email": "n@example.com"}
PRODUCT = {"sku": "NEW-1", "name": "N", "price": "1.00", "currency": "USD"}
MATRIX = [
    ("sales", "get", "/api/v1/sales/customers", None, True),
    ("sales", "post", "/api/v1/sales/customers", CUSTOMER, True),
    ("sales", "patch", "/api/v1/sales/customers/{customer}", {"name": "X"}, True),
    ("sales", "get", "/api/v1/inventory/products", None, True),
    ("sales", "post", "/api/v1/inventory/products", PRODUCT, False),
    ("sales", "post", "/api/v1/inventory/products/{product}/adjustments", ADJUST, False),
    ("sales", "get", "/api/v1/inventory/products/{product}/movements", None, False),
    ("warehouse", "get", "/api/v1/sales/customers", None, True),
    ("warehouse", "post", "/api/v1/sales/customers", CUSTOMER, False),
    ("warehouse", "patch", "/api/v1/sales/customers/{customer}", {"name": "X"}, False),
    ("warehouse", "post", "/api/v1/inventory/products", PRODUCT, True),
    ("warehouse", "patch", "/api/v1/inventory/products/{product}", {"name": "X"}, True),
    ("warehouse", "post", "/api/v1/inventory/products/{product}/adjustments", ADJUST, True),
    ("warehouse", "get", "/api/v1/inventory/products/{product}/movements", None, True),
    ("finance", "get", "/api/v1/sales/customers", None, True),
    ("finance", "post", "/api/v1/sales/customers", CUSTOMER, False),
    ("finance", "get", "/api/v1/inventory/products", None, True),
    ("finance", "patch", "/api/v1/inventory/products/{product}", {"name": "X"}, False),
    ("finance", "post", "/api/v1/inventory/products/{product}/adjustments", ADJUST, False),
]


def _snapshot() -> dict:
    return rows_of(Customer, Product)


@pytest.mark.parametrize(("role", "method", "url", "body", "allowed"), MATRIX)
def test_role_matrix(client_for: Callable[..., APIClient], role: str, method: str, url: str,
                     body: dict | None, allowed: bool) -> None:
    # given a customer and a product, and a client with one role
    customer, product = CustomerFactory(), ProductFactory(stock=3)
    client = client_for(role)
    before = _snapshot()
    # when it calls the endpoint
    response = getattr(client, method)(url.format(customer=customer.pk, product=product.pk), body, format="json")
    # then it is allowed, or refused with 403 permission_denied and nothing changed
    if allowed:
        assert response.status_code == (201 if method == "post" else 200), response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
        assert _snapshot() == before


def test_user_without_role_is_refused_everything(client_for: Callable[..., APIClient]) -> None:
    client = client_for()
    assert client.get("/api/v1/sales/customers").status_code == 403
    assert client.get("/api/v1/inventory/products").status_code == 403


def test_superuser_may_do_everything(client_for: Callable[..., APIClient]) -> None:
    product = ProductFactory(stock=1)
    client = client_for(superuser=True)
    assert client.post("/api/v1/sales/customers", CUSTOMER, format="json").status_code == 201
    response = client.post(f"/api/v1/inventory/products/{product.pk}/adjustments",
                           {"quantity_delta": 2, "reason": "receipt"}, format="json")
    assert response.status_code == 201


def test_permission_is_checked_before_the_resource_is_looked_up(client_for: Callable[..., APIClient]) -> None:
    # a role without access learns nothing about which ids exist
    response = client_for("sales").get("/api/v1/inventory/products/prod_unknown/movements")
    assert response.status_code == 403
