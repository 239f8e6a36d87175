"""Property-based API fuzzing with schemathesis against the live OpenAPI schema.

Every operation is exercised with generated valid and invalid inputs, authenticated as a superuser (so
the permission layer does not hide handlers). It fails on any 5xx and on any response whose status,
content type, headers or body do not match the schema. Bounded by ``max_examples`` to finish in minutes;
new endpoints are picked up automatically.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from synthesq.core.services import api_token_create
from tests.factories import CustomerFactory, ProductFactory, UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def keep_test_connection_open() -> Iterator[None]:
    """Requests go straight through the WSGI app, whose request start and end handlers would close the test's
    database connection (on PostgreSQL, mid-transaction); Django's own test client disconnects it too."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(db: None) -> dict[str, str]:
    _token, plain = api_token_create(user=UserFactory(superuser=True))
    # Some rows so detail routes and filters meet real data too.
    CustomerFactory.create_batch(2)
    ProductFactory(stock=5)
    return {"Authorization": f"Bearer {plain}"}


# The schema view needs no database, so the schema is loaded when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@schema.parametrize()
# Random examples on a developer's machine (to keep finding new cases); in CI the same examples every run,
# so a submission is judged on its code, not on the luck of the draw.
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=bool(os.environ.get("CI")))
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)
