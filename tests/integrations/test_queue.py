"""The fan-out task written with its events (``queue.task_row``, one statement on PostgreSQL) is the row
django-tasks' database backend writes for ``enqueue``, and a ``db_worker`` runs it."""

from __future__ import annotations

from typing import Any

import pytest
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from integrations import services
from integrations.models import Event
from integrations.queue import FAN_OUT_EVENTS, enqueue
from sales import services as sales

from .helpers import receiver

# every column but the row's own id, its time stamps and its arguments (the events it names)
SAME = ("status", "started_at", "finished_at", "priority", "task_path", "worker_ids", "queue_name", "backend_name",
        "return_value", "exception_class_path", "traceback")


def _columns(row: DBTaskResult) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SAME}


@pytest.mark.django_db
def test_the_task_written_with_the_events_is_the_row_enqueue_writes() -> None:
    # given a change that publishes an event
    sales.customer_create(actor=None, name="Acme", email="a@acme.example")
    written = DBTaskResult.objects.get()
    event_ids = list(Event.objects.values_list("pk", flat=True))
    # when django-tasks' backend enqueues the same task for the same events
    enqueue(FAN_OUT_EVENTS, event_ids)
    enqueued = DBTaskResult.objects.exclude(pk=written.pk).get()
    # then both rows hold the same columns, arguments included, a task ready to run now
    assert _columns(written) == _columns(enqueued)
    assert written.args_kwargs == enqueued.args_kwargs == {"args": [event_ids], "kwargs": {}}
    assert written.run_after <= written.enqueued_at
    assert written.status == "READY" and written.task_path == "integrations.tasks.fan_out_events"
    # and the result is SQL NULL in both (not a JSON null), as the backend stores a task not run yet
    assert DBTaskResult.objects.filter(return_value__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_worker_runs_the_task_written_with_the_events_and_delivers(monkeypatch: pytest.MonkeyPatch) -> None:
    # given an endpoint subscribed to new customers and a customer created (its event and its task written)
    with receiver() as hook:
        services.webhook_endpoint_create(url=hook.url, events=["customer.created"], actor=None)
        sales.customer_create(actor=None, name="Acme", email="a@acme.example")
        task = DBTaskResult.objects.get(task_path="integrations.tasks.fan_out_events")
        # when django-tasks' worker (its own loop: it picks what is due, claims it, runs it) runs what is due, in
        # the test's transaction (so its connection check between tasks must leave the connection alone)
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        db_worker.Worker(queue_names=["*"], excluded_queue_names=[], interval=0, batch=True, backend_name="default",
                         startup_delay=False, max_tasks=None, worker_id="test-worker").run()
        # then it ran the task, which fanned the event out and delivered it
        task.refresh_from_db()
        assert task.status == "SUCCESSFUL" and task.worker_ids == ["test-worker"]
        assert Event.objects.get(type="customer.created").fanned_out
        assert [request.path for request in hook.received] == ["/hooks"]
