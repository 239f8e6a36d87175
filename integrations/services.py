"""Writes for integrations: webhook endpoints (the integrations role manages them), the fan-out of events to
their subscribers, delivery attempts with the Standard Webhooks retry schedule, manual resends, recovery of
work a stopped worker left behind, and the retention purge.

Delivery is at least once. An attempt is claimed in a short transaction that takes a lease on the delivery
row (SKIP LOCKED: two workers never claim one attempt); the HTTP request is made outside any transaction; its
outcome is recorded in a second short transaction, which schedules the next attempt on failure. Watchdogs cover
a worker that dies in between: the fan-out enqueues one sweep of its deliveries for after their first attempts'
leases, and each retry enqueues its own for when its lease ends. A watchdog that finds a lease expired records
the attempt as interrupted and tries again: nothing is lost, and nothing blocks an API request.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from synthesq.core.actors import Actor
from synthesq.core.errors import NotFound, ValidationFailed, field_error

from . import delivery as http
from .events import pattern_is_known, publish, publishes_events, type_matches
from .exceptions import DeliveryInProgress
from .models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Standard Webhooks' schedule: the wait before attempts 1 to 8 (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
# 10 h); each wait varies by up to 10 % so that many failing deliveries do not retry in one burst.
RETRY_SCHEDULE_SECONDS = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
JITTER = 0.1
ROTATION_OVERLAP = timedelta(hours=24)
_ENDPOINT_FIELDS = ("url", "events", "description", "is_active")


def _tasks() -> Any:
    from . import tasks  # tasks import this module

    return tasks


# --- endpoints ---------------------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _clean_url(url: str) -> str:
    try:
        http.check_url(url)
    except http.UnsafeUrl as exc:
        raise ValidationFailed(str(exc), errors=[field_error("url", str(exc), "unsafe_url")]) from exc
    return url


def _clean_events(patterns: Sequence[str]) -> list[str]:
    unknown = [p for p in patterns if not pattern_is_known(p)]
    if not patterns or unknown:
        message = f"Unknown event type(s): {', '.join(unknown)}." if unknown else "Subscribe to at least one type."
        raise ValidationFailed(message, errors=[field_error("events", message, "invalid_choice")])
    return list(dict.fromkeys(patterns))


def webhook_endpoint_validate(*, url: str | None = None, events: Sequence[str] | None = None) -> None:
    """Check an endpoint's URL and subscriptions as the services will (400 naming the field), writing nothing:
    for forms."""
    if url is not None:
        _clean_url(url)
    if events is not None:
        _clean_events(events)


@transaction.atomic
def webhook_endpoint_create(*, url: str, events: Sequence[str], description: str = "",
                            actor: Actor) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown to the caller once)."""
    endpoint = WebhookEndpoint.objects.create(
        url=_clean_url(url), events=_clean_events(events), description=description, secret=_new_secret(),
        created_by=actor,
    )
    return endpoint, endpoint.secret


def _lock_endpoint(endpoint_id: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint_id: str, data: dict[str, Any], actor: Actor) -> WebhookEndpoint:
    unknown = set(data) - set(_ENDPOINT_FIELDS)
    if unknown:
        raise ValidationFailed(f"Not updatable: {', '.join(sorted(unknown))}.")
    endpoint = _lock_endpoint(endpoint_id)
    if "url" in data:
        data["url"] = _clean_url(data["url"])
    if "events" in data:
        data["events"] = _clean_events(data["events"])
    for name, value in data.items():
        setattr(endpoint, name, value)
    if data.get("is_active") is True:  # re-enabled: a fresh start for the failure clock
        endpoint.disabled_at = endpoint.failing_since = None
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint_id: str, actor: Actor) -> None:
    _lock_endpoint(endpoint_id).delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint_id: str, actor: Actor) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; the previous one keeps signing beside it for 24 hours, so receivers can switch."""
    endpoint = _lock_endpoint(endpoint_id)
    endpoint.previous_secret, endpoint.secret = endpoint.secret, _new_secret()
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint, endpoint.secret


def endpoint_signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    rotated = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and rotated is not None and rotated > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


@publishes_events
def webhook_endpoint_test(*, endpoint_id: str, actor: Actor) -> None:
    """Send a ``ping`` event to this endpoint only."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.")
    publish("ping", object_id=endpoint.pk, obj=_endpoint_data(endpoint), only_endpoint_id=endpoint.pk)


def _endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    from .api.serializers import WebhookEndpointSerializer

    return dict(WebhookEndpointSerializer(endpoint).data)


# --- fan-out -----------------------------------------------------------------------------------------


@transaction.atomic
def events_fan_out(*, event_ids: Sequence[str]) -> int:
    """Create one delivery per event and subscribed endpoint (or the one endpoint a ping is for) and start
    each. Events another worker is fanning out are skipped; an event is fanned out once."""
    events = list(Event.objects.select_for_update(skip_locked=True)
                  .filter(pk__in=list(event_ids), fanned_out=False).order_by("sequence"))
    if not events:
        return 0
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    now = timezone.now()
    deliveries = [
        WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now, created_at=now)
        for event in events for endpoint in endpoints
        if (event.only_endpoint_id == endpoint.pk if event.only_endpoint_id else
            type_matches(event.type, endpoint.events))
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    Event.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out=True)
    tasks = _tasks()
    for item in deliveries:
        tasks.enqueue(tasks.attempt_delivery, item.pk, at=now)
    if deliveries:  # the first attempts' watchdog: one for the lot
        tasks.enqueue(tasks.sweep_deliveries, [item.pk for item in deliveries], at=now + _lease() * 2)
    return len(deliveries)


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


@transaction.atomic
def _sweep_due(delivery_ids: Sequence[str]) -> list[str]:
    """Those of ``delivery_ids`` that are due and not under way; those under way get a watchdog of their own
    for when their lease ends (their first attempt started late)."""
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(pk__in=list(delivery_ids), status=DeliveryStatus.PENDING)
    tasks = _tasks()
    due = []
    for pk, lease_until, next_attempt_at in pending.values_list("pk", "lease_until", "next_attempt_at"):
        if lease_until is not None and lease_until > now:
            tasks.enqueue(tasks.attempt_delivery, pk, at=lease_until)
        elif lease_until is not None or next_attempt_at is None or next_attempt_at <= now:
            due.append(pk)
        # else: a retry is scheduled, with its own task
    return due


def webhook_deliveries_sweep(*, delivery_ids: Sequence[str]) -> int:
    """Attempt those of ``delivery_ids`` that are due and not under way (usually none: their first attempts
    came and went). Returns how many were attempted."""
    due = _sweep_due(delivery_ids)
    for pk in due:
        webhook_delivery_attempt(delivery_id=pk)
    return len(due)


# --- attempts ----------------------------------------------------------------------------------------


def retry_delay(next_attempt: int) -> timedelta | None:
    """The wait before attempt ``next_attempt`` (1-based), jittered; None when the schedule has run out."""
    if next_attempt > len(RETRY_SCHEDULE_SECONDS):
        return None
    base = RETRY_SCHEDULE_SECONDS[next_attempt - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


def webhook_payload(event: Event) -> str:
    """The body every endpoint receives: ``{"id", "type", "created_at", "data"}``."""
    return json.dumps({"id": event.pk, "type": event.type, "created_at": event.created_at, "data": event.data},
                      cls=DjangoJSONEncoder, separators=(",", ":"))


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    number: int
    url: str
    secrets: list[str]
    message_id: str
    body: str


@transaction.atomic
def _claim(delivery_id: str) -> Claim | None:
    """Take the next attempt of a due delivery: lease it, and enqueue a watchdog for when the lease ends."""
    item = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event").filter(pk=delivery_id, status=DeliveryStatus.PENDING).first())
    now = timezone.now()
    if item is None or (item.lease_until and item.lease_until > now) or \
            (item.next_attempt_at and item.next_attempt_at > now):
        return None  # done, under way elsewhere, or not due: this trigger is spare
    if item.lease_until is not None:  # the last attempt's worker stopped before recording an answer
        _log_attempt(item, item.attempts, http.Outcome(None, 0, "", "interrupted: no answer was recorded"), now)
    if not item.endpoint.is_active or item.attempts >= len(RETRY_SCHEDULE_SECONDS):
        _log_attempt(item, item.attempts + 1,
                     http.Outcome(None, 0, "", "endpoint disabled" if not item.endpoint.is_active
                                  else "retry schedule exhausted"), now)
        item.fail()
        item.save()
        return None
    item.attempts += 1
    item.lease_until = item.next_attempt_at = now + _lease()
    item.last_attempt_at = now
    item.save(update_fields=["attempts", "lease_until", "next_attempt_at", "last_attempt_at"])
    if item.attempts > 1:  # a retry's watchdog (first attempts share their fan-out's sweep)
        tasks = _tasks()
        tasks.enqueue(tasks.attempt_delivery, item.pk, at=item.lease_until)
    return Claim(delivery_id=item.pk, number=item.attempts, url=item.endpoint.url,
                 secrets=endpoint_signing_secrets(item.endpoint, now), message_id=item.event_id,
                 body=webhook_payload(item.event))


def _log_attempt(item: WebhookDelivery, number: int, outcome: http.Outcome, at: datetime) -> WebhookAttempt:
    return WebhookAttempt.objects.create(
        delivery=item, number=number, attempted_at=at, duration_ms=outcome.duration_ms,
        status_code=outcome.status_code, succeeded=outcome.succeeded, response_excerpt=outcome.excerpt,
        error=outcome.error,
    )


@publishes_events
def _record(claim: Claim, outcome: http.Outcome, attempted_at: datetime) -> WebhookAttempt:
    """Record the answer; on failure schedule the next attempt (or give up), and keep the endpoint's failure
    clock: failing continuously for WEBHOOK_DISABLE_AFTER_DAYS disables it."""
    item = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=claim.delivery_id)
    attempt = _log_attempt(item, claim.number, outcome, attempted_at)
    if item.attempts != claim.number or item.status != DeliveryStatus.PENDING:
        return attempt  # a watchdog took over after the lease ran out; its attempt decides
    item.last_status_code = outcome.status_code
    if outcome.succeeded:
        item.succeed()
        WebhookEndpoint.objects.filter(pk=item.endpoint_id, failing_since__isnull=False).update(failing_since=None)
    else:
        delay = retry_delay(claim.number + 1)
        if delay is None:
            item.fail()
        else:
            item.lease_until, item.next_attempt_at = None, timezone.now() + delay
            tasks = _tasks()
            tasks.enqueue(tasks.attempt_delivery, item.pk, at=item.next_attempt_at)
        _note_failure(item.endpoint)
    item.save()
    return attempt


def _note_failure(endpoint: WebhookEndpoint) -> None:
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True, failing_since__lt=cutoff).update(
        is_active=False, disabled_at=now, updated_at=now)
    if disabled:
        endpoint.refresh_from_db()
        publish("webhook_endpoint.disabled", object_id=endpoint.pk, obj=_endpoint_data(endpoint),
                previous_attributes={"active": True})


def webhook_delivery_attempt(*, delivery_id: str) -> WebhookAttempt | None:
    """One attempt of a delivery, if it is due: claim, POST (outside any transaction), record."""
    claim = _claim(delivery_id)
    if claim is None:
        return None
    attempted_at = timezone.now()
    outcome = http.send(claim.url, secrets=claim.secrets, message_id=claim.message_id, body=claim.body)
    return _record(claim, outcome, attempted_at)


@transaction.atomic
def webhook_delivery_retry(*, delivery_id: str, actor: Actor) -> WebhookDelivery:
    """Send a delivery again now (staff or the integration asked), whatever it came to before."""
    item = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if item is None:
        raise NotFound(f"No webhook delivery {delivery_id!r}.")
    if item.lease_until is not None and item.lease_until > timezone.now():
        raise DeliveryInProgress(delivery_id=item.pk)
    item.resend()
    item.save()
    tasks = _tasks()
    tasks.enqueue(tasks.attempt_delivery, item.pk)
    return item


# --- recovery and retention --------------------------------------------------------------------------

RECOVERY_GRACE = timedelta(minutes=1)
_last_recovery = 0.0


def webhooks_recover(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Start again what lost its trigger (a worker stopped between taking a task and its first write): events
    not fanned out and due deliveries without an attempt under way, a minute after they were due."""
    cutoff = (now or timezone.now()) - RECOVERY_GRACE
    tasks = _tasks()
    events = list(Event.objects.filter(fanned_out=False, created_at__lt=cutoff)
                  .order_by("sequence").values_list("pk", flat=True)[:limit])
    for start in range(0, len(events), 500):
        tasks.enqueue(tasks.fan_out_events, events[start:start + 500])
    deliveries = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
                      .values_list("pk", flat=True)[:limit])
    for pk in deliveries:
        tasks.enqueue(tasks.attempt_delivery, pk)
    return {"events": len(events), "deliveries": len(deliveries)}


def webhooks_recover_now_and_then() -> None:
    """Recovery from inside the workers, at most once a minute per process."""
    global _last_recovery
    if time.monotonic() - _last_recovery < RECOVERY_GRACE.total_seconds():
        return
    _last_recovery = time.monotonic()
    webhooks_recover()


def events_purge(*, older_than: datetime, batch_size: int = 1000) -> int:
    """Delete events created before ``older_than`` with their deliveries and attempts, a batch per
    transaction (short locks, a stop loses nothing but the batch under way). Returns how many events."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(Event.objects.filter(created_at__lt=older_than).order_by("created_at")
                       .values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            WebhookAttempt.objects.filter(delivery__event_id__in=ids).delete()
            WebhookDelivery.objects.filter(event_id__in=ids).delete()
            deleted += Event.objects.filter(pk__in=ids).delete()[0]
