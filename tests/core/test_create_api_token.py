"""``manage.py create_api_token USERNAME [--superuser] [--groups ...]``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from synthesq.core.models import ApiToken, token_digest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_creates_user_with_groups_and_prints_token_last() -> None:
    # when the command runs for a new user
    output = run("shopify", "--groups", "sales,finance")
    token = output.strip().splitlines()[-1]
    # then the user exists with those roles, and the last line is a working token stored only as a digest
    user = get_user_model().objects.get(username="shopify")
    assert sorted(user.groups.values_list("name", flat=True)) == ["finance", "sales"]
    assert not user.is_superuser
    assert ApiToken.objects.filter(user=user, digest=token_digest(token)).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/sales/customers").status_code == 200


def test_existing_user_gets_another_token_and_superuser() -> None:
    user = UserFactory(username="ops")
    first = run("ops").strip().splitlines()[-1]
    second = run("ops", "--superuser").strip().splitlines()[-1]
    assert first != second
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff
    assert ApiToken.objects.filter(user=user).count() == 2


def test_unknown_group_is_refused_and_nothing_is_created() -> None:
    with pytest.raises(CommandError, match="Unknown group"):
        run("nobody", "--groups", "sales,janitors")
    assert not get_user_model().objects.filter(username="nobody").exists()
    assert ApiToken.objects.count() == 0
