"""Prometheus metrics: the business counters, and ``/metrics`` behind a token or an address allow-list.

django-prometheus exports the HTTP metrics (requests and latencies by view, method and status, through its
two middlewares) and the database metrics (queries, errors and durations by alias, through its database
backends). Business counters are the apps' own (order moves and batch close runs in ``sales.telemetry``,
payments and their amounts in ``billing.telemetry``); refusals by problem code are counted here. Under
gunicorn each worker is a process: ``synthesq.gunicorn_conf`` points ``PROMETHEUS_MULTIPROC_DIR`` at a
directory shared by the workers of one node, and django-prometheus' view then adds up every worker's values.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter

REFUSALS = Counter(
    "synthesq_refusals_total", "Requests answered with a problem (RFC 9457), by status and code.", ["status", "code"]
)


def _networks(entries: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def metrics_access_allowed(request: HttpRequest) -> bool | None:
    """True when the request carries ``METRICS_TOKEN`` as a bearer token or comes from an address in
    ``METRICS_ALLOWED_IPS``; False when not; None when neither is configured (metrics are off)."""
    token: str = settings.METRICS_TOKEN
    allowed: Sequence[str] = settings.METRICS_ALLOWED_IPS
    if not token and not allowed:
        return None
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    if allowed:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in network for network in _networks(allowed))
    return False


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics``: 404 when metrics are not configured, 401 without the token (when one is set), 403 from an
    address outside the allow-list, else Prometheus' text format."""
    allowed = metrics_access_allowed(request)
    if allowed is None:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    if not allowed:
        if settings.METRICS_TOKEN:
            response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return ExportToDjangoView(request)
