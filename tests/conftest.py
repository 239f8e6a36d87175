"""Shared fixtures: API clients authenticated as each role, and the PostgreSQL marker.

Tests marked ``postgres`` need PostgreSQL (row locks, real concurrency); on SQLite they are skipped with
the reason. CI always runs them (``.ci/run`` points DATABASE_URL at PostgreSQL).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tests.factories import ApiTokenFactory, UserFactory
from tests.log_capture import log_lines  # noqa: F401 (the fixture, for every test)

# The admin's fixtures (login, the role clients, browser_page, every_kind_of_page) for every admin test, wherever it
# sits (tests/<app>/admin/, beside its app's tests).
pytest_plugins = ["tests.admin.fixtures"]

# The property tests explore new examples on every local run; CI (``.ci/run`` sets CI=1) draws the same ones each
# run, so a red CI names a change, not a lucky draw (schemathesis does the same there).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...); CI runs it there")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def client_for(db: None) -> Callable[..., APIClient]:
    """``client_for("sales", "finance")``: an API client whose token belongs to a user with those roles;
    ``client_for(superuser=True)`` for a superuser. The user is ``client.user``."""

    def make(*roles: str, superuser: bool = False) -> APIClient:
        user = UserFactory(roles=list(roles), superuser=superuser)
        token = ApiTokenFactory(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
        client.user = user  # type: ignore[attr-defined]
        client.token = token  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def sales_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("sales")


@pytest.fixture
def warehouse_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("warehouse")


@pytest.fixture
def finance_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("finance")


@pytest.fixture
def admin_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for(superuser=True)


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()
