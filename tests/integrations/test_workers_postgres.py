"""Real workers (``manage.py db_worker`` in their own processes) on PostgreSQL: a worker killed in the middle of a
delivery leaves it to be retried, not lost; two workers never deliver one attempt twice; and a client paging
through /api/v1/events while others write sees every event exactly once, in order."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from integrations import services
from integrations.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from sales import services as sales
from tests.helpers import run_in_threads

from .helpers import EVENTS_URL, receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_worker() -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start ``manage.py db_worker`` processes on the test database; all are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthesq.settings.test",
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_LEASE_SECONDS": "3",
    }

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.05", "--no-reload",
             "--no-startup-delay", "--verbosity", "0"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # (logs: stderr, never read)
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=10)


def _wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _delivered(count: int) -> Callable[[], bool]:
    return lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() >= count


def test_a_worker_killed_mid_delivery_leaves_it_to_be_retried(
    start_worker: Callable[[], subprocess.Popen[bytes]],
) -> None:
    gate = threading.Event()
    with receiver(hold=gate) as hook:
        # given an endpoint whose receiver has not answered yet while a worker is sending to it
        services.webhook_endpoint_create(url=hook.url, events=["customer.created"], actor=None)
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        first = start_worker()
        assert hook.arrived.wait(30), "the first worker never sent"
        # when that worker is killed mid-delivery, and another worker runs
        first.kill()
        first.wait(timeout=10)
        gate.set()
        start_worker()
        _wait_for(_delivered(1))
    # then the delivery was retried (same webhook-id) and succeeded, the killed attempt on record
    item = WebhookDelivery.objects.get()
    assert hook.ids() == [item.event_id, item.event_id]
    log = list(item.attempt_log.values_list("number", "succeeded", "error"))
    assert log == [(1, False, "interrupted: no answer was recorded"), (2, True, "")]


def test_two_workers_never_deliver_one_attempt_twice(start_worker: Callable[[], subprocess.Popen[bytes]]) -> None:
    with receiver() as hook:
        # given 150 events for one endpoint
        services.webhook_endpoint_create(url=hook.url, events=["customer.created"], actor=None)
        for index in range(150):
            sales.customer_create(actor=None, name=f"Customer {index}", email=f"c{index}@example.com")
        # when two workers deliver them
        start_worker()
        start_worker()
        _wait_for(_delivered(150))
        time.sleep(0.5)  # anything sent twice would have arrived by now
    # then every event arrived exactly once, in one attempt each
    counts = Counter(hook.ids())
    assert len(counts) == 150 and set(counts.values()) == {1}
    assert WebhookAttempt.objects.count() == 150
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_the_events_api_pages_without_gaps_while_others_write(client_for: Callable[..., APIClient]) -> None:
    api = client_for("integrations")
    writers_done = threading.Event()

    def writer(prefix: str) -> None:
        for index in range(25):
            sales.customer_create(actor=None, name=f"{prefix} {index}", email=f"{prefix}{index}@example.com")

    def writers() -> None:
        try:
            run_in_threads([lambda p=p: writer(p) for p in ("a", "b", "c", "d")])
        finally:
            writers_done.set()

    background = threading.Thread(target=writers)
    background.start()
    # a client reads as the events come, always asking for what came after the last one it saw
    seen: list[dict] = []
    while True:
        done = writers_done.is_set()
        query = f"?sort=created_at&limit=7{'&after=' + seen[-1]['id'] if seen else ''}"
        url: str | None = EVENTS_URL + query
        while url:
            response = api.get(url)
            assert response.status_code == 200, response.content
            page = response.json()
            seen.extend(page["results"])
            url = page["next"]
        if done:
            break
        time.sleep(0.01)
    background.join(timeout=60)
    sequences = list(Event.objects.filter(pk__in=[event["id"] for event in seen])
                     .order_by("sequence").values_list("sequence", flat=True))
    assert len(seen) == len({event["id"] for event in seen}) == Event.objects.count() == 100
    assert [event["id"] for event in seen] == list(Event.objects.order_by("sequence").values_list("pk", flat=True))
    assert sequences == list(range(1, 101))
