"""Rate limits as token buckets whose counters every worker and every node share.

- ``TokenRateThrottle`` (every API view): requests per token, ``API_THROTTLE_RATES["token"]`` (default
  ``100/s``) with a burst of ``API_THROTTLE_BURSTS["token"]`` (default 200).
- ``failed_authentication_record`` (called by ``BearerTokenAuthentication`` when a token is wrong): failed
  authentications per client address, ``20/min`` with a burst of 5. Only failures are counted and only
  failures are refused: a valid token from the same address is served whatever its neighbours sent. (So a
  wrong token over the limit has been looked up before its 429: the limit keeps a client's failures few and
  says when to retry; a token's 256 random bits keep guessing out of reach at any rate.)

Each limit is a GCRA token bucket: a key may send ``burst`` requests at once, then ``rate``; one number per key
(``full_at``: when its bucket is full again) decides. Over the limit: 429 ``throttled`` with ``Retry-After``
(seconds until the next request is let through) and ``retry_after`` in the body; a refused request does not
count.

Where the counters live (``API_THROTTLE_STORE``): ``database`` (the default) — one ``INSERT … ON CONFLICT DO
UPDATE … RETURNING`` per request on ``core_throttlebucket`` (UNLOGGED on PostgreSQL), in autocommit, so its
row lock lasts one statement and a failing request's rollback cannot undo it; SQLite (3.35+) runs the same
statement, across processes too. ``redis`` (when ``REDIS_URL`` is set) — one Lua script call on Django's Redis
cache, its key expiring when the bucket is full again (Redis unreachable: requests are served, unthrottled, and
a warning is logged; ``/readyz`` then reports the cache). Each process deletes the database rows past their
time once every ``PURGE_EVERY`` requests (a row past its time is a full bucket: deleting it changes nothing).
The time is this node's clock (nodes keep NTP time).

The client address is ``REMOTE_ADDR``, or the address the ``TRUSTED_PROXIES`` proxies in front saw (DRF's
``NUM_PROXIES``); a spoofed ``X-Forwarded-For`` is ignored.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .models import ApiToken, ThrottleBucket

logger = logging.getLogger(__name__)

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The database store deletes rows past their time once in this many requests of a process.
PURGE_EVERY = 1000
ROUNDING_SECONDS = 1e-4

# The throttles' clock (seconds since the epoch); tests replace it.
timer: Callable[[], float] = time.time


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds
    burst: int

    @property
    def interval(self) -> float:
        """Seconds one request costs: the bucket gains one request back every interval."""
        return self.period / self.count


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds until a request is let through again (0 when this one was)


def rate_for(scope: str) -> Rate | None:
    """The rate of ``scope`` from settings (read on every request, so a test or deployment may change it)."""
    text: str | None = settings.API_THROTTLE_RATES.get(scope)
    if not text:
        return None
    count, _, period = text.partition("/")
    burst = int(settings.API_THROTTLE_BURSTS.get(scope) or 1)
    return Rate(count=int(count), period=PERIOD_SECONDS[period[0]], burst=max(1, burst))


def bucket_take(key: str, rate: Rate) -> Decision:
    """Let one request of ``key`` through if its bucket holds one (and take it), in one round trip to the store."""
    now = timer()
    # Let through when the bucket's full time is at most (burst - 1) intervals ahead of now (give or take the
    # rounding of many float additions: a tenth of a millisecond).
    limit = now + (rate.burst - 1) * rate.interval + ROUNDING_SECONDS
    allowed, full_at = _store(settings.API_THROTTLE_STORE).take(
        key, now=now, interval=rate.interval, limit=limit)
    if allowed:
        return Decision(allowed=True, retry_after=0)
    return Decision(allowed=False, retry_after=max(1, math.ceil(full_at - limit)))


class BucketStore(Protocol):
    def take(self, key: str, *, now: float, interval: float, limit: float) -> tuple[bool, float]:
        """Atomically: let through when the key's ``full_at`` (``now`` when it has none) is at most ``limit``,
        then move it to ``max(full_at, now) + interval``. Returns (let through, ``full_at`` after)."""
        ...


class DatabaseBuckets:
    """The buckets in ``core_throttlebucket``: one statement per request, on the database every worker shares."""

    _UPSERT = """
        INSERT INTO {table} ({key}, {full_at}, {allowed}) VALUES (%s, %s, %s)
        ON CONFLICT ({key}) DO UPDATE SET
            {allowed} = {table}.{full_at} <= %s,
            {full_at} = CASE WHEN {table}.{full_at} <= %s THEN {greatest}({table}.{full_at}, %s) + %s
                        ELSE {table}.{full_at} END
        RETURNING {allowed}, {full_at}
    """

    def __init__(self) -> None:
        self._requests = itertools.count(1)
        self._upserts: dict[str, str] = {}  # per database vendor

    def _upsert(self, connection: Any) -> str:
        if connection.vendor not in self._upserts:
            quote = connection.ops.quote_name
            self._upserts[connection.vendor] = self._UPSERT.format(
                table=quote(ThrottleBucket._meta.db_table), key=quote("key"), full_at=quote("full_at"),
                allowed=quote("allowed"), greatest="GREATEST" if connection.vendor == "postgresql" else "MAX")
        return self._upserts[connection.vendor]

    def take(self, key: str, *, now: float, interval: float, limit: float) -> tuple[bool, float]:
        connection = connections[router.db_for_write(ThrottleBucket)]
        with connection.cursor() as cursor:
            cursor.execute(self._upsert(connection), [key, now + interval, True, limit, limit, now, interval])
            allowed, full_at = cursor.fetchone()
        if next(self._requests) % PURGE_EVERY == 0:
            throttle_buckets_purge(now=now)
        return bool(allowed), float(full_at)


def throttle_buckets_purge(*, now: float | None = None) -> int:
    """Delete the database buckets that are full again (the same as having no row), in one ``DELETE``;
    returns how many."""
    return ThrottleBucket.objects.filter(full_at__lt=timer() if now is None else now).delete()[0]


class RedisBuckets:
    """The buckets in Django's Redis cache (``REDIS_URL``): one Lua script call per request (EVALSHA)."""

    _SCRIPT = """
        local now, interval, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local full_at = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
        if full_at > limit then
            return {0, string.format('%.6f', full_at)}
        end
        full_at = math.max(full_at, now) + interval
        redis.call('SET', KEYS[1], string.format('%.6f', full_at), 'PX', math.ceil((full_at - now) * 1000))
        return {1, string.format('%.6f', full_at)}
    """

    def __init__(self) -> None:
        self._script: Any = None

    def take(self, key: str, *, now: float, interval: float, limit: float) -> tuple[bool, float]:
        cache_ = caches["default"]
        if not isinstance(cache_, RedisCache):
            raise TypeError("API_THROTTLE_STORE is redis but the default cache is not Django's RedisCache")
        redis_key = cache_.make_and_validate_key(f"throttle:{key}")
        client: Any = cache_._cache.get_client(redis_key, write=True)
        if self._script is None:
            self._script = client.register_script(self._SCRIPT)
        try:
            allowed, full_at = self._script(keys=[redis_key], args=[repr(now), repr(interval), repr(limit)],
                                            client=client)
        except RedisError:
            # Redis away: serve rather than fail every request (/readyz reports the cache as unavailable)
            logger.warning("throttle_store_unavailable", exc_info=False, extra={"store": "redis"})
            return True, now
        return bool(int(allowed)), float(full_at)


@cache
def _store(name: str) -> BucketStore:
    return RedisBuckets() if name == "redis" else DatabaseBuckets()


class TokenRateThrottle(BaseThrottle):
    """Requests per token (``API_THROTTLE_RATES["token"]``, ``API_THROTTLE_BURSTS["token"]``)."""

    scope = "token"

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        token = getattr(request, "auth", None)
        rate = rate_for(self.scope)
        if rate is None or not isinstance(token, ApiToken):
            return True
        decision = bucket_take(f"token:{token.pk}", rate)
        self.retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return self.retry_after


def failed_authentication_record(request: Request) -> None:
    """Count a failed authentication against the client's address; 429 (``Throttled``) instead of the 401 when
    the address is over ``API_THROTTLE_RATES["failed_auth"]`` (its burst, then its rate)."""
    rate = rate_for("failed_auth")
    if rate is None:
        return
    decision = bucket_take(f"failed_auth:{BaseThrottle().get_ident(request)}", rate)
    if not decision.allowed:
        raise Throttled(wait=decision.retry_after, detail="Too many failed authentications from this address.")


@checks.register(checks.Tags.database)
def check_throttle_store(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The counters must be where every worker sees them, and their writes must not be undone by a request's
    rollback (``ATOMIC_REQUESTS`` would wrap them in the request's transaction)."""
    store = settings.API_THROTTLE_STORE
    if store == "redis" and not isinstance(caches["default"], RedisCache):
        return [checks.Error("API_THROTTLE_STORE is 'redis' but CACHES['default'] is not Django's RedisCache.",
                             hint="Set REDIS_URL, or use the database store.", id="synthesq.E101")]
    if store not in ("redis", "database"):
        return [checks.Error(f"API_THROTTLE_STORE must be 'database' or 'redis', not {store!r}.",
                             id="synthesq.E102")]
    alias = router.db_for_write(ThrottleBucket)
    if store == "database" and settings.DATABASES[alias].get("ATOMIC_REQUESTS"):
        return [checks.Error(
            "ATOMIC_REQUESTS is on: a refused request's rollback would undo its throttle count.",
            hint="Leave ATOMIC_REQUESTS off (services own their transactions), or use the redis store.",
            id="synthesq.E103")]
    return []
