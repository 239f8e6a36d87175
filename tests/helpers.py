"""Helpers shared by the tests of every app: problem-details assertions, page walking, the rows of the database
before and after a refused action (``rows_of``), and running work in real parallel threads (each on its own
database connection) for the PostgreSQL concurrency tests."""

from __future__ import annotations

import importlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any
from unittest import mock

from django.db import connection
from django.db.models import Model

PROBLEM = "application/problem+json"


def rows_of(*models: type[Model]) -> dict[str, list[dict[str, Any]]]:
    """Every row of these models, field by field, in primary-key order: taken before and after a refused action,
    the two are equal when it changed nothing (``assert rows_of(Order, OrderEvent) == before``)."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and code; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:synthesq:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


def error_fields(body: dict[str, Any]) -> list[str | None]:
    return [error["field"] for error in body["errors"]]


def follow_pages(api: Any, url: str) -> tuple[list[dict[str, Any]], int]:
    """Every result reached by following ``next`` from ``url``, and the number of pages read."""
    results: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        pages += 1
        url = body["next"]
        assert pages < 100, "pagination does not end"
    return results, pages


def run_in_threads(works: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run each callable in its own thread, all released together; each thread closes its connection.
    Returns the outcomes (a value or the raised exception) in the order of ``works``."""
    barrier = threading.Barrier(len(works))
    outcomes: list[Any] = [None] * len(works)

    def target(index: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = work()
        except BaseException as exc:  # collected, and asserted on by the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def wait_until_backend_waits_for_a_lock(pid: int, done: threading.Event, timeout: float = 10) -> None:
    """Return once backend ``pid`` waits for a lock, or its work is ``done`` (it needed no lock we hold)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline and not done.is_set():
            # pg_locks is live (pg_stat_activity would be a snapshot frozen for this transaction)
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    if not done.is_set():
        raise RuntimeError(f"backend {pid} neither finished nor waited for a lock")


def gunicorn_configuration() -> ModuleType:
    """``synthesq.gunicorn_conf`` imported without keeping what importing it sets in the environment (a node's
    metrics directory: this process's metrics must stay its own)."""
    with mock.patch.dict(os.environ):
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        module = importlib.import_module("synthesq.gunicorn_conf")
        shutil.rmtree(os.environ.get("SYNTHESQ_TEMPORARY_METRICS_DIR", "/nonexistent"), ignore_errors=True)
    return module
