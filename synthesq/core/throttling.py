"""Throttling through DRF on Django's cache (Redis when ``REDIS_URL`` is set, local memory otherwise).

- ``TokenRateThrottle`` (every API view): requests per token, ``API_THROTTLE_RATES["token"]``.
- ``FailedAuthenticationThrottle`` (called by ``BearerTokenAuthentication``): failed authentications per client
  address, ``API_THROTTLE_RATES["failed_auth"]``. Once an address is over the rate every attempt from it is
  refused — a correct guess too — until the window has passed, so tokens cannot be guessed at speed.

Over the rate: 429 ``throttled`` with ``Retry-After`` (seconds). The client address is ``REMOTE_ADDR``, or the
address ``TRUSTED_PROXIES`` proxies in front of the app saw (DRF's ``NUM_PROXIES``); a spoofed
``X-Forwarded-For`` is ignored. Rates are read from settings on every request, so they can be tuned per
deployment (``API_THROTTLE_TOKEN_RATE``, ``API_THROTTLE_FAILED_AUTH_RATE``; ``off`` turns one off).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class SettingsRateThrottle(SimpleRateThrottle):
    """DRF's sliding-window throttle with its rate read from ``API_THROTTLE_RATES`` now (not at import)."""

    # Set by DRF from the rate (when there is one).
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        rate: str | None = settings.API_THROTTLE_RATES.get(self.scope or "")
        return rate

    def wait(self) -> float | None:
        """Seconds until the oldest request in the window leaves it (DRF spreads the remaining requests over the
        window instead, and gives no answer at all when the history is longer than the rate)."""
        if not self.history:
            return None
        return max(1.0, self.duration - (self.now - self.history[-1]))


class TokenRateThrottle(SettingsRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class FailedAuthenticationThrottle(SettingsRateThrottle):
    scope = "failed_auth"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def refuse_if_over(self, request: Request) -> None:
        """Raise 429 when this address has failed too often within the window (records nothing)."""
        if self.rate is None:
            return
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            raise Throttled(wait=math.ceil(self.wait() or self.duration),
                            detail="Too many failed authentications from this address.")

    def record_failure(self, request: Request) -> None:
        if self.rate is None:
            return
        no_view: Any = None
        self.allow_request(request, no_view)  # appends this attempt to the address's history
