"""Request ids: taken from X-Request-ID when sane, generated otherwise, echoed in the response and carried by
problem bodies (so a client can quote it and it leads to the request's log lines)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from synthesq.core.request_id import request_id_for
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_an_incoming_request_id_is_echoed() -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response["X-Request-ID"] == "lb-7f3a.42"


def test_without_one_a_fresh_uuid_is_generated_per_request() -> None:
    first, second = Client().get("/healthz")["X-Request-ID"], Client().get("/healthz")["X-Request-ID"]
    assert first != second
    assert str(uuid.UUID(first)) == first


@pytest.mark.parametrize("incoming", ["", "has space", 'quote"d', "line\nbreak", "x" * 129, "ünïcode"])
def test_an_unusable_incoming_id_is_replaced(incoming: str) -> None:
    assert str(uuid.UUID(request_id_for(incoming))) != incoming
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    uuid.UUID(response["X-Request-ID"])


def test_problem_bodies_carry_the_request_id(anon_api: APIClient, sales_api: APIClient) -> None:
    # given a refused API call (no token) and one refused by the API (unknown order)
    unauthenticated = anon_api.get("/api/v1/sales/orders", HTTP_X_REQUEST_ID="client-req-1")
    not_found = sales_api.get("/api/v1/sales/orders/ord_nope")
    # then each problem names the request's id, the same as its X-Request-ID header
    assert assert_problem(unauthenticated, 401, "not_authenticated")["request_id"] == "client-req-1"
    assert assert_problem(not_found, 404, "not_found")["request_id"] == not_found["X-Request-ID"]


def test_unknown_api_urls_carry_it_too(anon_api: APIClient) -> None:
    response = anon_api.get("/api/v2/nothing", HTTP_X_REQUEST_ID="abc")
    assert assert_problem(response, 404, "not_found")["request_id"] == "abc"
