"""Prometheus metrics: the business counters, and ``/metrics`` behind a token or an address allow-list.

django-prometheus exports the HTTP metrics (requests and latencies by view, method and status, through its
two middlewares) and the database metrics (queries, errors and durations by alias, through its database
backends). Business counters are the apps' own (order moves and batch close runs in ``sales.telemetry``,
payments and their amounts in ``billing.telemetry``); refusals by problem code are counted here. Under
gunicorn each worker is a process: ``synthesq.gunicorn_conf`` points ``PROMETHEUS_MULTIPROC_DIR`` at a
directory shared by the workers of one node, and django-prometheus' view then adds up every worker's values.

Some figures are not a process's to count: the task queue (depth, the oldest due task's wait) and the webhooks
(deliveries by status, the oldest due delivery) are work that task workers do elsewhere, on other hosts. They are
read from the database when ``/metrics`` is scraped — the same figures from every node — by collectors in
``SCRAPED`` (apps register theirs: ``integrations.telemetry``); a database that does not answer leaves them out
of that scrape (and logs why) rather than failing it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

REFUSALS = Counter(
    "synthesq_refusals_total", "Requests answered with a problem (RFC 9457), by status and code.", ["status", "code"]
)


# Collectors whose figures are read from the database at each scrape (see the module's docstring).
SCRAPED = CollectorRegistry(auto_describe=False)


class DatabaseCollector(Collector):
    """A collector reading its figures from the database; a database error drops them from this scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            families = list(self.read())
        except DatabaseError as exc:
            logger.warning("metrics_not_read", extra={"collector": type(self).__name__, "error": str(exc)})
            return
        yield from families

    def read(self) -> Iterator[GaugeMetricFamily]:
        raise NotImplementedError

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # no query when the collector is registered


class TaskQueueCollector(DatabaseCollector):
    """The database task backend's queue (django-tasks-db): tasks due and waiting, scheduled for later, and how
    long the oldest due one has waited — one query on the backend's partial index of waiting tasks (finished and
    running ones are not counted: no index covers them, and finished ones pile up until pruned). Another backend
    brings its own monitoring."""

    def read(self) -> Iterator[GaugeMetricFamily]:
        if not str(settings.TASKS.get("default", {}).get("BACKEND", "")).startswith("django_tasks_db."):
            return
        from django.db.models import Count, Min, Q
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        now, never = timezone.now(), get_date_max()
        due = Q(run_after__lte=now) | Q(run_after=never)
        figures = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
            due=Count("id", filter=due), scheduled=Count("id", filter=~due),
            oldest_run_after=Min("run_after", filter=Q(run_after__lte=now)),
            oldest_enqueued=Min("enqueued_at", filter=Q(run_after=never)))
        depth = GaugeMetricFamily("synthesq_task_queue_depth",
                                  "Tasks waiting in the queue: due (ready to run now), scheduled (for later).",
                                  labels=["state"])
        depth.add_metric(["due"], figures["due"])
        depth.add_metric(["scheduled"], figures["scheduled"])
        yield depth
        since = [moment for moment in (figures["oldest_run_after"], figures["oldest_enqueued"]) if moment]
        yield GaugeMetricFamily("synthesq_task_queue_oldest_due_age_seconds",
                                "How long the oldest due task has waited to run (0: none is waiting). Alert when "
                                "it keeps growing: the workers are stopped or behind.",
                                value=max(0.0, (now - min(since)).total_seconds()) if since else 0.0)


SCRAPED.register(TaskQueueCollector())


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
    response = ExportToDjangoView(request)
    started = time.monotonic()
    scraped = generate_latest(SCRAPED)
    response.content = response.content + scraped + (
        "# HELP synthesq_metrics_database_read_seconds Time taken to read this scrape's database figures.\n"
        "# TYPE synthesq_metrics_database_read_seconds gauge\n"
        f"synthesq_metrics_database_read_seconds {time.monotonic() - started:.6f}\n").encode()
    return response
