"""What the webhooks tell operations at each ``/metrics`` scrape, read from the database (the attempts are made
by task workers on other hosts, so no web process could count them): deliveries by status, the attempts of the
last minutes by outcome, the oldest due delivery's wait, endpoints by state. Each figure is one indexed query."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from synthesq.observability.metrics import SCRAPED, DatabaseCollector

from .delivery import CONNECTION_ERROR, REFUSED, TIMEOUT
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

RECENT = timedelta(minutes=5)
# An attempt's outcome, from what was recorded (the error's first words are delivery's own); "other" is the rest.
ATTEMPT_OUTCOMES = {
    "succeeded": Q(succeeded=True),
    "http_error": Q(succeeded=False, status_code__isnull=False),
    "timeout": Q(status_code__isnull=True, error__startswith=TIMEOUT),
    "connection_error": Q(status_code__isnull=True, error__startswith=CONNECTION_ERROR),
    "refused": Q(status_code__isnull=True, error__startswith=REFUSED),
}


class WebhookCollector(DatabaseCollector):
    def read(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        yield self._deliveries()
        yield self._attempts(now)
        oldest = (WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                  .aggregate(oldest=Min("next_attempt_at"))["oldest"])
        yield GaugeMetricFamily(
            "synthesq_webhook_oldest_due_delivery_age_seconds",
            "How long the oldest delivery due for an attempt has waited for it (0: none). Retries wait their "
            "schedule before they are due.", value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        endpoints = WebhookEndpoint.objects.aggregate(
            active=Count("id", filter=Q(is_active=True, failing_since__isnull=True)),
            failing=Count("id", filter=Q(is_active=True, failing_since__isnull=False)),
            disabled=Count("id", filter=Q(is_active=False)))
        family = GaugeMetricFamily("synthesq_webhook_endpoints",
                                   "Webhook endpoints: active, failing (no success since a failure), disabled.",
                                   labels=["state"])
        for state, count in endpoints.items():
            family.add_metric([state], count)
        yield family

    @staticmethod
    def _deliveries() -> GaugeMetricFamily:
        """Pending and failed (given up) deliveries, each counted on its partial index; succeeded ones are most
        of the table and are not counted at every scrape (their attempts are, below)."""
        family = GaugeMetricFamily("synthesq_webhook_deliveries",
                                   "Webhook deliveries by status: pending (being tried or waiting for a retry), "
                                   "failed (the retry schedule ran out; resend them).", labels=["status"])
        for status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            family.add_metric([status.value], WebhookDelivery.objects.filter(status=status).count())
        return family

    @staticmethod
    def _attempts(now: datetime) -> GaugeMetricFamily:
        recent = WebhookAttempt.objects.filter(attempted_at__gte=now - RECENT)
        counted = recent.aggregate(total=Count("id"), **{f"n_{name}": Count("id", filter=condition)
                                                         for name, condition in ATTEMPT_OUTCOMES.items()})
        figures = {name.removeprefix("n_"): value for name, value in counted.items()}
        family = GaugeMetricFamily(
            "synthesq_webhook_attempts_recent",
            f"Webhook delivery attempts of the last {int(RECENT.total_seconds() // 60)} minutes by outcome: "
            "succeeded (2xx), http_error (another status), timeout, connection_error (refused, reset, "
            "unreachable), refused (the URL may not receive webhooks), other (interrupted, endpoint disabled).",
            labels=["outcome"])
        for name in ATTEMPT_OUTCOMES:
            family.add_metric([name], figures[name])
        family.add_metric(["other"], figures["total"] - sum(figures[name] for name in ATTEMPT_OUTCOMES))
        return family


_registered: list[WebhookCollector] = []


def register() -> None:
    """Add the webhook figures to ``/metrics`` (once, however often the app is made ready)."""
    if not _registered:
        _registered.append(WebhookCollector())
        SCRAPED.register(_registered[0])
