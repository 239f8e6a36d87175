"""Amendments under real concurrency (PostgreSQL only: row locks): confirms of drafts racing amendments (up, down,
a product added, one removed) and cancels of orders over the same products, stock spread over three warehouses,
through the API from parallel threads. No warehouse goes below zero, nothing deadlocks, every confirmed order's
lines are allocated in full (and only those), and every ledger, per product and per warehouse, sums to its
stock."""

from __future__ import annotations

import queue
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory import services as inventory
from inventory.models import Product, WarehouseStock
from inventory.selectors import stock_ledger_mismatches, warehouse_ledger_mismatches
from sales.models import Order, OrderLine, OrderLineAllocation, OrderStatus
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory
from tests.helpers import run_in_threads

from .helpers import ORDERS_URL, order_payload, status_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 16
DRAFTS = 60
CONFIRMED = 40
PRODUCTS = 5
# 400: an amendment removing every line, or naming at 0 a product not on the order (as it stands by then)
ALLOWED = {(200, None), (422, "insufficient_stock"), (409, "order_not_amendable"), (409, "invalid_transition"),
           (400, "validation_error")}


def _api(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def _stock_spread(rng: random.Random) -> tuple[list[Product], dict[tuple[str, str], int]]:
    warehouses = [WarehouseFactory(code=f"W{n}", priority=n) for n in range(3)]
    products = [ProductFactory() for _ in range(PRODUCTS)]
    initial: dict[tuple[str, str], int] = {}
    for product in products:
        for warehouse in warehouses:
            quantity = rng.choice([0, 20, 40, 80])
            initial[(product.pk, warehouse.pk)] = quantity
            if quantity:
                inventory.stock_adjust(product=product, quantity_delta=quantity, reason="receipt", actor=None,
                                       warehouse=warehouse)
    return products, initial


def _draft(api: APIClient, customer_id: str, products: list[Product], rng: random.Random) -> str:
    lines = [(p.pk, rng.randint(1, 5)) for p in rng.sample(products, rng.randint(1, 3))]
    response = api.post(ORDERS_URL, order_payload(customer_id, lines), format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def _amendment(products: list[Product], rng: random.Random) -> dict[str, Any]:
    """Up to three products in shuffled order, each to 0 (removed), or 1 to 8 (up, down or added)."""
    chosen = rng.sample(products, rng.randint(1, 3))
    return {"lines": [{"product_id": p.pk, "quantity": rng.choice([0, 1, 3, 8])} for p in chosen],
            "reason": "customer called"}


def _requests(api: APIClient, products: list[Product], rng: random.Random) -> list[tuple[str, str, dict]]:
    """Confirms of DRAFTS drafts, and on CONFIRMED orders (and on some drafts) amendments and cancels, shuffled."""
    customer = CustomerFactory().pk
    drafts = [_draft(api, customer, products, rng) for _ in range(DRAFTS)]
    confirmed: list[str] = []
    while len(confirmed) < CONFIRMED:
        order_id = _draft(api, customer, products, rng)
        if api.patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200:
            confirmed.append(order_id)
    work: list[tuple[str, str, dict]] = [("patch", status_url(pk), {"status": "confirmed"}) for pk in drafts]
    for order_id in [*confirmed, *confirmed, *rng.sample(drafts, 20)]:
        work.append(("post", f"{ORDERS_URL}/{order_id}/amendments", _amendment(products, rng)))
    work += [("patch", status_url(pk), {"status": "cancelled"}) for pk in rng.sample(confirmed, 12)]
    rng.shuffle(work)
    return work


def test_confirms_amendments_and_cancels_racing_never_oversell_nor_deadlock(
    client_for: Callable[..., APIClient],
) -> None:
    # given three warehouses, five products spread over them, 60 drafts and 40 confirmed orders
    rng = random.Random(2424)
    products, initial = _stock_spread(rng)
    api = client_for("sales")
    pending: queue.Queue[tuple[str, str, dict]] = queue.Queue()
    for request in _requests(api, products, rng):
        pending.put(request)
    token = api.token.plain  # type: ignore[attr-defined]
    outcomes: list[tuple[int, str | None]] = []

    def worker() -> None:
        client = _api(token)
        while True:
            try:
                method, url, body = pending.get_nowait()
            except queue.Empty:
                return
            response = getattr(client, method)(url, body, format="json")
            outcomes.append((response.status_code, response.json().get("code")))

    # when 16 threads send the confirms, amendments and cancels at once
    run_in_threads([worker for _ in range(THREADS)], timeout=300)

    # then each succeeded or was refused for stock or status: no deadlock, no error
    assert len(outcomes) == DRAFTS + 2 * CONFIRMED + 20 + 12
    assert set(outcomes) <= ALLOWED, Counter(outcomes)
    assert Counter(code for code, _ in outcomes)[200] > DRAFTS // 2

    # and no warehouse went below zero, each giving exactly what the allocations say
    final = {(pk, wh): qty for pk, wh, qty in WarehouseStock.objects.values_list("product_id", "warehouse_id",
                                                                                 "quantity")}
    assert min(final.values()) >= 0
    allocated: Counter[tuple[str, str]] = Counter()
    for product_id, warehouse_id, quantity in OrderLineAllocation.objects.values_list(
            "line__product_id", "warehouse_id", "quantity"):
        allocated[(product_id, warehouse_id)] += quantity
    assert {key: initial[key] - final.get(key, 0) for key in initial if initial[key] != final.get(key, 0)} == {
        key: quantity for key, quantity in allocated.items() if quantity}

    # and every confirmed order's lines are allocated in full; drafts and cancelled orders hold nothing
    confirmed = set(Order.objects.filter(status=OrderStatus.CONFIRMED).values_list("pk", flat=True))
    by_line: dict[int, int] = defaultdict(int)
    for line_id, quantity in OrderLineAllocation.objects.values_list("line_id", "quantity"):
        by_line[line_id] += quantity
    for line_id, order_id, quantity in OrderLine.objects.values_list("pk", "order_id", "quantity"):
        assert by_line.get(line_id, 0) == (quantity if order_id in confirmed else 0)

    # and every ledger, per product and per warehouse, sums to its stock
    assert stock_ledger_mismatches() == []
    assert warehouse_ledger_mismatches() == []
