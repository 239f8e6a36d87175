"""The concurrency scenarios driven over HTTP across several web nodes, and the invariants checked after.

Shared by ``bench/two_nodes.py`` and ``tests/production/test_two_nodes.py``. Django must be set up on the
nodes' database in this process (API tokens are made here, and the invariants are read from the tables).
Requests go round-robin over the nodes, so every race has contenders on both.

Scenarios:
- ``confirm_race``: 50 drafts of 1-3 units confirmed at once against a product with 10 in stock.
- ``payment_race``: 8 payments of 30.00 at once on one invoice of 100.00.
- ``batch_close_race``: ``close_delivered_orders`` started on each node at the same moment.
- ``numbering_race``: orders created at once on both nodes.
Invariants (``check_invariants``): stock equals its ledger and is never negative; exactly the orders that fit
were confirmed; every invoice's amount_paid equals its payments and never exceeds its total; order and invoice
numbers are unique and gap-free; each order was closed once, by one run.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import requests
from django.db import connection, transaction

from bench.nodes import ROOT, Node

API = "/api/v1"
ADDRESS = {"line1": "1 Market Street", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
TRACKING = {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}


@dataclass
class Cluster:
    """The nodes, a token per role, and a round-robin over the nodes' URLs."""

    nodes: Sequence[Node]
    tokens: dict[str, str]
    _next: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._next = itertools.cycle([node.url for node in self.nodes])

    def url(self) -> str:
        with self._lock:
            return str(next(self._next))

    def call(self, role: str, method: str, path: str, body: Any = None, *, base: str | None = None
             ) -> requests.Response:
        return requests.request(
            method, f"{base or self.url()}{API}{path}", json=body, timeout=30,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
        )

    def ok(self, role: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.call(role, method, path, body)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return dict(response.json())


def make_tokens() -> dict[str, str]:
    """An API user and token per role (services, in this process's database = the nodes' database)."""
    from synthesq.core.services import api_token_create, api_user_provision

    tokens = {}
    for role in ("sales", "warehouse", "finance"):
        user, _created = api_user_provision(username=f"multinode-{role}", groups=[role])
        _token, plain = api_token_create(user=user, name="multi-node proof")
        tokens[role] = plain
    return tokens


def run_together(works: Sequence[Callable[[], Any]], *, max_threads: int = 64) -> list[Any]:
    """Run the callables on up to ``max_threads`` threads released together at a barrier (so the first ones
    start at the same moment); returns the outcomes in order (a value, or the exception raised)."""
    outcomes: list[Any] = [None] * len(works)
    pending = list(enumerate(works))
    lock = threading.Lock()
    barrier = threading.Barrier(max(1, min(len(works), max_threads)))

    def worker() -> None:
        barrier.wait(timeout=30)
        while True:
            with lock:
                if not pending:
                    return
                index, work = pending.pop(0)
            try:
                outcomes[index] = work()
            except Exception as exc:  # collected and reported by the scenario
                outcomes[index] = exc

    threads = [threading.Thread(target=worker) for _ in range(barrier.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


# --- building blocks through the API -------------------------------------------------------------------


def new_customer(cluster: Cluster, name: str) -> str:
    body = {"name": name, "email": f"{name.lower().replace(' ', '-')}@example.com",
            "default_shipping_address": ADDRESS}
    return str(cluster.ok("sales", "POST", "/sales/customers", body)["id"])


def new_product(cluster: Cluster, sku: str, *, stock: int, price: str = "100.00") -> str:
    body = {"sku": sku, "name": sku, "price": price, "currency": "USD", "stock_quantity": stock}
    return str(cluster.ok("warehouse", "POST", "/inventory/products", body)["id"])


def new_order(cluster: Cluster, customer_id: str, product_id: str, quantity: int) -> dict[str, Any]:
    body = {"customer_id": customer_id, "currency": "USD",
            "line_items": [{"product_id": product_id, "quantity": quantity}]}
    return cluster.ok("sales", "POST", "/sales/orders", body)


MOVER = {"confirmed": "sales", "processing": "warehouse", "shipped": "warehouse", "delivered": "warehouse",
         "cancelled": "sales", "closed": "finance"}


def move(cluster: Cluster, order_id: str, target: str) -> requests.Response:
    body: dict[str, Any] = {"status": target, **(TRACKING if target == "shipped" else {})}
    return cluster.call(MOVER[target], "PATCH", f"/sales/orders/{order_id}/status", body)


def move_status(cluster: Cluster, order_id: str, target: str) -> int:
    return move(cluster, order_id, target).status_code


# --- scenarios -----------------------------------------------------------------------------------------


def confirm_race(cluster: Cluster, *, orders: int = 50, stock: int = 10) -> dict[str, Any]:
    customer = new_customer(cluster, "Confirm Race")
    product = new_product(cluster, "RACE-CONFIRM", stock=stock)
    quantities = [1 + n % 3 for n in range(orders)]
    drafts = [new_order(cluster, customer, product, q)["id"] for q in quantities]
    statuses = run_together([partial(move_status, cluster, order_id, "confirmed") for order_id in drafts])
    return {"product_id": product, "stock": stock, "orders": dict(zip(drafts, quantities, strict=True)),
            "statuses": dict(zip(drafts, statuses, strict=True))}


def payment_race(cluster: Cluster, *, payments: int = 8, amount: str = "30.00") -> dict[str, Any]:
    customer = new_customer(cluster, "Payment Race")
    product = new_product(cluster, "RACE-PAY", stock=10, price="100.00")
    order = new_order(cluster, customer, product, 1)["id"]
    if move(cluster, order, "confirmed").status_code != 200:
        raise AssertionError("the payment race's order could not be confirmed")
    invoice = cluster.ok("finance", "GET", f"/sales/invoices?order_id={order}")["results"][0]["id"]

    def pay(n: int) -> int:
        body = {"invoice_id": invoice, "amount": amount, "currency": "USD", "payment_method": "bank_transfer",
                "reference": f"RACE-{n}"}
        return cluster.call("finance", "POST", "/sales/payments", body).status_code

    statuses = run_together([partial(pay, n) for n in range(payments)])
    return {"invoice_id": invoice, "amount": amount, "statuses": statuses}


def batch_close_race(cluster: Cluster, *, orders: int = 30, batch_size: int = 2) -> dict[str, Any]:
    """Deliver ``orders`` orders, then start ``close_delivered_orders`` on every node at the same moment."""
    from sales.models import Order

    customer = new_customer(cluster, "Close Race")
    product = new_product(cluster, "RACE-CLOSE", stock=orders)
    ids = [new_order(cluster, customer, product, 1)["id"] for _ in range(orders)]
    for target in ("confirmed", "processing", "shipped", "delivered"):
        statuses = run_together([partial(move_status, cluster, order_id, target) for order_id in ids], max_threads=8)
        if set(statuses) != {200}:
            raise AssertionError(f"moving the close race's orders to {target}: {Counter(statuses)}")
    time.sleep(0.05)  # delivered strictly before the runs' "now"
    command = [sys.executable, "manage.py", "close_delivered_orders", "--return-window-days", "0",
               "--batch-size", str(batch_size), "--json"]
    # The runs start at different speeds; so that they race for the same orders, this process holds the orders'
    # rows until every run is connected (a run that finds them held waits and polls), then lets them go together.
    with transaction.atomic():
        list(Order.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        runs = [subprocess.Popen(command, cwd=ROOT, env={**node.env, "PGAPPNAME": CLOSE_RUN_APPLICATION},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for node in cluster.nodes]
        try:
            _wait_for_close_runs(len(runs), timeout=60)
        except BaseException:
            for run in runs:
                run.kill()
                run.wait()
            raise
    reports = []
    try:
        for run in runs:
            stdout, stderr = run.communicate(timeout=120)
            if run.returncode != 0:
                raise AssertionError(f"close_delivered_orders exited {run.returncode}: {stderr[-2000:]}")
            reports.append(json.loads(stdout))
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    return {"order_ids": ids, "reports": reports}


CLOSE_RUN_APPLICATION = "synthesq-close-race"


def _wait_for_close_runs(count: int, *, timeout: float) -> None:
    """Until ``count`` batch close runs are connected to this database (and a moment more, for their first claim).
    They are found by their application_name (PGAPPNAME), which this module gives them."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # in a transaction the view is a frozen snapshot
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND application_name = %s", [CLOSE_RUN_APPLICATION])
            if cursor.fetchone()[0] >= count:
                time.sleep(0.5)  # each run claims, finds every order held, and polls (for up to 5 s)
                return
            time.sleep(0.05)
    raise AssertionError(f"the {count} batch close runs did not connect within {timeout:.0f}s")


def numbering_race(cluster: Cluster, *, orders: int = 40) -> dict[str, Any]:
    customer = new_customer(cluster, "Numbering Race")
    product = new_product(cluster, "RACE-NUMBERS", stock=0)
    created = run_together([lambda: new_order(cluster, customer, product, 1) for _ in range(orders)])
    failures = [c for c in created if isinstance(c, Exception)]
    if failures:
        raise AssertionError(f"{len(failures)} order creations failed: {failures[0]}")
    return {"order_numbers": [c["order_number"] for c in created]}


def run_scenarios(cluster: Cluster) -> dict[str, Any]:
    return {
        "confirm": confirm_race(cluster),
        "payments": payment_race(cluster),
        "close": batch_close_race(cluster),
        "numbers": numbering_race(cluster),
    }


# --- invariants ----------------------------------------------------------------------------------------


def _gap_free(numbers: list[int]) -> bool:
    return sorted(numbers) == list(range(min(numbers), min(numbers) + len(numbers))) if numbers else True


def check_invariants(results: dict[str, Any]) -> list[str]:
    """Every broken invariant, in words (empty when all hold). Reads the database."""
    from django.db.models import Count, Q, Sum

    from billing.models import Invoice, InvoiceEvent, Payment
    from inventory.models import Product, StockMovement
    from inventory.selectors import stock_ledger_mismatches
    from sales.models import Order, OrderEvent

    broken: list[str] = []
    # Stock equals its ledger and is never negative.
    if mismatches := stock_ledger_mismatches():
        broken.append(f"stock differs from its ledger: {mismatches}")
    if Product.objects.filter(stock_quantity__lt=0).exists() or StockMovement.objects.filter(
            balance_after__lt=0).exists():
        broken.append("stock went below zero")

    # Exactly the orders that fit were confirmed.
    confirm = results["confirm"]
    stored = dict(Order.objects.filter(pk__in=confirm["orders"]).values_list("pk", "status"))
    confirmed = [o for o, s in stored.items() if s == "confirmed"]
    refused = [o for o, s in stored.items() if s == "draft"]
    left = Product.objects.get(pk=confirm["product_id"]).stock_quantity
    if len(confirmed) + len(refused) != len(confirm["orders"]):
        broken.append(f"confirm race: unexpected statuses {Counter(stored.values())}")
    if sum(confirm["orders"][o] for o in confirmed) != confirm["stock"] - left:
        broken.append("confirm race: reserved stock differs from the confirmed orders' quantities")
    if any(confirm["orders"][o] <= left for o in refused):
        broken.append(f"confirm race: an order that fits ({left} left) was refused")
    answered = Counter(confirm["statuses"].values())
    if answered != Counter({200: len(confirmed), 422: len(refused)}):
        broken.append(f"confirm race: answers {dict(answered)} differ from the stored outcome")
    for order_id, status in confirm["statuses"].items():
        if (status == 200) != (stored.get(order_id) == "confirmed"):
            broken.append(f"confirm race: {order_id} answered {status} but is {stored.get(order_id)}")

    # amount_paid equals the payments and never exceeds the total (every invoice).
    paid = Invoice.objects.annotate(booked=Sum("payments__amount"))
    for invoice in paid:
        if invoice.amount_paid != (invoice.booked or Decimal(0)) or invoice.amount_paid > invoice.total:
            broken.append(f"invoice {invoice.pk}: paid {invoice.amount_paid}, payments {invoice.booked}, "
                          f"total {invoice.total}")
    race = results["payments"]
    invoice = Invoice.objects.get(pk=race["invoice_id"])
    fit = int(invoice.total // Decimal(race["amount"]))
    if Counter(race["statuses"]) != Counter({201: fit, 422: len(race["statuses"]) - fit}):
        broken.append(f"payment race: answers {Counter(race['statuses'])}, expected {fit} booked")
    if Payment.objects.filter(invoice=invoice).count() != fit:
        broken.append("payment race: payments booked differ from the answers")

    # Numbers unique and gap-free.
    order_numbers = list(Order.objects.values_list("order_number", flat=True))
    if len(set(order_numbers)) != len(order_numbers) or not _gap_free([int(n[3:]) for n in order_numbers]):
        broken.append("order numbers are duplicated or have gaps")
    if len(results["numbers"]["order_numbers"]) != len(set(results["numbers"]["order_numbers"])):
        broken.append("numbering race: two created orders got one number")
    invoice_numbers = [n for n in Invoice.objects.values_list("number", flat=True) if n]
    by_year: dict[str, list[int]] = {}
    for number in invoice_numbers:
        _prefix, year, serial = number.split("-")
        by_year.setdefault(year, []).append(int(serial))
    if len(set(invoice_numbers)) != len(invoice_numbers) or not all(map(_gap_free, by_year.values())):
        broken.append("invoice numbers are duplicated or have gaps")

    # Each order closed once, by exactly one of the runs.
    close = results["close"]
    closings = Counter(dict(
        OrderEvent.objects.filter(order_id__in=close["order_ids"], kind="status_changed", to_status="closed")
        .values("order_id").annotate(n=Count("id")).values_list("order_id", "n")
    ))
    if set(closings) != set(close["order_ids"]) or set(closings.values()) != {1}:
        broken.append(f"close race: orders closed other than once: {closings}")
    if Order.objects.filter(pk__in=close["order_ids"]).exclude(status="closed").exists():
        broken.append("close race: an order was left unclosed")
    if sum(report["closed"] for report in close["reports"]) != len(close["order_ids"]):
        broken.append(f"close race: the runs report {[r['closed'] for r in close['reports']]} closed")
    issued_twice = (InvoiceEvent.objects.filter(invoice__order_id__in=close["order_ids"], to_status="issued",
                                                kind="status_changed")
                    .values("invoice_id").annotate(n=Count("id")).filter(~Q(n=1)))
    if issued_twice.exists():
        broken.append("close race: an invoice was issued other than once")
    return broken


# --- throughput ----------------------------------------------------------------------------------------


@dataclass
class Throughput:
    nodes: int
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def throughput(cluster: Cluster, *, clients: int, orders_per_client: int) -> Throughput:
    """Each client creates orders, confirms each and reads it back (3 requests per order), round-robin over
    the nodes. Returns requests per second and latencies."""
    customer = new_customer(cluster, f"Load {len(cluster.nodes)}")
    product = new_product(cluster, f"LOAD-{len(cluster.nodes)}-{int(time.time())}", stock=10_000_000, price="9.99")
    latencies: list[float] = []
    lock = threading.Lock()

    def timed(call: Callable[[], requests.Response], expect: int) -> requests.Response:
        started = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise AssertionError(f"{response.request.method} {response.url}: {response.status_code}")
        with lock:
            latencies.append(elapsed)
        return response

    def client() -> None:
        body = {"customer_id": customer, "currency": "USD", "line_items": [{"product_id": product, "quantity": 1}]}
        for _ in range(orders_per_client):
            order = timed(lambda: cluster.call("sales", "POST", "/sales/orders", body), 201).json()["id"]
            timed(partial(move, cluster, order, "confirmed"), 200)
            timed(partial(cluster.call, "sales", "GET", f"/sales/orders/{order}"), 200)

    # Warm-up (not timed): every worker loads what it loads lazily on its first requests.
    run_together([partial(cluster.call, "sales", "GET", "/sales/orders?limit=1") for _ in range(4 * clients)],
                 max_threads=clients)
    started = time.perf_counter()
    outcomes = run_together([client for _ in range(clients)])
    seconds = time.perf_counter() - started
    errors = [o for o in outcomes if isinstance(o, Exception)]
    if errors:
        raise AssertionError(f"{len(errors)} load clients failed: {errors[0]}")
    return Throughput(nodes=len(cluster.nodes), requests=len(latencies), seconds=seconds, latencies_ms=latencies)
