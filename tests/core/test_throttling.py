"""Throttling in one process, on a clock moved by hand: token buckets per token (a burst, then the rate),
failed authentications per client address without refusing valid tokens, 429 problem details with
Retry-After, the stores (database, Redis) and their housekeeping. Several gunicorn workers from the client's
side: test_throttling_served.py."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from sales.models import Customer
from synthesq.core import throttling
from synthesq.core.models import ThrottleBucket
from synthesq.settings import base
from tests.factories import ApiTokenFactory, UserFactory
from tests.helpers import assert_problem
from tests.sales.helpers import CUSTOMERS_URL as URL

pytestmark = pytest.mark.django_db



class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The throttles' time, moved by hand."""
    clock = Clock()
    monkeypatch.setattr(throttling, "timer", clock)
    yield clock


@pytest.fixture
def rates(settings: Any) -> None:
    # a token: 3 at once, then one every 10 s; an address: 2 failures at once, then one every 30 s
    settings.API_THROTTLE_RATES = {"token": "6/min", "failed_auth": "2/min"}
    settings.API_THROTTLE_BURSTS = {"token": 3, "failed_auth": 2}


def _client(token: str | None = None, address: str = "10.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_may_send_its_burst_then_its_rate(
    client_for: Callable[..., APIClient], clock: Clock, rates: None
) -> None:
    # given a token that has sent its burst of 3 at once
    api = client_for("sales")
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    # when it sends a 4th (a write) 4 seconds later
    clock.now += 4
    response = api.post(URL, {"name": "Acme", "email": "a@example.com"}, format="json")
    # then 429 problem details with Retry-After: the seconds until the bucket holds a request again
    body = assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "6"
    assert body["retry_after"] == 6
    assert not Customer.objects.exists()
    # and another token is not affected
    assert client_for("sales").get(URL).status_code == 200
    # and once Retry-After has passed, one more request goes through (the rate), then the next must wait again
    clock.now += 6
    assert api.get(URL).status_code == 200
    assert assert_problem(api.get(URL), 429, "throttled")["retry_after"] == 10
    # and after a quiet half-minute the bucket is full again: a burst of 3
    clock.now += 30
    assert [api.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_refused_requests_do_not_count(client_for: Callable[..., APIClient], clock: Clock, rates: None) -> None:
    # given a token over its rate that keeps sending
    api = client_for("sales")
    assert [api.get(URL).status_code for _ in range(6)] == [200, 200, 200, 429, 429, 429]
    # when the next interval comes, then it gets one request through, as if it had waited quietly
    clock.now += 10
    assert [api.get(URL).status_code for _ in range(2)] == [200, 429]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # (the roles' permissions kept)
def test_a_failing_request_still_counts(client_for: Callable[..., APIClient], clock: Clock, rates: None) -> None:
    # given a token whose first request fails (400: the error handler rolls the request's transaction back)
    api = client_for("sales")
    assert_problem(api.post(URL, {"name": ""}, format="json"), 400, "validation_error")
    # when it sends more, then that request was counted all the same: two more, then 429
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]


def test_the_default_lets_a_backfill_through_100_per_second_after_a_burst_of_200(
    settings: Any, clock: Clock
) -> None:
    # given the defaults (the test settings turn throttling off; base holds the product's defaults)
    assert base.API_THROTTLE_RATES == {"token": "100/s", "failed_auth": "20/min"}
    assert base.API_THROTTLE_BURSTS == {"token": 200, "failed_auth": 5}
    settings.API_THROTTLE_RATES = base.API_THROTTLE_RATES
    settings.API_THROTTLE_BURSTS = base.API_THROTTLE_BURSTS
    rate = throttling.rate_for("token")
    assert rate is not None
    # when a token sends 201 requests at once, then 200 go through and the 201st is told to wait a second
    decisions = [throttling.bucket_take("token:backfill", rate) for _ in range(201)]
    assert [d.allowed for d in decisions] == [True] * 200 + [False]
    assert decisions[-1].retry_after == 1
    # and a second later it gets 100 more (the rate), not another burst
    clock.now += 1
    assert sum(throttling.bucket_take("token:backfill", rate).allowed for _ in range(150)) == 100
    # and a client keeping to 100 per second is never refused
    for _ in range(300):
        clock.now += 0.01
        assert throttling.bucket_take("token:backfill-steady", rate).allowed


def test_failed_authentications_over_the_rate_are_refused_without_refusing_valid_tokens(
    clock: Clock, rates: None
) -> None:
    good = ApiTokenFactory(user=UserFactory(roles=["sales"]))
    # given an address that has failed twice (its burst)
    for guess in ("sqs_guess_1", "sqs_guess_2"):
        assert_problem(_client(guess).get(URL), 401, "not_authenticated")
    # when it fails again
    response = _client("sqs_guess_3").get(URL)
    # then 429 with Retry-After (the next failure allowed in 30 s), and a spoofed X-Forwarded-For does not help
    body = assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) == body["retry_after"] == 30
    assert _client("sqs_guess_4").get(URL, HTTP_X_FORWARDED_FOR="10.0.0.9").status_code == 429
    # while a valid token from the same address (a neighbour behind the same NAT) is served, again and again
    assert [_client(good.plain).get(URL).status_code for _ in range(3)] == [200] * 3  # (its burst)
    # and another address's failures are its own
    assert_problem(_client("sqs_guess_5", address="10.0.0.2").get(URL), 401, "not_authenticated")
    # and 30 s later the address may fail once more (the rate), then waits again
    clock.now += 30
    assert_problem(_client("sqs_guess_6").get(URL), 401, "not_authenticated")
    assert_problem(_client("sqs_guess_7").get(URL), 429, "throttled")


def test_requests_without_credentials_do_not_count_as_failed_attempts(clock: Clock, rates: None) -> None:
    good = ApiTokenFactory(user=UserFactory(roles=["sales"]))
    for _ in range(5):
        assert_problem(_client().get(URL), 401, "not_authenticated")
    assert_problem(_client("sqs_guess").get(URL), 401, "not_authenticated")
    assert _client(good.plain).get(URL).status_code == 200


def test_rates_can_be_turned_off(client_for: Callable[..., APIClient], clock: Clock, settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"token": None, "failed_auth": None}
    api = client_for("sales")
    assert {api.get(URL).status_code for _ in range(10)} == {200}
    assert not ThrottleBucket.objects.exists()


def test_the_database_store_keeps_one_row_per_key_and_purges_full_buckets(
    client_for: Callable[..., APIClient], clock: Clock, rates: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a token that sent two requests: one row, its bucket full again 20 s later
    api = client_for("sales")
    assert [api.get(URL).status_code for _ in range(2)] == [200, 200]
    row = ThrottleBucket.objects.get()
    assert (row.key, row.full_at, row.allowed) == (f"token:{api.token.pk}", clock.now + 20, True)
    # when its time has passed and the process purges (here on every request), then the row is gone
    clock.now += 21
    monkeypatch.setattr(throttling, "PURGE_EVERY", 1)
    throttling._store.cache_clear()
    try:
        assert_problem(_client("sqs_guess").get(URL), 401, "not_authenticated")
    finally:
        throttling._store.cache_clear()
    assert list(ThrottleBucket.objects.values_list("key", flat=True)) == ["failed_auth:10.0.0.1"]
    # and a bucket still filling up is kept by the purge
    assert throttling.throttle_buckets_purge() == 0
    assert throttling.throttle_buckets_purge(now=clock.now + 31) == 1


def test_the_system_check_refuses_atomic_requests_and_a_redis_store_without_redis(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the defaults (database store, no ATOMIC_REQUESTS), then nothing to say
    assert throttling.check_throttle_store() == []
    # given ATOMIC_REQUESTS (a refused request's rollback would undo its count), then an error
    monkeypatch.setitem(django_settings.DATABASES["default"], "ATOMIC_REQUESTS", True)
    assert [error.id for error in throttling.check_throttle_store()] == ["synthesq.E103"]
    monkeypatch.setitem(django_settings.DATABASES["default"], "ATOMIC_REQUESTS", False)
    # and a redis store on a cache that is not Redis, or a store that does not exist
    settings.API_THROTTLE_STORE = "redis"
    assert [error.id for error in throttling.check_throttle_store()] == ["synthesq.E101"]
    settings.API_THROTTLE_STORE = "memory"
    assert [error.id for error in throttling.check_throttle_store()] == ["synthesq.E102"]


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis on 127.0.0.1:6379 (REDIS_URL's backend)")
def test_counters_live_in_redis_when_it_is_the_store(
    client_for: Callable[..., APIClient], settings: Any, clock: Clock
) -> None:
    # given Django's Redis cache (what REDIS_URL selects), in a database and prefix of this test's own
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": f"test-{id(settings)}"}}
    settings.API_THROTTLE_STORE = "redis"
    settings.API_THROTTLE_RATES = {"token": "6/min", "failed_auth": "2/min"}
    settings.API_THROTTLE_BURSTS = {"token": 2, "failed_auth": 1}
    api = client_for("sales")
    key = f"throttle:token:{api.token.pk}"
    try:
        # when a token goes over its burst, then 429 with Retry-After, counted in Redis (not in the database)
        statuses = [api.get(URL).status_code for _ in range(2)]
        refused = api.get(URL)
        assert statuses == [200, 200]
        assert assert_problem(refused, 429, "throttled")["retry_after"] == 10
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        assert float(client.get(cache.make_and_validate_key(key))) == clock.now + 20
        assert not ThrottleBucket.objects.exists()
        # and the key expires by itself when the bucket is full again (20 s from now, in real time)
        assert 19_000 < client.pttl(cache.make_and_validate_key(key)) <= 20_000
        # and failed authentications are refused there too, without refusing the valid token
        assert_problem(_client("sqs_guess_1").get(URL), 401, "not_authenticated")
        assert_problem(_client("sqs_guess_2").get(URL), 429, "throttled")
        # and after Retry-After the token works again
        clock.now += 10
        assert api.get(URL).status_code == 200
    finally:
        # only this test's keys: the server may be shared
        cache.delete_many([key, "throttle:failed_auth:10.0.0.1"])


@pytest.mark.postgres
def test_the_buckets_table_writes_no_wal_on_postgresql() -> None:
    # (counters need no crash safety; an UNLOGGED table's commits wait for no WAL flush)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [ThrottleBucket._meta.db_table])
        assert cursor.fetchone() == ("u",)


def test_requests_are_served_unthrottled_when_redis_is_away(
    client_for: Callable[..., APIClient], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given the redis store on a Redis that does not answer
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    settings.API_THROTTLE_STORE = "redis"
    settings.API_THROTTLE_RATES = {"token": "6/min", "failed_auth": "2/min"}
    settings.API_THROTTLE_BURSTS = {"token": 1, "failed_auth": 1}
    api = client_for("sales")
    # when a token sends more than its rate, then it is served (not a 500) and the outage is logged
    assert [api.get(URL).status_code for _ in range(2)] == [200, 200]
    assert "throttle_store_unavailable" in caplog.text
