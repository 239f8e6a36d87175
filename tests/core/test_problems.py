"""The one error format: RFC 9457 problem details with a stable code, for every kind of failure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from inventory.models import Product
from synthesq.core.errors import BusinessRuleViolation, Conflict
from synthesq.core.problems import flatten_errors, problem_exception_handler
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:synthesq:problem:{code}"
    return body


def test_malformed_json_is_400_malformed_request(admin_api: APIClient) -> None:
    response = admin_api.post(
        "/api/v1/inventory/products", data='{"sku": ', content_type="application/json"
    )
    assert_problem(response, 400, "malformed_request")
    assert Product.objects.count() == 0


@pytest.mark.parametrize("body", ["NaN", '{"price": NaN}', '{"price": Infinity}'])
def test_non_json_constants_are_refused(admin_api: APIClient, body: str) -> None:
    response = admin_api.post("/api/v1/inventory/products", data=body, content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_validation_error_lists_every_field(admin_api: APIClient) -> None:
    response = admin_api.post("/api/v1/inventory/products", {"price": "abc", "currency": "XYZ"}, format="json")
    body = assert_problem(response, 400, "validation_error")
    fields = {error["field"] for error in body["errors"]}
    assert {"sku", "name", "price", "currency"} <= fields
    assert all({"field", "message", "code"} <= set(error) for error in body["errors"])
    assert body["detail"]


def test_form_encoded_body_is_415(admin_api: APIClient) -> None:
    response = admin_api.post("/api/v1/sales/customers", "name=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported_media_type")


def test_unknown_method_is_405(admin_api: APIClient) -> None:
    assert_problem(admin_api.delete("/api/v1/sales/customers"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/inventory/products/prod_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
        "/api/v1/inventory/products/not-an-id",
        "/api/v1/inventory/products/cust_01JM5XQVZ3K7",
        "/api/v1/inventory/products/a.b",
        "/api/v1/no-such-thing",
        "/api/v2/sales/customers",
    ],
)
def test_unknown_resources_and_urls_are_404_problems(admin_api: APIClient, url: str) -> None:
    assert_problem(admin_api.get(url), 404, "not_found")


def test_unknown_api_url_is_404_problem_even_for_writes_without_csrf(admin_api: APIClient) -> None:
    assert_problem(admin_api.put("/api/v1/inventory/products/a.b", {}, format="json"), 404, "not_found")


def test_bad_cursor_is_400_naming_the_cursor(admin_api: APIClient) -> None:
    body = assert_problem(admin_api.get("/api/v1/sales/customers?cursor=garbage"), 400, "validation_error")
    assert body["errors"][0]["field"] == "cursor"


def test_domain_errors_carry_their_data() -> None:
    # given a domain error with data, when the handler maps it, then the body has status, code and data
    response = problem_exception_handler(
        BusinessRuleViolation("too much", code="overpayment", amount_due=Decimal("1.00")), {}
    )
    assert response.status_code == 422
    assert response.data["code"] == "overpayment"
    assert response.data["amount_due"] == Decimal("1.00")
    assert problem_exception_handler(Conflict("busy"), {}).status_code == 409


def test_refused_write_rolls_back_everything(admin_api: APIClient) -> None:
    # given a product with variants (its stock cannot be adjusted)
    parent = ProductFactory()
    ProductFactory(parent=parent)
    # when an adjustment is refused
    response = admin_api.post(
        f"/api/v1/inventory/products/{parent.pk}/adjustments", {"quantity_delta": 5, "reason": "x"}, format="json"
    )
    # then 422 and nothing changed
    assert_problem(response, 422, "product_has_variants")
    parent.refresh_from_db()
    assert parent.stock_quantity == 0
    assert not parent.movements.exists()


def test_flatten_errors_names_nested_fields() -> None:
    detail = {
        "line_items": [{}, {"quantity": ["Must be positive."]}],
        "shipping_address": {"country": ["Bad."]},
        "non_field_errors": ["Empty order."],
    }
    fields = [e["field"] for e in flatten_errors(detail)]
    assert fields == ["line_items[1].quantity", "shipping_address.country", None]


def test_crafted_cursor_with_a_bad_position_is_400_not_500(admin_api: APIClient) -> None:
    # a client-made cursor whose position is not a valid value for the sort field
    import base64

    cursor = base64.b64encode(b"p=not-a-date").decode()
    response = admin_api.get("/api/v1/sales/customers", {"sort": "-created_at", "cursor": cursor})
    assert_problem(response, 400, "validation_error")


def test_django_validation_errors_map_to_400() -> None:
    from django.core.exceptions import ValidationError as DjangoValidationError

    response = problem_exception_handler(DjangoValidationError({"created_at": ["bad date"]}), {})
    assert response.status_code == 400
    assert response.data["errors"] == [{"field": "created_at", "message": "bad date", "code": "invalid"}]
