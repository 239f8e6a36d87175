"""Health probes: /healthz (the process answers; no database), /readyz (database reachable, migrations
applied, the shared cache when configured; never the task queue) and /healthz/tasks (the task queue keeps up,
for alerting), JSON, no authentication, nothing internal in the body."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from bench.nodes import free_ports

ROOT = Path(__file__).resolve().parents[2]


def test_liveness_answers_without_touching_the_database() -> None:
    # (no django_db mark: any database access would raise)
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {}}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_checks_the_database_and_the_migrations() -> None:
    response = Client().get("/readyz", HTTP_ACCEPT="text/html")  # JSON whatever is asked for
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


@pytest.mark.django_db
def test_readiness_checks_a_shared_cache_when_one_is_configured(tmp_path: Path) -> None:
    cache = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}
    with override_settings(CACHES=cache):
        response = Client().get("/readyz")
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "cache": "ok"}


def _readyz_in_a_process(database_url: str) -> tuple[int, dict[str, object], str]:
    """GET /readyz from a fresh process whose DATABASE_URL is ``database_url``."""
    code = (
        "import django, json; django.setup(); from django.test import Client; r = Client().get('/readyz'); "
        "print(r.status_code); print(r.content.decode())"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=90, check=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "synthesq.settings.production", "SECRET_KEY": secrets.token_urlsafe(50),
             "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "DATABASE_URL": database_url,
             "LOG_LEVEL": "CRITICAL"},
    )
    status, body = result.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body), body


def test_readiness_fails_when_postgresql_does_not_answer() -> None:
    # given a node whose PostgreSQL is down (nothing listens on its port)
    dead = free_ports(1)[0]
    # when the balancer asks whether it is ready
    status, body, raw = _readyz_in_a_process(f"postgres://postgres@127.0.0.1:{dead}/synthesq")
    # then it is not, and the answer names the failed checks without internals (no address, no error text)
    assert status == 503
    assert body == {"status": "unavailable", "checks": {"database": "unavailable", "migrations": "unavailable"}}
    assert str(dead) not in raw and "127.0.0.1" not in raw and "connection" not in raw.lower()


def test_readiness_fails_while_migrations_are_pending(tmp_path: Path) -> None:
    # given a database that answers but has never been migrated
    status, body, _raw = _readyz_in_a_process(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    # then the node is not ready: the database answers, the migrations are missing
    assert status == 503
    assert body["checks"] == {"database": "ok", "migrations": "unavailable"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_stalled_task_queue_is_an_alert_not_a_web_nodes_readiness(settings: object) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from integrations.queue import FAN_OUT_EVENTS, enqueue

    settings.TASKS_MAX_AGE_SECONDS = 60  # type: ignore[attr-defined]
    # given workers that keep up: a task due just now
    enqueue(FAN_OUT_EVENTS, [])
    fresh = Client().get("/healthz/tasks")
    assert fresh.status_code == 200, fresh.content
    assert fresh["Content-Type"] == "application/json" and "no-store" in fresh["Cache-Control"]
    body = fresh.json()
    assert (body["status"], body["checks"], body["max_age_seconds"]) == ("ok", {"tasks": "ok"}, 60)
    assert 0 <= body["oldest_due_seconds"] < 60
    # when a task has been due for two minutes (the workers are stopped or behind)
    enqueue(FAN_OUT_EVENTS, [], at=timezone.now() - timedelta(minutes=2))
    stale = Client().get("/healthz/tasks")
    # then the queue's endpoint alerts, saying how long the oldest due task has waited
    assert stale.status_code == 503
    assert stale.json()["checks"] == {"tasks": "unavailable"}
    assert 120 <= stale.json()["oldest_due_seconds"] < 180
    # and the web node stays ready: the balancer keeps sending it traffic
    ready = Client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_the_former_readiness_setting_sets_the_queues_alert_threshold() -> None:
    # given an operator who set the variable the README used to recommend for /readyz
    code = "import django; django.setup(); from django.conf import settings; print(settings.TASKS_MAX_AGE_SECONDS)"
    env = {k: v for k, v in os.environ.items() if k not in {"TASKS_MAX_AGE_SECONDS", "TASKS_READY_MAX_AGE_SECONDS"}}
    env |= {"DJANGO_SETTINGS_MODULE": "synthesq.settings.base", "DEBUG": "1", "LOG_LEVEL": "CRITICAL"}

    def threshold(**extra: str) -> str:
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                check=True, env={**env, **extra})
        return result.stdout.strip().splitlines()[-1]
    # then it now sets the alert's threshold (and nothing about readiness); the new name wins; 5 minutes by default
    assert threshold(TASKS_READY_MAX_AGE_SECONDS="120") == "120"
    assert threshold(TASKS_READY_MAX_AGE_SECONDS="120", TASKS_MAX_AGE_SECONDS="45") == "45"
    assert threshold() == "300"
