"""The probes as a balancer and an alert see them, on a real node with the HTTPS redirect on: a stalled task queue
turns /healthz/tasks (the alert) to 503 and leaves /readyz (the balancer's probe) at 200, so stopped task workers
never take the web nodes out of the balancer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from bench.nodes import running_nodes
from integrations.queue import FAN_OUT_EVENTS, enqueue

from .helpers import database_url_for_processes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_stalled_task_queue_alerts_without_taking_the_node_out_of_the_balancer(tmp_path: Path) -> None:
    # given a node configured as the README used to recommend (TASKS_READY_MAX_AGE_SECONDS, now the queue alert's
    # threshold under its former name), with the HTTPS redirect on, and no task worker running
    extra = {"TASKS_READY_MAX_AGE_SECONDS": "60", "SECURE_SSL_REDIRECT": "1"}
    with running_nodes(1, database_url=database_url_for_processes(), workers=1, log_dir=tmp_path,
                       extra_env=extra) as [node]:
        healthy = requests.get(f"{node.url}/healthz/tasks", timeout=10, allow_redirects=False)
        assert healthy.status_code == 200, healthy.text
        assert healthy.json()["checks"] == {"tasks": "ok"} and healthy.json()["max_age_seconds"] == 60
        # when a task has waited five minutes (the workers are stopped)
        enqueue(FAN_OUT_EVENTS, [], at=timezone.now() - timedelta(minutes=5))
        # then the queue's endpoint alerts, with the wait
        alert = requests.get(f"{node.url}/healthz/tasks", timeout=10, allow_redirects=False)
        assert alert.status_code == 503
        assert alert.json()["checks"] == {"tasks": "unavailable"} and alert.json()["oldest_due_seconds"] >= 300
        # and the balancer's probe still says the node serves (plain HTTP: the probes are not redirected)
        ready = requests.get(f"{node.url}/readyz", timeout=10, allow_redirects=False)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
        # (while the API itself is redirected to HTTPS)
        api = requests.get(f"{node.url}/api/v1/sales/orders", timeout=10, allow_redirects=False)
        assert api.status_code == 301 and api.headers["Location"].startswith("https://")
