"""Keeping the outbox healthy: recovering work whose trigger was lost (a worker stopped between taking a task
and its first write), and applying EVENT_RETENTION_DAYS."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from ..queue import ATTEMPT_DELIVERY, FAN_OUT_EVENTS, enqueue

RECOVERY_GRACE = timedelta(minutes=1)
_last_recovery = 0.0


def webhooks_recover(*, now: datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Start again what lost its trigger (a worker stopped between taking a task and its first write): events
    not fanned out and due deliveries without an attempt under way, a minute after they were due."""
    cutoff = (now or timezone.now()) - RECOVERY_GRACE
    events = list(Event.objects.filter(fanned_out=False, created_at__lt=cutoff)
                  .order_by("sequence").values_list("pk", flat=True)[:limit])
    for start in range(0, len(events), 500):
        enqueue(FAN_OUT_EVENTS, events[start:start + 500])
    deliveries = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
                      .values_list("pk", flat=True)[:limit])
    for pk in deliveries:
        enqueue(ATTEMPT_DELIVERY, pk)
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
