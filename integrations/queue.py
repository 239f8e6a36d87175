"""Enqueueing background work by its task's name.

The tasks (``tasks.py``) are thin and call the services; the services and the publishing of events enqueue
tasks. Naming the task here, rather than importing it, keeps the imports running one way (tasks → services →
publishing → queue), as Django names its backends and middleware in settings. The task is found when it is
enqueued, so a name that names no task fails at once, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

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
