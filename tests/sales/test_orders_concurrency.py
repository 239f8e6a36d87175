"""Orders under real concurrency (PostgreSQL only: row locks). Each test starts its threads together and
checks the invariants afterwards: no overselling, no deadlock, one winner per order, gap-free numbers,
one order per Idempotency-Key."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from inventory import services as inventory_services
from inventory.exceptions import InsufficientStock
from inventory.models import Product, StockMovement
from inventory.selectors import stock_ledger_mismatches
from sales import selectors, services
from sales.exceptions import InvalidTransition
from sales.models import Order, OrderEvent
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import run_in_threads, wait_until_backend_waits_for_a_lock

from .helpers import ORDERS_URL, ledger_sum, movements, order_payload, status_url, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 8


def _api(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def _assert_ledger_sound() -> None:
    assert stock_ledger_mismatches() == []
    assert not Product.objects.filter(stock_quantity__lt=0).exists()
    assert not StockMovement.objects.filter(balance_after__lt=0).exists()


def test_concurrent_confirmations_never_oversell() -> None:
    # given 8 drafts each asking for 3 units of one product with 10 in stock
    product = ProductFactory(stock=10)
    orders = [OrderFactory(lines=[(product, 3)]) for _ in range(THREADS)]

    def confirm(order_id: str) -> Callable[[], Any]:
        return lambda: services.order_confirm(order_id=order_id, actor=None)

    # when all are confirmed at the same time
    outcomes = run_in_threads([confirm(order.pk) for order in orders])
    # then exactly 3 are confirmed and the other 5 are refused for stock
    confirmed = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert (len(confirmed), len(refused)) == (3, THREADS - 3), outcomes
    assert all(line.requested == 3 and line.available == 1 for error in refused for line in error.lines)
    # and the stock ends at 1, each reservation seen once, never below zero
    assert stock_of(product) == 1
    assert sorted(StockMovement.objects.filter(product=product, kind="reservation")
                  .values_list("balance_after", flat=True)) == [1, 4, 7]
    _assert_ledger_sound()
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert statuses == {"confirmed": 3, "draft": THREADS - 3}
    # and the refused orders have no reservation and no status change in their history
    for order in Order.objects.filter(status="draft"):
        assert movements(order.pk) == []
        assert not OrderEvent.objects.filter(order=order, kind="status_changed").exists()


def test_concurrent_api_confirmations_never_oversell(client_for: Callable[..., APIClient]) -> None:
    # given 8 drafts of 3 units of a product with 10 in stock and a sales user's token
    product = ProductFactory(stock=10)
    orders = [OrderFactory(lines=[(product, 3)]) for _ in range(THREADS)]
    token = client_for("sales").token.plain  # type: ignore[attr-defined]

    def confirm(order_id: str) -> Callable[[], int]:
        return lambda: _api(token).patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code

    # when all are confirmed through the API at the same time
    statuses = run_in_threads([confirm(order.pk) for order in orders])
    # then 3 succeed and 5 are 422, and stock ends at 1
    assert sorted(statuses) == [200] * 3 + [422] * (THREADS - 3)
    assert stock_of(product) == 1
    _assert_ledger_sound()


def test_crossing_line_orders_do_not_deadlock() -> None:
    # given products A and B, and orders taking them in opposite line orders
    a, b = ProductFactory(stock=100), ProductFactory(stock=100)
    orders = [OrderFactory(lines=[(a, 1), (b, 2)] if n % 2 else [(b, 2), (a, 1)]) for n in range(THREADS)]

    def confirm(order_id: str) -> Callable[[], Any]:
        return lambda: services.order_confirm(order_id=order_id, actor=None)

    # when all are confirmed at the same time
    outcomes = run_in_threads([confirm(order.pk) for order in orders])
    # then every one completes (no deadlock error, no hang) and the totals are right
    assert all(isinstance(o, Order) for o in outcomes), outcomes
    assert (stock_of(a), stock_of(b)) == (100 - THREADS, 100 - 2 * THREADS)
    assert StockMovement.objects.filter(kind="reservation").count() == 2 * THREADS
    _assert_ledger_sound()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_creating_an_order_while_its_products_are_being_reserved_does_not_deadlock() -> None:
    # given products A < B (by id) and a customer
    a, b = sorted([ProductFactory(stock=10), ProductFactory(stock=10)], key=lambda p: p.pk)
    customer = CustomerFactory()
    creator_pid: list[int] = []
    pid_known, a_locked, created = threading.Event(), threading.Event(), threading.Event()

    def reserve() -> str:
        # a confirmation's stock_reserve locks its products (with the same lock as here) in id order: A, then
        # B. This is that interleaving, with the pause made explicit: A is locked, then B once the creator waits.
        with transaction.atomic():
            inventory_services._lock_products([a.pk])
            a_locked.set()
            if not pid_known.wait(timeout=10):
                raise RuntimeError("the creator never started")
            wait_until_backend_waits_for_a_lock(creator_pid[0], created)
            inventory_services._lock_products([b.pk])
        return "reserved"

    def create() -> Any:
        creator_pid.append(_backend_pid())
        pid_known.set()
        assert a_locked.wait(timeout=10)
        # lines B, A: inserting them checks (FOR KEY SHARE) B, then A
        try:
            return services.order_create(actor=None, customer_id=customer.pk, currency="USD", line_items=[
                services.LineInput(product_id=b.pk, quantity=1), services.LineInput(product_id=a.pk, quantity=1)])
        finally:
            created.set()

    # when an order on B, A is created while a reservation holds A and is about to lock B
    outcomes = run_in_threads([reserve, create])
    for outcome in outcomes:
        if isinstance(outcome, RuntimeError):  # the interleaving was not reached: a broken test, not the bug
            raise outcome
    # then both complete (the creation waits for the reservation instead of deadlocking)
    assert outcomes[0] == "reserved", outcomes
    assert isinstance(outcomes[1], Order), outcomes


def test_concurrent_moves_of_one_order_have_one_winner() -> None:
    # given a confirmed order holding 4 of 10 units
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 4)], status="confirmed")
    events_before = OrderEvent.objects.filter(order=order).count()

    def process() -> Any:
        return services.order_start_processing(order_id=order.pk, actor=None)

    def cancel() -> Any:
        return services.order_cancel(order_id=order.pk, actor=None, reason="race")

    # when 4 threads move it to processing and 4 cancel it, all at once
    outcomes = run_in_threads([process, cancel] * (THREADS // 2))
    # then exactly one move is made and the others are invalid transitions from the winner's status
    winners = [o for o in outcomes if isinstance(o, Order)]
    losers = [o for o in outcomes if isinstance(o, InvalidTransition)]
    assert (len(winners), len(losers)) == (1, THREADS - 1), outcomes
    final = Order.objects.get(pk=order.pk).status
    assert final == winners[0].status
    assert {error.extra["current_status"] for error in losers} == {final}
    # and the ledger has one reservation and at most one release, summing to the stock
    assert len(movements(order.pk, "reservation")) == 1
    releases = movements(order.pk, "release")
    assert releases == ([(product.pk, 4)] if final == "cancelled" else [])
    assert stock_of(product) == (10 if final == "cancelled" else 6)
    assert ledger_sum(product.pk) == stock_of(product)
    _assert_ledger_sound()
    # and one status change was written
    assert OrderEvent.objects.filter(order=order).count() == events_before + 1


def test_concurrent_creates_get_consecutive_order_numbers() -> None:
    # given a customer and a product
    customer = CustomerFactory()
    product = ProductFactory(stock=10)

    def create() -> Any:
        return services.order_create(actor=None, customer_id=customer.pk, currency="USD",
                                     line_items=[services.LineInput(product_id=product.pk, quantity=1)])

    # when 8 orders are created at the same time
    outcomes = run_in_threads([create] * THREADS)
    # then all are created with 8 distinct, consecutive numbers
    assert all(isinstance(o, Order) for o in outcomes), outcomes
    numbers = sorted(int(n.removeprefix("SO-")) for n in Order.objects.values_list("order_number", flat=True))
    assert len(numbers) == THREADS
    assert numbers == list(range(numbers[0], numbers[0] + THREADS))


def test_concurrent_creates_with_one_idempotency_key_make_one_order(client_for: Callable[..., APIClient]) -> None:
    # given a sales user's token and one request body
    token = client_for("sales").token.plain  # type: ignore[attr-defined]
    payload = order_payload(CustomerFactory().pk, [(ProductFactory(stock=10).pk, 2)])

    def create() -> Any:
        return _api(token).post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")

    # when 8 copies are sent at once with the same key
    responses = run_in_threads([create] * THREADS)
    # then one order is created and every response carries its id, all but one marked as replays
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [201] * THREADS, [r.content for r in responses]
    assert Order.objects.count() == 1
    order_id = Order.objects.get().pk
    assert {r.json()["id"] for r in responses} == {order_id}
    assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == THREADS - 1
    assert OrderEvent.objects.filter(order_id=order_id).count() == 1


def test_confirming_while_a_draft_edit_replaces_the_lines_reserves_the_new_lines() -> None:
    # given a draft of 1 x old, and another product new
    old, new = ProductFactory(stock=10), ProductFactory(stock=10)
    order = OrderFactory(lines=[(old, 1)])
    confirmer_pid: list[int] = []
    pid_known, locked, confirmed = threading.Event(), threading.Event(), threading.Event()

    def edit() -> str:
        # a draft edit holds the order (as order_update_draft locks it) while the confirmation starts, and only
        # then replaces the lines: the confirmation, which locks the order before the lines, waits for it
        with transaction.atomic():
            selectors.order_get_for_update(order.pk)
            locked.set()
            if not pid_known.wait(timeout=10):
                raise RuntimeError("the confirmation never started")
            wait_until_backend_waits_for_a_lock(confirmer_pid[0], confirmed)
            services.order_update_draft(order_id=order.pk, actor=None,
                                        line_items=[services.LineInput(product_id=new.pk, quantity=3)])
        return "edited"

    def confirm() -> Any:
        confirmer_pid.append(_backend_pid())
        pid_known.set()
        assert locked.wait(timeout=10)
        try:
            return services.order_confirm(order_id=order.pk, actor=None)
        finally:
            confirmed.set()

    # when the order is confirmed meanwhile
    outcomes = run_in_threads([edit, confirm])
    for outcome in outcomes:
        if isinstance(outcome, RuntimeError):
            raise outcome
    # then both complete (no deadlock), and the confirmation reserved the lines the edit wrote, not the old ones
    assert outcomes[0] == "edited", outcomes
    assert isinstance(outcomes[1], Order) and outcomes[1].status == "confirmed", outcomes
    assert movements(order.pk) == [(new.pk, -3)]
    assert stock_of(old) == 10 and stock_of(new) == 7
    _assert_ledger_sound()
