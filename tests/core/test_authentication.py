"""Bearer-token authentication: every /api/ endpoint needs a valid, unrevoked token."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory

from synthesq.core.authentication import BearerTokenAuthentication, active_token_with_user
from synthesq.core.models import ApiToken
from synthesq.core.services import api_token_create, api_token_revoke
from tests.factories import ApiTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

API_URLS = ["/api/v1/sales/customers", "/api/v1/inventory/products"]


def _assert_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["status"] == 401
    assert {"type", "title", "detail"} <= set(body)


@pytest.mark.parametrize("url", API_URLS)
def test_missing_token_is_401_with_bearer_challenge(anon_api: APIClient, url: str) -> None:
    _assert_401(anon_api.get(url))


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer not-a-token", "Token abc", "Basic dXNlcjpwdw==", "Bearer a b", "bearer sqs_nope"],
)
def test_malformed_or_unknown_token_is_401(anon_api: APIClient, header: str) -> None:
    anon_api.credentials(HTTP_AUTHORIZATION=header)
    _assert_401(anon_api.get("/api/v1/sales/customers"))


def test_valid_token_authenticates_and_records_last_use(anon_api: APIClient) -> None:
    # given a token that was never used
    token = ApiTokenFactory(user=UserFactory(superuser=True))
    assert token.last_used_at is None
    # when it is used
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    response = anon_api.get("/api/v1/sales/customers")
    # then the request passes and the use is recorded
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_401(anon_api: APIClient) -> None:
    token = ApiTokenFactory(user=UserFactory(superuser=True))
    api_token_revoke(token=token)
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    _assert_401(anon_api.get("/api/v1/sales/customers"))


def test_inactive_user_token_is_401(anon_api: APIClient) -> None:
    token = ApiTokenFactory(user=UserFactory(superuser=True, is_active=False))
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    _assert_401(anon_api.get("/api/v1/sales/customers"))


def test_tokens_are_stored_only_as_digests() -> None:
    # when a token is created through the service
    token, plain = api_token_create(user=UserFactory(), name="shop")
    # then no column holds the plain token, and the digest identifies it
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plain not in {str(v) for v in row.values()}
    assert len(row["digest"]) == 64
    assert plain.startswith(row["key_prefix"])


def test_revoking_twice_keeps_the_first_revocation_time() -> None:
    token = ApiTokenFactory()
    api_token_revoke(token=token)
    first = ApiToken.objects.get(pk=token.pk).revoked_at
    api_token_revoke(token=ApiToken.objects.get(pk=token.pk))
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first
    assert first is not None and first <= timezone.now()


def test_schema_and_docs_need_no_token(anon_api: APIClient) -> None:
    assert anon_api.get("/api/v1/schema/").status_code == 200
    assert anon_api.get("/api/v1/docs/").status_code == 200


@pytest.mark.parametrize("roles", [[], ["sales"], ["warehouse", "finance"]])
def test_the_token_lookup_brings_the_users_permissions_as_django_reads_them(
        roles: list[str], django_assert_num_queries: Any) -> None:
    # given a user with roles and a permission of its own (not through a role)
    token = ApiTokenFactory(user=UserFactory(roles=roles))
    token.user.user_permissions.add(Permission.objects.get(codename="adjust_stock"))
    request = APIRequestFactory().get("/api/v1/sales/orders", HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    # when the token is looked up
    user, _ = BearerTokenAuthentication().authenticate(request)  # type: ignore[misc]
    # then the user has exactly the permissions Django's ModelBackend reads from the rows, read with the token
    expected = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    with django_assert_num_queries(0):
        assert user.get_all_permissions() == expected
        assert user.has_perm("inventory.adjust_stock")
        assert user.has_perm("sales.view_order") == ("sales.view_order" in expected)


def test_a_role_granted_after_one_request_counts_on_the_next(anon_api: APIClient) -> None:
    # given a user without roles, refused the order list
    token = ApiTokenFactory(user=UserFactory())
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    assert anon_api.get("/api/v1/sales/orders").status_code == 403
    # when the sales role is granted, then the next request may list orders
    token.user.groups.add(Group.objects.get(name="sales"))
    assert anon_api.get("/api/v1/sales/orders").status_code == 200


def test_a_role_withdrawn_or_a_token_revoked_after_one_request_counts_on_the_next(anon_api: APIClient) -> None:
    # given a sales user's token, allowed the order list
    token = ApiTokenFactory(user=UserFactory(roles=["sales"]))
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    assert anon_api.get("/api/v1/sales/orders").status_code == 200
    # when the role is withdrawn, then the next request is refused
    token.user.groups.clear()
    assert anon_api.get("/api/v1/sales/orders").status_code == 403
    # and when the token is revoked, the next request is not authenticated
    api_token_revoke(token=ApiToken.objects.get(pk=token.pk))
    _assert_401(anon_api.get("/api/v1/sales/orders"))


def test_a_roles_permission_removed_or_a_user_deactivated_counts_on_the_next_request(anon_api: APIClient) -> None:
    # given a sales user's token, allowed the order list (the lookup's statement already written in this process)
    token = ApiTokenFactory(user=UserFactory(roles=["sales"]))
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    assert anon_api.get("/api/v1/sales/orders").status_code == 200
    sales = Group.objects.get(name="sales")
    view_order = Permission.objects.get(codename="view_order", content_type__app_label="sales")
    try:
        # when the role itself loses the permission, then the next request is refused
        sales.permissions.remove(view_order)
        assert anon_api.get("/api/v1/sales/orders").status_code == 403
    finally:
        sales.permissions.add(view_order)
    assert anon_api.get("/api/v1/sales/orders").status_code == 200
    # and when the user is deactivated, the next request is not authenticated
    type(token.user).objects.filter(pk=token.user.pk).update(is_active=False)
    _assert_401(anon_api.get("/api/v1/sales/orders"))


def test_the_lookup_reads_the_token_and_its_user_as_the_orm_does() -> None:
    # given a used token of a staff user
    token = ApiTokenFactory(user=UserFactory(roles=["sales"], staff=True), last_used_at=timezone.now())
    # when it is looked up by its digest (the statement written once, the row made into instances)
    found = active_token_with_user(token.digest)
    # then the token and its user hold what the ORM reads, date-times aware, booleans booleans
    assert found is not None
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    for field in ApiToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in type(expected.user)._meta.concrete_fields:
        assert getattr(found.user, field.attname) == getattr(expected.user, field.attname), field.name
    assert found.last_used_at.tzinfo is not None and found.user.is_staff is True
    assert not found._state.adding and found._state.db == "default"
    # and a revoked token is not found
    api_token_revoke(token=expected)
    assert active_token_with_user(token.digest) is None
