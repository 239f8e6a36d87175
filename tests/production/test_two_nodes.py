"""The proof on several nodes: two gunicorn nodes (production settings) on one PostgreSQL database, the
concurrency scenarios split across both over HTTP, then every invariant (bench/multinode.py says which).

The same scenarios run by hand with figures: ``make bench-nodes``.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from django.db.models import F

from bench.multinode import Cluster, check_invariants, make_tokens, run_scenarios
from bench.nodes import running_nodes
from integrations.models import DeliveryStatus, Event, WebhookDelivery
from integrations.services import webhook_endpoint_create
from inventory.models import Product
from tests.integrations.helpers import receiver

from .helpers import database_url_for_processes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

METRICS_TOKEN = "multinode-metrics-token"


def _moves_counted(node_url: str) -> float:
    response = requests.get(f"{node_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return sum(float(line.rsplit(" ", 1)[1]) for line in response.text.splitlines()
               if line.startswith("synthesq_order_moves_total{"))


def _all_delivered() -> bool:
    pending = WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists()
    return not pending and not Event.objects.filter(fanned_out=False).exists()


def test_two_nodes_on_one_database_hold_every_invariant(tmp_path: Path) -> None:
    # given two web nodes on the test database, each with a task worker, and an integration subscribed to all
    with receiver() as hook, running_nodes(
        2, database_url=database_url_for_processes(), workers=2, log_dir=tmp_path, task_workers=True,
        extra_env={"METRICS_TOKEN": METRICS_TOKEN, "WEBHOOK_ALLOW_PRIVATE_URLS": "1"},
    ) as nodes:
        webhook_endpoint_create(url=hook.url, events=["*"], actor=None)
        assert len({node.port for node in nodes}) == 2
        cluster = Cluster(nodes=nodes, tokens=make_tokens())
        # when the races run split across both nodes (confirms, payments, a batch close on each, numbering)
        results = run_scenarios(cluster)
        # then every invariant holds
        assert check_invariants(results) == []
        # and both nodes did their share of the moves (each node's workers add up in its own /metrics)
        assert all(_moves_counted(node.url) > 0 for node in nodes)
        # and the races had winners and losers as expected
        assert sorted(set(results["confirm"]["statuses"].values())) == [200, 422]
        assert sorted(results["payments"]["statuses"]) == [201] * 3 + [422] * 5
        assert sum(report["closed"] for report in results["close"]["reports"]) == len(results["close"]["order_ids"])
        # and the two task workers delivered every event of it once, each in one attempt
        deadline = time.monotonic() + 120
        while not _all_delivered():
            assert time.monotonic() < deadline, "webhooks not delivered in time"
            time.sleep(0.5)
        time.sleep(0.5)
        received = Counter(hook.ids())
        assert set(received) == set(Event.objects.values_list("pk", flat=True))
        assert set(received.values()) == {1}
        assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
    # and the checker is not blind: stock changed behind the ledger's back is reported
    Product.objects.filter(pk=results["confirm"]["product_id"]).update(stock_quantity=F("stock_quantity") + 1)
    assert any("ledger" in problem for problem in check_invariants(results))
    # and the nodes are gone once the proof is over
    assert all(node.process.poll() is not None for node in nodes)
