"""Throttling: requests per token, failed authentications per client address; 429 problem details with
Retry-After, and back to normal once the window has passed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from sales.models import Customer
from synthesq.core import throttling
from tests.factories import ApiTokenFactory, UserFactory
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/sales/customers"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The throttles' time, moved by hand; a clean cache before and after."""
    cache.clear()
    clock = Clock()
    monkeypatch.setattr(throttling.SettingsRateThrottle, "timer", staticmethod(clock))
    yield clock
    cache.clear()


@pytest.fixture
def rates(settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"token": "3/min", "failed_auth": "2/min"}


def _client(token: str | None = None, address: str = "10.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_requests_per_token_are_throttled_and_recover_after_the_window(
    client_for: Callable[..., APIClient], clock: Clock, rates: None
) -> None:
    # given a token that has used its 3 requests of the minute
    api = client_for("sales")
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    # when it sends a 4th (a write)
    clock.now += 20
    response = api.post(URL, {"name": "Acme", "email": "a@example.com"}, format="json")
    # then 429 problem details with Retry-After: the seconds until the oldest request leaves the window
    body = assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "40"
    assert body["retry_after"] == 40
    assert not Customer.objects.exists()
    # and another token is not affected
    assert client_for("sales").get(URL).status_code == 200
    # and once the window has passed the token works again
    clock.now += 41
    assert api.get(URL).status_code == 200


def test_failed_authentications_are_throttled_per_address_even_for_a_good_token(
    clock: Clock, rates: None
) -> None:
    good = ApiTokenFactory(user=UserFactory(roles=["sales"]))
    # given two failed attempts from one address
    for guess in ("sqs_guess_1", "sqs_guess_2"):
        assert_problem(_client(guess).get(URL), 401, "not_authenticated")
    # when that address tries again, even with a valid token
    response = _client(good.plain).get(URL)
    # then it is refused until the window has passed
    body = assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) == body["retry_after"] == 60
    # while another address is not affected, and a spoofed X-Forwarded-For does not help
    assert _client(good.plain, address="10.0.0.2").get(URL).status_code == 200
    assert _client(good.plain).get(URL, HTTP_X_FORWARDED_FOR="10.0.0.9").status_code == 429
    # and a minute later the address may authenticate again
    clock.now += 61
    assert _client(good.plain).get(URL).status_code == 200


def test_requests_without_credentials_do_not_count_as_failed_attempts(clock: Clock, rates: None) -> None:
    good = ApiTokenFactory(user=UserFactory(roles=["sales"]))
    for _ in range(5):
        assert_problem(_client().get(URL), 401, "not_authenticated")
    assert _client(good.plain).get(URL).status_code == 200


def test_rates_can_be_turned_off(client_for: Callable[..., APIClient], clock: Clock, settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"token": None, "failed_auth": None}
    api = client_for("sales")
    assert {api.get(URL).status_code for _ in range(10)} == {200}


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379 (REDIS_URL's backend)")
def test_counters_live_in_redis_when_it_is_the_cache(
    client_for: Callable[..., APIClient], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Django's Redis cache (what REDIS_URL selects), in a database and prefix of this test's own
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": f"test-{id(settings)}"}}
    settings.API_THROTTLE_RATES = {"token": "2/min", "failed_auth": None}
    clock = Clock()
    monkeypatch.setattr(throttling.SettingsRateThrottle, "timer", staticmethod(clock))
    api = client_for("sales")
    try:
        # when a token goes over its rate, then 429, counted in Redis
        assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]
        assert cache.get(f"throttle_token_{api.token.pk}")
        # and after the window it works again
        clock.now += 61
        assert api.get(URL).status_code == 200
    finally:
        cache.delete(f"throttle_token_{api.token.pk}")  # only this test's key: the server may be shared
