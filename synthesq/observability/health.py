"""Health probes for load balancers and orchestrators, built on django-health-check.

- ``/healthz`` (liveness): the process answers. Touches nothing else, so a database outage does not get every
  node restarted.
- ``/readyz`` (readiness): the node can serve: PostgreSQL answers, every migration this code knows is applied,
  the shared cache answers when one is configured (``CACHES`` other than local memory). A failing check
  makes it ``503`` so the balancer stops sending traffic until it recovers. It never looks at the task queue:
  stalled task workers are not a web node's fault, and taking every node out of the balancer for them would
  turn late webhooks into a full outage.
- ``/healthz/tasks`` (the task queue, for alerting): ``503`` when the oldest due task has waited longer than
  ``TASKS_MAX_AGE_SECONDS`` (the workers are down or behind), with that wait in the body. Point an uptime check
  or an alert at it, never the balancer.

They answer JSON (``{"status": "ok", "checks": {"database": "ok", ...}}``), need no authentication and say
nothing about internals: each check is ``ok`` or ``unavailable``; the reason goes to the log
(logger ``health_check``), not to the caller.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

# Cache backends that live inside the process: nothing to probe.
_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration this code ships is applied on ``alias`` (a node started before the release step ran
    ``migrate``, or rolled back, is not ready)."""

    alias: str = "default"

    def run(self) -> None:
        from django.db.migrations.executor import MigrationExecutor

        connection = connections[self.alias]
        opened_here = connection.connection is None
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            raise ServiceUnavailable("database unreachable") from exc
        finally:
            if opened_here:  # checks run in a worker thread: leave no connection behind in it
                connection.close()
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migration(s) not applied")


def readiness_checks() -> dict[str, HealthCheck]:
    checks: dict[str, HealthCheck] = {
        "database": Database(alias="default"),
        "migrations": MigrationsApplied(alias="default"),
    }
    if settings.CACHES.get("default", {}).get("BACKEND") not in _LOCAL_CACHES:
        checks["cache"] = Cache(alias="default")
    return checks


def task_queue_checks() -> dict[str, HealthCheck]:
    if not _database_task_backend():  # another backend brings its own monitoring
        return {}
    return {"tasks": TaskQueueFresh(max_age=settings.TASKS_MAX_AGE_SECONDS)}


def _database_task_backend() -> bool:
    return str(settings.TASKS.get("default", {}).get("BACKEND", "")).startswith("django_tasks_db.")


@dataclasses.dataclass
class TaskQueueFresh(HealthCheck):
    """The task workers keep up: the oldest task that is due has waited less than ``max_age`` seconds (the
    database task backend; another backend brings its own monitoring)."""

    max_age: int = 300
    oldest_due_seconds: float | None = dataclasses.field(default=None, init=False)

    def run(self) -> None:
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult, get_date_max

        connection = connections["default"]
        opened_here = connection.connection is None
        try:
            oldest = (DBTaskResult.objects.ready().order_by("run_after", "enqueued_at")
                      .values_list("run_after", "enqueued_at").first())
        except DatabaseError as exc:
            raise ServiceUnavailable("database unreachable") from exc
        finally:
            if opened_here:
                connection.close()
        if oldest is None:
            self.oldest_due_seconds = 0.0
            return
        due = oldest[1] if oldest[0] == get_date_max() else oldest[0]
        self.oldest_due_seconds = round(max((timezone.now() - due).total_seconds(), 0.0), 1)
        if self.oldest_due_seconds > self.max_age:
            raise ServiceUnavailable("the task queue is behind")


class ProbeView(HealthCheckView):
    """Runs the named checks together (django-health-check's runner: sync checks in threads, each with its
    timeout) and answers JSON whatever the Accept header says. The base view's ``dispatch`` keeps the probe
    outside ATOMIC_REQUESTS and marks the answer never-cache."""

    probes: dict[str, HealthCheck] = {}

    def named_checks(self) -> dict[str, HealthCheck]:
        return self.probes

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        named = self.named_checks()
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in named.values()))
        checks = {name: ("unavailable" if result.error else "ok")
                  for name, result in zip(named, results, strict=True)}
        ready = all(state == "ok" for state in checks.values())
        body: dict[str, Any] = {"status": "ok" if ready else "unavailable", "checks": checks}
        body.update(self.figures(named))
        return JsonResponse(body, status=200 if ready else 503)

    def figures(self, named: dict[str, HealthCheck]) -> dict[str, Any]:
        """Figures added to the body beside the checks (none for the node's probes)."""
        return {}


class LivenessView(ProbeView):
    """``/healthz``: no checks; the process answers."""


class ReadinessView(ProbeView):
    def named_checks(self) -> dict[str, HealthCheck]:
        return readiness_checks()


class TaskQueueView(ProbeView):
    """``/healthz/tasks``: the task queue keeps up, for an alert (not for the balancer). Adds how long the oldest
    due task has waited (``null`` when the database did not answer) and the limit, so the alert can say both."""

    def named_checks(self) -> dict[str, HealthCheck]:
        return task_queue_checks()

    def figures(self, named: dict[str, HealthCheck]) -> dict[str, Any]:
        check = named.get("tasks")
        if not isinstance(check, TaskQueueFresh):
            return {}
        return {"oldest_due_seconds": check.oldest_due_seconds, "max_age_seconds": check.max_age}


liveness = LivenessView.as_view()
readiness = ReadinessView.as_view()
task_queue = TaskQueueView.as_view()
