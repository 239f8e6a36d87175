"""Hostile input at the edges of the API never reaches the database, never gets a 500 and never an HTML page:
control characters, deep JSON, large bodies, Django's own errors. Each test asserts the status, the problem body
and that nothing was written."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models
from django.test import Client, override_settings
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient, APIRequestFactory

from billing.models import Invoice, InvoiceEvent, Payment
from inventory.models import Product, StockMovement
from sales.models import Customer, Order, OrderEvent, OrderLine
from synthesq.core.middleware import ApiEdgeMiddleware
from synthesq.core.models import IdempotencyKey
from synthesq.core.parsers import MAX_JSON_DEPTH
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, PaymentFactory, ProductFactory
from tests.helpers import PROBLEM, assert_problem, rows_of

pytestmark = pytest.mark.django_db

WRITTEN: list[type[models.Model]] = [Customer, Order, OrderLine, OrderEvent, Product, StockMovement, Invoice,
                                     InvoiceEvent, Payment, IdempotencyKey]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row a request could write, to show a refused request wrote nothing."""
    return rows_of(*WRITTEN)


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    """A row behind every id-taking route, so a request that got past the edge would find something to change."""
    invoice = InvoiceFactory(status="issued")
    payment = PaymentFactory(invoice=invoice, amount=invoice.total / 2)
    yield {"customer": CustomerFactory(), "order": OrderFactory(), "invoice": invoice, "payment": payment,
           "product": ProductFactory(stock=5)}


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the schema: new endpoints are covered as they come."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


OPERATIONS = _operations()
ID_OPERATIONS = [(method, path) for method, path in OPERATIONS if "{id}" in path]
LIST_OPERATIONS = [(method, path) for method, path in OPERATIONS if method == "GET" and "{" not in path]


def test_every_operation_with_an_id_is_covered() -> None:
    # the parametrized tests below see every route with an id, writes included
    assert len(ID_OPERATIONS) >= 15
    assert {method for method, _path in ID_OPERATIONS} >= {"GET", "PATCH", "PUT", "POST", "DELETE"}


@pytest.mark.parametrize("bad_id", ["ord_%00", "%00", "prod_01%00X", "cust_%1F", "inv_%7F", "x%C2%85"])
@pytest.mark.parametrize(("method", "path"), ID_OPERATIONS, ids=[f"{m} {p}" for m, p in ID_OPERATIONS])
def test_control_character_in_an_id_is_404_and_writes_nothing(
    admin_api: APIClient, world: dict[str, Any], method: str, path: str, bad_id: str
) -> None:
    # given rows behind every route
    before = snapshot()
    # when an id holding a NUL (or another control character) is sent, with a valid-looking body
    response = admin_api.generic(method, path.replace("{id}", bad_id), json.dumps({"status": "cancelled"}),
                                 content_type="application/json")
    # then 404 problem details, and nothing was written
    body = assert_problem(response, 404, "not_found")
    assert body["instance"]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), LIST_OPERATIONS, ids=[f"{m} {p}" for m, p in LIST_OPERATIONS])
@pytest.mark.parametrize("query", ["search=a%00b", "customer_id=%00", "sort=%01name", "x%00=1"])
def test_control_character_in_a_query_is_400_naming_the_parameter(
    admin_api: APIClient, method: str, path: str, query: str
) -> None:
    response = admin_api.get(f"{path}?{query}")
    body = assert_problem(response, 400, "validation_error")
    name = query.split("=")[0]
    assert body["errors"][0]["field"] == (None if "%" in name else name)


def test_control_character_in_a_header_is_400_naming_it_and_creates_nothing(admin_api: APIClient) -> None:
    customer, product = CustomerFactory(), ProductFactory(stock=5)
    before = snapshot()
    response = admin_api.post("/api/v1/sales/orders", {"customer_id": customer.pk, "currency": "USD",
                                                       "line_items": [{"product_id": product.pk, "quantity": 1}]},
                              format="json", HTTP_IDEMPOTENCY_KEY="key\x00one")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Ac\u0000me", "email": "a@example.com"}, "name"),
        ({"name": "Acme", "email": "a@example.com", "phone": "\u001b[31m"}, "phone"),
        ({"name": "Acme", "email": "a@example.com", "default_shipping_address": {
            "line1": "1 Main\u0085St", "city": "Austin", "country": "US"}}, "default_shipping_address.line1"),
        ({"name": "Acme", "email": "a@example.com", "na\u0000me": "x"}, "body"),
    ],
)
def test_control_character_in_a_json_string_is_400_naming_the_field_and_creates_nothing(
    admin_api: APIClient, payload: dict[str, Any], field: str
) -> None:
    response = admin_api.post("/api/v1/sales/customers", payload, format="json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == field
    assert not Customer.objects.exists()


def test_line_breaks_and_tabs_in_free_text_are_kept(admin_api: APIClient) -> None:
    response = admin_api.post("/api/v1/inventory/products", {
        "sku": "DESK-1", "name": "Desk", "price": "10.00", "currency": "USD",
        "description": "Oak top\r\n\tsteel legs"}, format="json")
    assert response.status_code == 201, response.content
    assert Product.objects.get().description == "Oak top\r\n\tsteel legs"


def test_nul_in_a_body_id_is_400_not_a_database_error(admin_api: APIClient) -> None:
    customer = CustomerFactory()
    response = admin_api.post("/api/v1/sales/orders", {"customer_id": f"{customer.pk}\u0000", "currency": "USD",
                                                       "line_items": [{"product_id": "prod_\u0000", "quantity": 1}]},
                              format="json")
    assert_problem(response, 400, "validation_error")
    assert not Order.objects.exists()


def _nested(depth: int) -> str:
    return '{"name": ' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + ', "email": "a@example.com"}'


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_json_deeper_than_the_limit_is_400_malformed_request(admin_api: APIClient, depth: int) -> None:
    response = admin_api.post("/api/v1/sales/customers", _nested(depth), content_type="application/json")
    body = assert_problem(response, 400, "malformed_request")
    assert str(MAX_JSON_DEPTH) in body["detail"]
    assert not Customer.objects.exists()


def test_json_at_the_depth_limit_is_parsed(admin_api: APIClient) -> None:
    # 64 levels parse; the nested list is then simply not a string
    response = admin_api.post("/api/v1/sales/customers", _nested(MAX_JSON_DEPTH), content_type="application/json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "name"


@override_settings(API_MAX_BODY_BYTES=1000)
def test_body_larger_than_the_limit_is_413_from_content_length(admin_api: APIClient) -> None:
    payload = json.dumps({"name": "A" * 2000, "email": "a@example.com"})
    response = admin_api.post("/api/v1/sales/customers", payload, content_type="application/json")
    body = assert_problem(response, 413, "payload_too_large")
    assert body["max_bytes"] == 1000
    assert response["Cache-Control"] == "no-store"
    assert not Customer.objects.exists()


@override_settings(API_MAX_BODY_BYTES=1000)
def test_body_larger_than_the_limit_is_413_while_reading_whatever_content_length_says(client_for: Any) -> None:
    # given a request whose stream holds more than the limit, though Content-Length claims little
    # (a server that does not cap the stream at Content-Length), authenticated as a superuser
    api = client_for(superuser=True)
    token = api._credentials["HTTP_AUTHORIZATION"]
    request = APIRequestFactory().post("/api/v1/sales/customers", "{}", content_type="application/json",
                                       HTTP_AUTHORIZATION=token)
    request._stream = io.BytesIO(json.dumps({"name": "A" * 5000, "email": "a@example.com"}).encode())
    view = resolve("/api/v1/sales/customers").func
    # when it passes the edge and the view reads it
    response = ApiEdgeMiddleware(lambda req: view(req).render())(request)
    # then 413 before anything was parsed or written
    assert (response.status_code, response["Content-Type"]) == (413, PROBLEM)
    body = json.loads(response.content)
    assert (body["code"], body["max_bytes"]) == ("payload_too_large", 1000)
    assert not Customer.objects.exists()


def test_unknown_api_url_is_problem_json_even_with_debug(admin_api: APIClient, settings: Any) -> None:
    settings.DEBUG = True
    assert_problem(admin_api.get("/api/v1/nowhere"), 404, "not_found")


@override_settings(ALLOWED_HOSTS=["sales.example.com"])
def test_bad_host_is_400_problem_under_api_and_django_page_elsewhere(admin_api: APIClient) -> None:
    response = admin_api.get("/api/v1/sales/customers", HTTP_HOST="evil.example")
    body = assert_problem(response, 400, "malformed_request")
    assert "Host" in body["detail"]
    assert Client().get("/admin/", HTTP_HOST="evil.example")["Content-Type"].startswith("text/html")


@override_settings(ALLOWED_HOSTS=["sales.example.com"], DEBUG=True)
def test_bad_host_is_problem_json_with_debug_too(admin_api: APIClient) -> None:
    assert_problem(admin_api.get("/api/v1/sales/customers", HTTP_HOST="evil.example"), 400, "malformed_request")


@override_settings(ROOT_URLCONF="tests.core.edge_urls")
def test_csrf_failure_under_api_is_403_problem_and_writes_nothing() -> None:
    # a view under /api/ that relies on Django's CSRF protection, posted to without the token
    before = snapshot()
    response = Client(enforce_csrf_checks=True).post("/api/v1/csrf-protected", {"name": "x"})
    body = assert_problem(response, 403, "permission_denied")
    assert "CSRF" in body["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("debug", [False, True])
@override_settings(ROOT_URLCONF="tests.core.edge_urls")
def test_unhandled_error_under_api_is_500_problem_never_a_page(settings: Any, debug: bool) -> None:
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).get("/api/v1/boom")
    body = assert_problem(response, 500, "server_error")
    assert "Traceback" not in json.dumps(body)


def test_authenticated_api_responses_are_no_store(admin_api: APIClient) -> None:
    customer = CustomerFactory()
    responses = [
        admin_api.get("/api/v1/sales/customers"),
        admin_api.get(f"/api/v1/sales/customers/{customer.pk}"),
        admin_api.post("/api/v1/sales/customers", {"name": "A", "email": "a@example.com"}, format="json"),
        admin_api.post("/api/v1/sales/customers", {"name": ""}, format="json"),
        admin_api.get("/api/v1/sales/customers/cust_unknown"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 201, 400, 404]
    assert {r["Cache-Control"] for r in responses} == {"no-store"}
    assert responses[-1]["Content-Type"] == PROBLEM
