"""Background work on Django's task framework (``django-tasks``; the database backend by default, so a task is
enqueued by an INSERT in the caller's transaction). Tasks take ids, are safe to run twice, and call services."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def fan_out_events(event_ids: list[str]) -> int:
    """Create the deliveries of these events to the endpoints subscribed to them, and start each."""
    created = services.events_fan_out(event_ids=event_ids)
    services.webhooks_recover_now_and_then()
    return created


@task()
def attempt_delivery(delivery_id: str) -> None:
    """Try one delivery if it is due (a later trigger of a delivery already done or under way does nothing)."""
    services.webhook_delivery_attempt(delivery_id=delivery_id)
    services.webhooks_recover_now_and_then()
