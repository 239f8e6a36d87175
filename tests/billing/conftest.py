"""API clients for the roles billing cares about."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def finance_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("finance")


@pytest.fixture
def sales_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("sales")


@pytest.fixture
def warehouse_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("warehouse")
