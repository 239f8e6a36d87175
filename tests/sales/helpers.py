"""Assertions shared by the sales API tests."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


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
