"""Fanning events out to their endpoints and delivering them: at least once, never one attempt twice.

- **Fan-out** (one task per committed transaction that published events): one delivery per event and subscribed
  endpoint, written in one transaction with a single *sweep* task scheduled for after the first attempts' leases.
  The same task then delivers them at once. It takes up to ``FAN_OUT_BATCH`` other events still waiting too, so
  a backlog (a burst of changes, workers back after a pause) goes out in large chunks, and the tasks of the
  events it took find nothing left to do. Endpoints that are currently failing are left to tasks of their own
  (their retries), so one dead receiver never holds up the others.
- **Attempts**, in chunks: a short transaction claims up to ``CHUNK`` due deliveries (``SELECT … FOR UPDATE SKIP
  LOCKED``) and takes a lease on each; the POSTs go out concurrently, outside any transaction; a second short
  transaction records every answer in bulk, schedules each failure's next attempt (a task with ``run_after``)
  and keeps each endpoint's failure clock. Each failed attempt is logged as a warning (``webhook_attempt_failed``,
  with the endpoint, the status or error, and what comes next); the task's result counts the attempts by outcome.
- **Watchdogs**: the fan-out's sweep covers the first attempts; each retry's claim enqueues its own for when its
  lease ends. A watchdog that finds a lease expired records the attempt as interrupted and tries again.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import NotFound
from synthesq.core.representation import iso_datetime

from .. import delivery as http
from ..events import publish, publishes_events, type_matches
from ..exceptions import DeliveryInProgress
from ..models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ..queue import ATTEMPT_DELIVERY, SWEEP_DELIVERIES, enqueue
from ..representations import event_representation
from .endpoints import endpoint_data, endpoint_signing_secrets

# The wait before attempts 1 to 11: immediately, then seconds (2 s, 10 s), tens of seconds (30 s), minutes (2 min,
# 5 min, 30 min), then hours (2 h, 5 h, 10 h, 10 h) — Standard Webhooks' schedule with a tighter start, so that
# a receiver down for a few seconds (a deploy, a restart) gets its webhook seconds after it is back, not minutes;
# about 28 hours in all, as before. Each wait varies by up to 10 % so that many failing deliveries do not retry
# in one burst.
RETRY_SCHEDULE_SECONDS = (0, 2, 10, 30, 2 * 60, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
JITTER = 0.1
CHUNK = 50  # deliveries claimed, sent and recorded together
FAN_OUT_BATCH = 100  # events one fan-out takes: its own, then others still waiting
GROUPED_UPDATES_MAX = 4  # distinct value sets written as plain UPDATEs; beyond, one bulk_update
SEND_THREADS = 8  # concurrent POSTs of one chunk
INTERRUPTED = "interrupted: no answer was recorded"

logger = structlog.get_logger("synthesq.webhooks")


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def retry_delay(next_attempt: int) -> timedelta | None:
    """The wait before attempt ``next_attempt`` (1-based), jittered; None when the schedule has run out."""
    if next_attempt > len(RETRY_SCHEDULE_SECONDS):
        return None
    base = RETRY_SCHEDULE_SECONDS[next_attempt - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


def webhook_payload(event: Event) -> str:
    """The body every endpoint receives: ``{"id", "type", "created_at", "data"}``, each as ``GET
    /api/v1/events/{id}`` renders it (``created_at`` to the microsecond)."""
    rendered = event_representation(event)
    return json.dumps({key: rendered[key] for key in ("id", "type", "created_at", "data")}, cls=DjangoJSONEncoder,
                      separators=(",", ":"))


# --- fan-out -----------------------------------------------------------------------------------------


@transaction.atomic
def events_fan_out(*, event_ids: Sequence[str]) -> list[str]:
    """Create one delivery per event and subscribed endpoint (or the one endpoint a ping is for). Returns the
    deliveries to attempt now, in this task; those to currently failing endpoints get a task each. Events
    another worker is fanning out are skipped: an event is fanned out once."""
    waiting = Event.objects.select_for_update(skip_locked=True).filter(fanned_out=False)
    events = list(waiting.filter(pk__in=list(event_ids)).order_by("sequence"))
    if len(events) < FAN_OUT_BATCH:
        events += waiting.exclude(pk__in=list(event_ids)).order_by("created_at")[:FAN_OUT_BATCH - len(events)]
    if not events:
        return []
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
    if deliveries:  # the first attempts' watchdog, one for the lot
        enqueue(SWEEP_DELIVERIES, [item.pk for item in deliveries], at=now + _lease() * 2)
    failing = {endpoint.pk for endpoint in endpoints if endpoint.failing_since is not None}
    for item in deliveries:
        if item.endpoint_id in failing:
            enqueue(ATTEMPT_DELIVERY, item.pk, at=now)
    return [item.pk for item in deliveries if item.endpoint_id not in failing]


# --- attempts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    number: int
    endpoint_id: str
    url: str
    secrets: list[str]
    message_id: str
    body: str


@dataclass(frozen=True)
class Result:
    claim: Claim
    outcome: http.Outcome
    attempted_at: datetime


def _attempt_row(item: WebhookDelivery, number: int, outcome: http.Outcome, at: datetime) -> WebhookAttempt:
    return WebhookAttempt(delivery=item, number=number, attempted_at=at, duration_ms=outcome.duration_ms,
                          status_code=outcome.status_code, succeeded=outcome.succeeded,
                          response_excerpt=outcome.excerpt, error=outcome.error)


def _refused(error: str) -> http.Outcome:
    return http.Outcome(status_code=None, duration_ms=0, excerpt="", error=error)


_CLAIM_FIELDS = ["status", "attempts", "lease_until", "next_attempt_at", "last_attempt_at", "completed_at"]


@transaction.atomic
def claim_deliveries(delivery_ids: Sequence[str], *, limit: int = CHUNK) -> list[Claim]:
    """Take the next attempt of up to ``limit`` of ``delivery_ids`` that are due and not under way: lease each
    (and enqueue a retry's watchdog). Those a stopped worker left get an "interrupted" attempt on record; those
    whose endpoint was disabled or whose schedule ran out fail."""
    now = timezone.now()
    items = list(WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                 .select_related("endpoint", "event")
                 .filter(pk__in=list(delivery_ids), status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                 .exclude(lease_until__gt=now).order_by("created_at", "id")[:limit])
    log: list[WebhookAttempt] = []
    claims: list[Claim] = []
    for item in items:
        if item.lease_until is not None:
            log.append(_attempt_row(item, item.attempts, _refused(INTERRUPTED), now))
        if not item.endpoint.is_active or item.attempts >= len(RETRY_SCHEDULE_SECONDS):
            reason = "endpoint disabled" if not item.endpoint.is_active else "retry schedule exhausted"
            log.append(_attempt_row(item, item.attempts + 1, _refused(reason), now))
            item.fail(at=now)
            transaction.on_commit(partial(logger.error, "webhook_delivery_failed", delivery_id=item.pk,
                                          event_id=item.event_id, endpoint_id=item.endpoint_id,
                                          endpoint=_host(item.endpoint.url), reason=reason))
            continue
        item.attempts += 1
        item.lease_until = item.next_attempt_at = now + _lease()
        item.last_attempt_at = now
        if item.attempts > 1:
            enqueue(ATTEMPT_DELIVERY, item.pk, at=item.lease_until)
        claims.append(Claim(delivery_id=item.pk, number=item.attempts, endpoint_id=item.endpoint_id,
                            url=item.endpoint.url, secrets=endpoint_signing_secrets(item.endpoint, now),
                            message_id=item.event_id, body=webhook_payload(item.event)))
    WebhookAttempt.objects.bulk_create(log)
    _save_fields(items, _CLAIM_FIELDS)
    return claims


def _save_fields(items: Sequence[WebhookDelivery], fields: list[str]) -> None:
    """Write ``fields`` of ``items``: one plain UPDATE per distinct set of values (a chunk's deliveries mostly
    share theirs: same lease, same answer), far cheaper to build than ``bulk_update``'s CASE per field and row,
    which stays for chunks whose values are all different."""
    groups: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for item in items:
        groups[tuple(getattr(item, name) for name in fields)].append(item.pk)
    if len(groups) > GROUPED_UPDATES_MAX:
        WebhookDelivery.objects.bulk_update(items, fields)
        return
    for values, ids in groups.items():
        WebhookDelivery.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))


def _send(claim: Claim) -> Result:
    attempted_at = timezone.now()
    outcome = http.send(claim.url, secrets=claim.secrets, message_id=claim.message_id, body=claim.body)
    return Result(claim=claim, outcome=outcome, attempted_at=attempted_at)


def send_all(claims: Sequence[Claim]) -> list[Result]:
    """POST every claimed delivery, concurrently (no database work here)."""
    if len(claims) == 1:
        return [_send(claims[0])]
    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(claims)), thread_name_prefix="webhook") as pool:
        return list(pool.map(_send, claims))


_RECORD_FIELDS = ["status", "lease_until", "next_attempt_at", "last_status_code", "completed_at"]


@dataclass
class RunSummary:
    """What a run of attempts came to (a task's result): attempts made, and how many succeeded or failed."""

    attempts: int = 0
    succeeded: int = 0
    failed: int = 0
    # the failed attempts as recorded, with the next attempt's time (None: given up), logged once committed
    failures: list[tuple[Result, WebhookDelivery, datetime | None]] = field(default_factory=list)

    def add(self, other: RunSummary) -> None:
        self.attempts += other.attempts
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.failures += other.failures

    def log_failures(self) -> None:
        for failure in self.failures:
            _log_failure(*failure)

    def as_dict(self) -> dict[str, int]:
        return {"attempts": self.attempts, "succeeded": self.succeeded, "failed": self.failed}


def _host(url: str) -> str:
    """The endpoint as logs name it: scheme, host and port (a path or query may carry a receiver's token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _log_failure(result: Result, item: WebhookDelivery, next_attempt_at: datetime | None) -> None:
    fields: dict[str, Any] = {
        "delivery_id": item.pk, "event_id": item.event_id, "endpoint_id": item.endpoint_id,
        "endpoint": _host(result.claim.url), "attempt": result.claim.number,
        "status_code": result.outcome.status_code, "error": result.outcome.error or None,
        "duration_ms": result.outcome.duration_ms,
    }
    if next_attempt_at is None:
        logger.error("webhook_delivery_failed", **fields, reason="retry schedule exhausted")
    else:
        logger.warning("webhook_attempt_failed", **fields,
                       next_attempt_at=iso_datetime(next_attempt_at))


@publishes_events
def record_results(results: Sequence[Result]) -> RunSummary:
    """Record every answer; on failure schedule the next attempt (or give up); keep the endpoints' failure clocks:
    an endpoint failing continuously for WEBHOOK_DISABLE_AFTER_DAYS is disabled. Returns what the attempts came
    to, the failures with it (the caller logs them once they are on record)."""
    items = WebhookDelivery.objects.select_for_update().in_bulk([result.claim.delivery_id for result in results])
    now = timezone.now()
    succeeded: set[str] = set()
    failed: set[str] = set()
    changed: list[WebhookDelivery] = []
    summary = RunSummary(attempts=len(results))
    for result in results:
        item = items[result.claim.delivery_id]
        if result.outcome.succeeded:
            summary.succeeded += 1
        else:
            summary.failed += 1
        if item.attempts != result.claim.number or item.status != DeliveryStatus.PENDING:
            continue  # a watchdog took over after the lease ran out; its attempt decides
        item.last_status_code = result.outcome.status_code
        if result.outcome.succeeded:
            item.succeed(at=now)
            succeeded.add(item.endpoint_id)
        else:
            delay = retry_delay(result.claim.number + 1)
            if delay is None:
                item.fail(at=now)
            else:
                item.lease_until, item.next_attempt_at = None, timezone.now() + delay
                enqueue(ATTEMPT_DELIVERY, item.pk, at=item.next_attempt_at)
            summary.failures.append((result, item, item.next_attempt_at if delay is not None else None))
            failed.add(item.endpoint_id)
        changed.append(item)
    WebhookAttempt.objects.bulk_create([
        _attempt_row(items[result.claim.delivery_id], result.claim.number, result.outcome, result.attempted_at)
        for result in results
    ])
    _save_fields(changed, _RECORD_FIELDS)
    if succeeded:
        WebhookEndpoint.objects.filter(pk__in=succeeded, failing_since__isnull=False).update(failing_since=None)
    for endpoint_id in sorted(failed - succeeded):
        _note_failure(endpoint_id)
    return summary


def _note_failure(endpoint_id: str) -> None:
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True, failing_since__lt=cutoff).update(
        is_active=False, disabled_at=now, updated_at=now)
    if disabled:
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        publish("webhook_endpoint.disabled", object_id=endpoint.pk, obj=endpoint_data(endpoint),
                previous_attributes={"active": True})


def webhook_deliveries_run(*, delivery_ids: Sequence[str]) -> RunSummary:
    """Attempt those of ``delivery_ids`` that are due, a chunk at a time: claim, send, record. Returns how many
    attempts were made, and how many succeeded or failed."""
    summary = RunSummary()
    ids = list(delivery_ids)
    for start in range(0, len(ids), CHUNK):
        claims = claim_deliveries(ids[start:start + CHUNK])
        if claims:
            recorded = record_results(send_all(claims))
            recorded.log_failures()  # once on record
            summary.add(recorded)
    return summary


@transaction.atomic
def _sweep_due(delivery_ids: Sequence[str]) -> list[str]:
    """Those of ``delivery_ids`` that are due and not under way; those under way get a watchdog of their own
    for when their lease ends (their first attempt started late)."""
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(pk__in=list(delivery_ids), status=DeliveryStatus.PENDING)
    due = []
    for pk, lease_until, next_attempt_at in pending.values_list("pk", "lease_until", "next_attempt_at"):
        if lease_until is not None and lease_until > now:
            enqueue(ATTEMPT_DELIVERY, pk, at=lease_until)
        elif lease_until is not None or next_attempt_at is None or next_attempt_at <= now:
            due.append(pk)
        # else: a retry is scheduled, with its own task
    return due


def webhook_deliveries_sweep(*, delivery_ids: Sequence[str]) -> RunSummary:
    """Attempt those of ``delivery_ids`` that are due and not under way (usually none: their first attempts
    came and went). Returns what the attempts came to."""
    return webhook_deliveries_run(delivery_ids=_sweep_due(delivery_ids))


@transaction.atomic
def webhook_delivery_retry(*, delivery_id: str, actor: Actor) -> WebhookDelivery:
    """Send a delivery again now (staff or the integration asked), whatever it came to before."""
    require_permission(actor, "integrations.change_webhookdelivery", "Your role may not resend webhook deliveries.")
    item = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if item is None:
        raise NotFound(f"No webhook delivery {delivery_id!r}.")
    if item.lease_until is not None and item.lease_until > timezone.now():
        raise DeliveryInProgress(delivery_id=item.pk)
    item.resend()
    item.save()
    enqueue(ATTEMPT_DELIVERY, item.pk)
    return item
