"""Optimistic concurrency on every conditional change: drafts, customers, products, order and invoice status.
A stale If-Match is 412 with the current tag and changes nothing; the current tag (or *) changes; no If-Match
changes as before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceEvent
from integrations import services as integrations
from integrations.models import WebhookEndpoint
from inventory.models import Product, StockMovement
from sales.models import Customer, Order, OrderEvent, OrderLine
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory
from tests.helpers import assert_problem, rows_of

pytestmark = pytest.mark.django_db


def state() -> dict[str, list[dict[str, Any]]]:
    return rows_of(Customer, Product, StockMovement, Order, OrderLine, OrderEvent, Invoice, InvoiceEvent,
                   WebhookEndpoint)


@dataclass
class Case:
    """A resource, a change that another client makes first, and the conditional change under test."""

    read_url: Callable[[Any], str]
    make: Callable[[], Any]
    other_change: Callable[[APIClient, Any], Any]
    method: str
    url: Callable[[Any], str]
    body: Callable[[Any], dict[str, Any]]
    other_status: int = 200  # what the other client's change answers


def webhook_endpoint() -> WebhookEndpoint:
    endpoint, _secret = integrations.webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["order.*"],
                                                             actor=None)
    return endpoint


PRODUCT_BODY = {"sku": "DESK-9", "name": "Desk", "price": "99.00", "currency": "USD"}
CASES = {
    "customer PATCH": Case(
        lambda c: f"/api/v1/sales/customers/{c.pk}", CustomerFactory,
        lambda api, c: api.patch(f"/api/v1/sales/customers/{c.pk}", {"phone": "555"}, format="json"),
        "patch", lambda c: f"/api/v1/sales/customers/{c.pk}", lambda c: {"name": "Renamed"}),
    "customer PUT": Case(
        lambda c: f"/api/v1/sales/customers/{c.pk}", CustomerFactory,
        lambda api, c: api.patch(f"/api/v1/sales/customers/{c.pk}", {"phone": "555"}, format="json"),
        "put", lambda c: f"/api/v1/sales/customers/{c.pk}", lambda c: {"name": "New", "email": "n@example.com"}),
    "product PATCH": Case(
        lambda p: f"/api/v1/inventory/products/{p.pk}", lambda: ProductFactory(stock=5),
        # a stock adjustment changes what a reader sees (stock_quantity), so the tag changes
        lambda api, p: api.post(f"/api/v1/inventory/products/{p.pk}/adjustments",
                                {"quantity_delta": 2, "reason": "count"}, format="json"),
        "patch", lambda p: f"/api/v1/inventory/products/{p.pk}", lambda p: {"price": "1.00"}, other_status=201),
    "product PUT": Case(
        lambda p: f"/api/v1/inventory/products/{p.pk}", ProductFactory,
        lambda api, p: api.patch(f"/api/v1/inventory/products/{p.pk}", {"name": "Other"}, format="json"),
        "put", lambda p: f"/api/v1/inventory/products/{p.pk}", lambda p: PRODUCT_BODY),
    "draft PATCH": Case(
        lambda o: f"/api/v1/sales/orders/{o.pk}", OrderFactory,
        lambda api, o: api.post(f"/api/v1/sales/orders/{o.pk}/hold", {"reason": "dispute"}, format="json"),
        "patch", lambda o: f"/api/v1/sales/orders/{o.pk}",
        lambda o: {"shipping_address": {"line1": "1 Main St", "city": "Boston", "country": "US"}}),
    "order status": Case(
        lambda o: f"/api/v1/sales/orders/{o.pk}", OrderFactory,
        lambda api, o: api.patch(f"/api/v1/sales/orders/{o.pk}", {"line_items": [
            {"product_id": ProductFactory(stock=5).pk, "quantity": 1}]}, format="json"),
        "patch", lambda o: f"/api/v1/sales/orders/{o.pk}/status", lambda o: {"status": "confirmed"}),
    "invoice status": Case(
        lambda i: f"/api/v1/sales/invoices/{i.pk}", InvoiceFactory,
        lambda api, i: api.post(f"/api/v1/sales/orders/{i.order_id}/hold", {"reason": "dispute"}, format="json")
        and api.patch(f"/api/v1/sales/invoices/{i.pk}/status", {"status": "issued"}, format="json"),
        "patch", lambda i: f"/api/v1/sales/invoices/{i.pk}/status", lambda i: {"status": "void", "reason": "x"}),
    "webhook endpoint PATCH": Case(
        lambda e: f"/api/v1/webhook-endpoints/{e.pk}", webhook_endpoint,
        lambda api, e: api.patch(f"/api/v1/webhook-endpoints/{e.pk}", {"description": "ops"}, format="json"),
        "patch", lambda e: f"/api/v1/webhook-endpoints/{e.pk}", lambda e: {"events": ["invoice.*"]}),
}


@pytest.mark.parametrize("name", CASES)
def test_stale_if_match_is_412_with_the_current_tag_and_changes_nothing(admin_api: APIClient, name: str) -> None:
    case = CASES[name]
    # given a resource read with its ETag, then changed by someone else
    resource = case.make()
    read = admin_api.get(case.read_url(resource))
    stale = read["ETag"]
    assert case.other_change(admin_api, resource).status_code == case.other_status
    current = admin_api.get(case.read_url(resource))["ETag"]
    assert current != stale
    before = state()
    # when the change is sent with the stale tag
    response = getattr(admin_api, case.method)(case.url(resource), case.body(resource), format="json",
                                               HTTP_IF_MATCH=stale)
    # then 412 with the current tag, and nothing changed
    body = assert_problem(response, 412, "precondition_failed")
    assert body["current_etag"] == response["ETag"] == current
    assert state() == before


@pytest.mark.parametrize("name", CASES)
def test_current_if_match_changes_and_returns_the_new_tag(admin_api: APIClient, name: str) -> None:
    case = CASES[name]
    resource = case.make()
    tag = admin_api.get(case.read_url(resource))["ETag"]
    response = getattr(admin_api, case.method)(case.url(resource), case.body(resource), format="json",
                                               HTTP_IF_MATCH=f'"other", {tag}')
    assert response.status_code == 200, response.content
    assert response["ETag"] != tag
    assert response["ETag"] == admin_api.get(case.read_url(resource))["ETag"]


@pytest.mark.parametrize("name", CASES)
def test_without_if_match_the_change_is_made_as_before(admin_api: APIClient, name: str) -> None:
    case = CASES[name]
    resource = case.make()
    case.other_change(admin_api, resource)
    response = getattr(admin_api, case.method)(case.url(resource), case.body(resource), format="json")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("if_match", ["*"])
def test_star_matches_any_version(admin_api: APIClient, if_match: str) -> None:
    customer = CustomerFactory()
    response = admin_api.patch(f"/api/v1/sales/customers/{customer.pk}", {"name": "Any"}, format="json",
                               HTTP_IF_MATCH=if_match)
    assert response.status_code == 200


@pytest.mark.parametrize("if_match", ["W/{tag}", "garbage", '""', "{tag}x"])
def test_weak_or_malformed_tags_never_match(admin_api: APIClient, if_match: str) -> None:
    customer = CustomerFactory(name="Kept")
    tag = admin_api.get(f"/api/v1/sales/customers/{customer.pk}")["ETag"]
    response = admin_api.patch(f"/api/v1/sales/customers/{customer.pk}", {"name": "Changed"}, format="json",
                               HTTP_IF_MATCH=if_match.format(tag=tag))
    assert_problem(response, 412, "precondition_failed")
    customer.refresh_from_db()
    assert customer.name == "Kept"


def test_the_tag_is_the_same_for_the_same_representation(admin_api: APIClient) -> None:
    order = OrderFactory()
    first, second = (admin_api.get(f"/api/v1/sales/orders/{order.pk}") for _ in range(2))
    assert first["ETag"] == second["ETag"]
    assert first["ETag"].startswith('"') and first["ETag"].endswith('"')
    # lists carry no ETag: they are not a resource version
    assert not admin_api.get("/api/v1/sales/orders").has_header("ETag")
