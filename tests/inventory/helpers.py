"""Assertions and snapshots shared by the inventory tests."""

from __future__ import annotations

from typing import Any

from inventory.models import Product, StockMovement

PROBLEM = "application/problem+json"
PRODUCTS_URL = "/api/v1/inventory/products"


def product_url(product_id: str, suffix: str = "") -> str:
    return f"{PRODUCTS_URL}/{product_id}{suffix}"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and code; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:synthesq:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


def error_fields(body: dict[str, Any]) -> list[str | None]:
    return [error["field"] for error in body["errors"]]


def snapshot() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every product and ledger row, to show a refused request changed nothing."""
    return (
        list(Product.objects.order_by("id").values()),
        list(StockMovement.objects.order_by("id").values()),
    )


def ledger_sum(product_id: str) -> int:
    return sum(StockMovement.objects.filter(product_id=product_id).values_list("quantity_delta", flat=True))


def follow_pages(api: Any, url: str) -> tuple[list[dict[str, Any]], int]:
    """Every result reached by following ``next`` from ``url``, and the number of pages read."""
    results: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        pages += 1
        url = body["next"]
        assert pages < 100, "pagination does not end"
    return results, pages
