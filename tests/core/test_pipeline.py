"""The two middleware paths (synthesq.core.pipeline): an API request skips sessions, CSRF, the signed-in user,
the staff time zone and messages; the admin keeps every one of them."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, override_settings
from rest_framework.test import APIClient

from synthesq.core.timezones import StaffTimeZoneMiddleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BACK_OFFICE = {"session": SessionMiddleware, "csrf": CsrfViewMiddleware, "user": AuthenticationMiddleware,
               "time zone": StaffTimeZoneMiddleware, "messages": MessageMiddleware}


@pytest.fixture
def back_office_calls() -> Iterator[dict[str, mock.MagicMock]]:
    """Each back-office middleware's ``__call__`` spied on (it still runs)."""
    patches = [mock.patch.object(cls, "__call__", autospec=True, side_effect=cls.__call__)
               for cls in BACK_OFFICE.values()]
    spies = {name: patch.start() for name, patch in zip(BACK_OFFICE, patches, strict=True)}
    try:
        yield spies
    finally:
        for patch in patches:
            patch.stop()


def test_an_api_request_touches_no_session_csrf_user_time_zone_or_messages(
        sales_api: APIClient, back_office_calls: dict[str, mock.MagicMock]) -> None:
    # given an API client that also carries a session and a CSRF cookie (as a browser signed in to the admin would)
    sales_api.cookies["sessionid"] = "abc"
    sales_api.cookies["csrftoken"] = "x" * 32
    # when it lists orders and creates a customer
    listed = sales_api.get("/api/v1/sales/orders", HTTP_X_REQUEST_ID="lean-1")
    created = sales_api.post("/api/v1/sales/customers", {"name": "Lean", "email": "lean@example.com"},
                             format="json")
    # then both are answered without any back-office middleware running, and no cookie is set
    assert (listed.status_code, created.status_code) == (200, 201)
    assert {name: spy.call_count for name, spy in back_office_calls.items()} == dict.fromkeys(BACK_OFFICE, 0)
    assert not listed.cookies and not created.cookies
    # and the headers of the outer middlewares are still there
    assert listed["X-Request-ID"] == "lean-1" and listed["X-Frame-Options"] == "DENY"
    assert listed["Cache-Control"] == "no-store"


def test_the_admin_still_runs_every_back_office_middleware(back_office_calls: dict[str, mock.MagicMock]) -> None:
    # given a browser
    browser = Client(enforce_csrf_checks=True)
    # when it opens the admin's sign-in page
    page = browser.get("/admin/login/")
    # then every back-office middleware ran and the CSRF cookie is set
    assert page.status_code == 200
    assert {name: spy.call_count for name, spy in back_office_calls.items()} == dict.fromkeys(BACK_OFFICE, 1)
    assert "csrftoken" in page.cookies
    # and a sign-in without the CSRF token is refused
    UserFactory(username="clerk", staff=True)
    refused = browser.post("/admin/login/", {"username": "clerk", "password": "pw"})
    assert refused.status_code == 403 and "sessionid" not in refused.cookies


def test_a_signed_in_staff_member_gets_a_session_in_the_admin(admin_client: Client) -> None:
    # given a signed-in superuser, when the admin's index opens, then the session's user is served
    response = admin_client.get("/admin/")
    assert response.status_code == 200 and response.wsgi_request.user.is_superuser  # type: ignore[attr-defined]


def test_a_bypass_without_its_rejoin_point_refuses_to_start() -> None:
    # given the settings' middleware with the rejoin point left out
    from django.conf import settings

    middleware = [m for m in settings.MIDDLEWARE if m != "synthesq.core.pipeline.ApiRejoinMiddleware"]
    # when a request is served, then the chain refuses to be built
    with override_settings(MIDDLEWARE=middleware), pytest.raises(ImproperlyConfigured, match="ApiRejoinMiddleware"):
        Client().get("/healthz")
