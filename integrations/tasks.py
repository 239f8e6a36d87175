"""Background work on Django's task framework (``django-tasks``; the database backend by default, so a task is
enqueued by an INSERT in the caller's transaction). Tasks take ids, are safe to run twice, and call services.
The services and the publishing enqueue them by name (``queue.py``): imports run one way, from here down.

A delivery task succeeds when it did its work — attempt what was due, record every answer, schedule the retries —
whatever the receivers answered: its result counts the attempts by outcome (``{"attempts", "succeeded",
"failed"}``), and each failed attempt is a warning of its own (``webhook_attempt_failed``, logger
``synthesq.webhooks``) naming the delivery, the endpoint, the status or error and the next attempt. A receiver's
failure is not the task's: failing the task would log it as an exception (an error report per receiver outage)
while the retry is already scheduled on the delivery."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def fan_out_events(event_ids: list[str]) -> dict[str, int]:
    """Create the deliveries of these events to the endpoints subscribed to them, and deliver them."""
    summary = services.webhook_deliveries_run(delivery_ids=services.events_fan_out(event_ids=event_ids))
    services.webhooks_recover_now_and_then()
    return summary.as_dict()


@task()
def sweep_deliveries(delivery_ids: list[str]) -> dict[str, int]:
    """After a fan-out's first attempts were due: attempt any of its deliveries whose first attempt was lost
    (its worker stopped), so a stopped worker loses nothing."""
    return services.webhook_deliveries_sweep(delivery_ids=delivery_ids).as_dict()


@task()
def attempt_delivery(delivery_id: str) -> dict[str, int]:
    """Try one delivery if it is due (a later trigger of a delivery already done or under way does nothing)."""
    summary = services.webhook_deliveries_run(delivery_ids=[delivery_id])
    services.webhooks_recover_now_and_then()
    return summary.as_dict()
