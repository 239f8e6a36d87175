"""Enqueueing background work by its task's name.

The tasks (``tasks.py``) are thin and call the services; the services and the publishing of events enqueue
tasks. Naming the task here, rather than importing it, keeps the imports running one way (tasks → services →
publishing → queue), as Django names its backends and middleware in settings. The task is found when it is
enqueued, so a name that names no task fails at once, in the caller's transaction.

``task_row`` builds, unsaved, the row the database backend's ``enqueue`` writes, for a caller that writes it with
a statement it sends anyway (the events' insert): ``announce`` then sends ``task_enqueued`` as ``enqueue`` does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult

TASKS_MODULE = "integrations.tasks"
FAN_OUT_EVENTS = "fan_out_events"
ATTEMPT_DELIVERY = "attempt_delivery"
SWEEP_DELIVERIES = "sweep_deliveries"


def task_named(name: str) -> Task[..., Any]:
    task = import_string(f"{TASKS_MODULE}.{name}")
    if not isinstance(task, Task):
        raise TypeError(f"{TASKS_MODULE}.{name} is not a task")
    return task


def enqueue(name: str, *args: Any, at: datetime | None = None) -> None:
    """Enqueue the task ``name`` to run at ``at`` (default: now). Work due now carries the time it was due, so
    due tasks are taken oldest first, ahead of those scheduled for later (a backend keeping "no date" last would
    otherwise make every worker read past the scheduled ones first)."""
    task_named(name).using(run_after=at or timezone.now()).enqueue(*args)


def task_row(name: str, *args: Any) -> DBTaskResult | None:
    """The row ``enqueue(name, *args)`` would write, unsaved (its ``enqueued_at`` is stamped when it is written,
    as ``auto_now_add`` stamps it): the same values, built as django-tasks' database backend builds them (its
    ``_task_to_db_task``, which saves at once). None when the task's backend is another kind: ``enqueue`` then."""
    task = task_named(name).using(run_after=timezone.now())
    backend = task.get_backend()
    if type(backend) is not DatabaseBackend:
        return None
    backend.validate_task(task)
    return DBTaskResult(id=backend._get_id(), args_kwargs=normalize_json({"args": args, "kwargs": {}}),
                        priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
                        run_after=task.run_after, backend_name=backend.alias)


def announce(row: DBTaskResult) -> None:
    """Once ``row`` (``task_row``) is written: django-tasks' ``task_enqueued`` signal, as its ``enqueue`` sends it."""
    task_enqueued.send(DatabaseBackend, task_result=row.task_result)
