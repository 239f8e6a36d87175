"""Admin test clients: a logged-in ``django.test.Client`` per role (staff user in that role's group)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def login(db: None) -> Callable[..., Client]:
    """``login("warehouse")``: a client signed in as a new staff user with that role; ``login(superuser=True)``
    for a superuser. The user is ``client.user``."""

    def make(*roles: str, superuser: bool = False, username: str | None = None) -> Client:
        extra = {"username": username} if username else {}
        user = UserFactory(staff=True, superuser=superuser, roles=list(roles), **extra)
        client = Client()
        client.force_login(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def superuser_client(login: Callable[..., Client]) -> Client:
    return login(superuser=True)


@pytest.fixture
def sales_client(login: Callable[..., Client]) -> Client:
    return login("sales")


@pytest.fixture
def warehouse_client(login: Callable[..., Client]) -> Client:
    return login("warehouse")


@pytest.fixture
def finance_client(login: Callable[..., Client]) -> Client:
    return login("finance")
