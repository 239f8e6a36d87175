"""Promotion code limits under real parallel requests (PostgreSQL only: row locks). Uses are counted in the
confirming transaction by a guarded UPDATE of the code's row, in its last statement (with its events): however many
orders confirm at once, a code is never used more than its limits allow, a refused confirmation changes nothing,
and confirmations and cancellations of one code never wait for each other in a cycle."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from inventory.models import StockMovement
from sales.models import Order, OrderEvent
from sales.pricing_models import PromotionCode
from tests.factories import CustomerFactory, ProductFactory, PromotionCodeFactory
from tests.helpers import run_in_threads, wait_until_backend_waits_for_a_lock

from .helpers import ORDERS_URL, order_payload, status_url, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _api(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def _drafts(api: APIClient, count: int, product: Any, code: str, customer: Any = None) -> list[str]:
    ids = []
    for _ in range(count):
        body = {**order_payload((customer or CustomerFactory()).pk, [(product.pk, 1)]), "promotion_code": code}
        response = api.post(ORDERS_URL, body, format="json")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    return ids


def _confirm_all(token: str, order_ids: list[str]) -> list[tuple[int, str | None]]:
    def confirm(order_id: str) -> Callable[[], tuple[int, str | None]]:
        def work() -> tuple[int, str | None]:
            response = _api(token).patch(status_url(order_id), {"status": "confirmed"}, format="json")
            return response.status_code, response.json().get("code")
        return work

    return run_in_threads([confirm(order_id) for order_id in order_ids], timeout=120)


def test_fifty_confirmations_use_a_ten_use_code_exactly_ten_times(client_for: Callable[..., APIClient]) -> None:
    # given 50 drafts of 50 customers carrying one code limited to 10 uses, and stock for all of them
    api = client_for("sales")
    code = PromotionCodeFactory(code="TEN", usage_limit=10)
    product = ProductFactory(stock=100, price="10.00")
    order_ids = _drafts(api, 50, product, "TEN")
    # when all are confirmed at the same time
    outcomes = _confirm_all(api.token.plain, order_ids)  # type: ignore[attr-defined]
    # then exactly 10 are confirmed and 40 refused as exhausted
    assert Counter(outcomes) == {(200, None): 10, (422, "promotion_code_exhausted"): 40}, outcomes
    assert PromotionCode.objects.get(pk=code.pk).times_used == 10
    assert Counter(Order.objects.values_list("status", flat=True)) == {"confirmed": 10, "draft": 40}
    # and the refused ones reserved nothing and moved nowhere
    assert stock_of(product) == 90
    assert StockMovement.objects.filter(kind="reservation").count() == 10
    refused = Order.objects.filter(status="draft")
    assert not StockMovement.objects.filter(reference__in=refused.values("pk")).exists()
    assert not OrderEvent.objects.filter(order__in=refused, kind="status_changed").exists()


def test_one_use_per_customer_holds_under_ten_parallel_confirmations(client_for: Callable[..., APIClient]) -> None:
    # given 10 drafts of one customer carrying a code good once per customer
    api = client_for("sales")
    code = PromotionCodeFactory(code="ONCEEACH", usage_limit_per_customer=1)
    product = ProductFactory(stock=100, price="10.00")
    customer = CustomerFactory()
    order_ids = _drafts(api, 10, product, "ONCEEACH", customer=customer)
    # when all are confirmed at the same time
    outcomes = _confirm_all(api.token.plain, order_ids)  # type: ignore[attr-defined]
    # then exactly one is confirmed
    assert Counter(outcomes) == {(200, None): 1, (422, "promotion_code_exhausted"): 9}, outcomes
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1
    assert stock_of(product) == 99
    # and cancelling it gives the use back: a new confirmation takes it
    confirmed = Order.objects.get(status="confirmed")
    assert api.patch(status_url(confirmed.pk), {"status": "cancelled"}, format="json").status_code == 200
    assert PromotionCode.objects.get(pk=code.pk).times_used == 0
    again = _confirm_all(api.token.plain, order_ids[:0] + [  # type: ignore[attr-defined]
        order_id for order_id in order_ids if order_id != confirmed.pk][:3])
    assert Counter(again) == {(200, None): 1, (422, "promotion_code_exhausted"): 2}, again
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1
    assert stock_of(product) == 99


def test_confirmations_and_cancellations_of_one_code_in_parallel_keep_its_count(
        client_for: Callable[..., APIClient]) -> None:
    # given a code limited to 12 uses: 8 orders confirmed with it, and 12 drafts carrying it
    api = client_for("sales")
    code = PromotionCodeFactory(code="BUSY", usage_limit=12)
    product = ProductFactory(stock=100, price="10.00")
    confirmed = _drafts(api, 8, product, "BUSY")
    assert {status for status, _ in _confirm_all(api.token.plain, confirmed)} == {200}  # type: ignore[attr-defined]
    drafts = _drafts(api, 12, product, "BUSY")
    token = api.token.plain  # type: ignore[attr-defined]

    def move(order_id: str, status: str) -> Callable[[], tuple[int, str | None]]:
        def work() -> tuple[int, str | None]:
            response = _api(token).patch(status_url(order_id), {"status": status}, format="json")
            return response.status_code, response.json().get("code")
        return work

    # when the 8 are cancelled while the 12 confirm, all at once (a cancellation gives the use back before its
    # invoice and events; a confirmation counts it in its last statement: neither waits for the other in a cycle)
    outcomes = run_in_threads([*(move(order_id, "cancelled") for order_id in confirmed),
                               *(move(order_id, "confirmed") for order_id in drafts)], timeout=120)
    # then every cancellation went through, no request failed otherwise (a deadlock would be a 500), the code
    # counts exactly the orders confirmed with it, within its limit, and the stock agrees
    assert outcomes[:8] == [(200, None)] * 8, outcomes
    assert set(outcomes[8:]) <= {(200, None), (422, "promotion_code_exhausted")}, outcomes
    confirmed_now = Order.objects.filter(status="confirmed").count()
    assert outcomes[8:].count((200, None)) == confirmed_now
    assert PromotionCode.objects.get(pk=code.pk).times_used == confirmed_now <= 12
    assert stock_of(product) == 100 - confirmed_now


def test_a_confirmation_waits_for_a_busy_code_without_holding_the_events_counter(
        client_for: Callable[..., APIClient]) -> None:
    # given a draft carrying a code, and another transaction holding the code's row
    api = client_for("sales")
    code = PromotionCodeFactory(code="HOT")
    product = ProductFactory(stock=10, price="10.00")
    [order_id] = _drafts(api, 1, product, "HOT")
    token = api.token.plain  # type: ignore[attr-defined]
    confirmer: list[int] = []
    holding, finished = threading.Event(), threading.Event()

    def confirm() -> int:
        if not holding.wait(timeout=10):
            raise RuntimeError("the code's row was never held")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            confirmer.append(cursor.fetchone()[0])
        try:
            return _api(token).patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code
        finally:
            finished.set()

    def hold() -> str:
        with transaction.atomic():
            PromotionCode.objects.select_for_update().get(pk=code.pk)
            holding.set()
            deadline = time.monotonic() + 10
            while not confirmer and time.monotonic() < deadline:
                time.sleep(0.01)
            wait_until_backend_waits_for_a_lock(confirmer[0], finished)
            with connection.cursor() as cursor:
                # when the confirmation waits for the code: the statement it waits in (statistics read afresh,
                # not as this transaction first saw them) ...
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [confirmer[0]])
                waiting_in = cursor.fetchone()[0]
                # ... and the events' counter is free: another change can publish meanwhile
                cursor.execute("SELECT value FROM core_sequence WHERE name = 'events' FOR UPDATE NOWAIT")
            assert not finished.is_set()
            return str(waiting_in)

    confirmed, waiting_in = run_in_threads([confirm, hold], timeout=60)
    # then it waited in its last statement, the one writing its events (everything else done: order, stock,
    # invoice), and confirmed once the code was free
    assert isinstance(waiting_in, str), waiting_in
    assert 'INSERT INTO "integrations_event"' in waiting_in and "sales_promotioncode" in waiting_in, waiting_in
    assert confirmed == 200
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1
    assert Order.objects.get(pk=order_id).status == "confirmed"
