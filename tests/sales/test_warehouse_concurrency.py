"""Allocation under real concurrency (PostgreSQL only: row locks): many multi-line orders over several warehouses,
confirmed through the API by parallel threads, lines in shuffled order. No warehouse goes below zero, nothing
deadlocks, exactly the orders that fit are confirmed, and every ledger sums to its stock."""

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
from sales.models import Order, OrderLine, OrderLineAllocation
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory
from tests.helpers import run_in_threads

from .helpers import ORDERS_URL, order_payload, status_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 16
ORDERS = 200
PRODUCTS = 5


def _api(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def _stock_spread(rng: random.Random) -> tuple[list[Product], dict[tuple[str, str], int]]:
    """Three warehouses and five products whose stock is spread over them (some hold none of a product)."""
    warehouses = [WarehouseFactory(code=f"W{n}", priority=n) for n in range(3)]
    products = [ProductFactory() for _ in range(PRODUCTS)]
    initial: dict[tuple[str, str], int] = {}
    for product in products:
        for warehouse in warehouses:
            quantity = rng.choice([0, 15, 30, 60])
            initial[(product.pk, warehouse.pk)] = quantity
            if quantity:
                inventory.stock_adjust(product=product, quantity_delta=quantity, reason="receipt", actor=None,
                                       warehouse=warehouse)
    return products, initial


def _drafts(api: APIClient, products: list[Product], rng: random.Random) -> dict[str, Counter[str]]:
    """ORDERS drafts of 1 to 4 lines in shuffled product order (a product may come twice); what each asks for."""
    customer = CustomerFactory()
    wanted: dict[str, Counter[str]] = {}
    for _ in range(ORDERS):
        lines = [(p.pk, rng.randint(1, 6)) for p in rng.sample(products, rng.randint(1, 4))]
        if rng.random() < 0.2:
            lines.append((lines[0][0], 1))
        rng.shuffle(lines)
        response = api.post(ORDERS_URL, order_payload(customer.pk, lines), format="json")
        assert response.status_code == 201, response.content
        asked: Counter[str] = Counter()
        for product_id, quantity in lines:
            asked[product_id] += quantity
        wanted[response.json()["id"]] = asked
    return wanted


def test_parallel_confirms_over_three_warehouses_never_oversell_nor_deadlock(
    client_for: Callable[..., APIClient],
) -> None:
    # given three warehouses, five products spread over them, and 200 multi-line drafts
    rng = random.Random(24)
    products, initial = _stock_spread(rng)
    api = client_for("sales")
    wanted = _drafts(api, products, rng)
    token = api.token.plain  # type: ignore[attr-defined]
    pending: queue.Queue[str] = queue.Queue()
    for order_id in rng.sample(list(wanted), len(wanted)):
        pending.put(order_id)
    outcomes: dict[str, Any] = {}

    def worker() -> None:
        client = _api(token)
        while True:
            try:
                order_id = pending.get_nowait()
            except queue.Empty:
                return
            response = client.patch(status_url(order_id), {"status": "confirmed"}, format="json")
            outcomes[order_id] = (response.status_code, response.json().get("code"))

    # when 16 threads confirm them all at once
    run_in_threads([worker for _ in range(THREADS)], timeout=300)

    # then every confirm either succeeded or was refused for stock: no deadlock, no error
    assert len(outcomes) == ORDERS
    assert set(outcomes.values()) <= {(200, None), (422, "insufficient_stock")}, Counter(outcomes.values())
    confirmed = {pk for pk, (code, _) in outcomes.items() if code == 200}
    assert 0 < len(confirmed) < ORDERS, "the stock should fit some orders and not others"
    assert set(Order.objects.filter(status="confirmed").values_list("pk", flat=True)) == confirmed

    # and no warehouse went below zero, each giving exactly what its allocations say
    final = {(pk, wh): qty for pk, wh, qty in WarehouseStock.objects.values_list("product_id", "warehouse_id",
                                                                                 "quantity")}
    assert min(final.values()) >= 0
    allocated: Counter[tuple[str, str]] = Counter()
    for product_id, warehouse_id, quantity in OrderLineAllocation.objects.values_list(
            "line__product_id", "warehouse_id", "quantity"):
        allocated[(product_id, warehouse_id)] += quantity
    assert {key: initial[key] - final.get(key, 0) for key in initial if initial[key] != final.get(key, 0)} == {
        key: quantity for key, quantity in allocated.items() if quantity}

    # and each confirmed order's lines are allocated in full; only confirmed orders hold allocations
    by_line: dict[int, int] = defaultdict(int)
    for line_id, quantity in OrderLineAllocation.objects.values_list("line_id", "quantity"):
        by_line[line_id] += quantity
    for line_id, order_id, quantity in OrderLine.objects.values_list("pk", "order_id", "quantity"):
        assert by_line.get(line_id, 0) == (quantity if order_id in confirmed else 0)

    # and exactly the orders that fit were confirmed: stock only fell, so a refused order is short even now
    left: Counter[str] = Counter()
    for (product_id, _), quantity in final.items():
        left[product_id] += quantity
    for order_id in set(wanted) - confirmed:
        assert any(left[pk] < quantity for pk, quantity in wanted[order_id].items()), order_id

    # and every ledger, per product and per warehouse, sums to its stock
    assert stock_ledger_mismatches() == []
    assert warehouse_ledger_mismatches() == []
