"""Promotion code limits under real parallel requests (PostgreSQL only: row locks). Uses are counted in the
confirming transaction by a guarded UPDATE of the code's row, taken after the order's lock: however many orders
confirm at once, a code is never used more than its limits allow, and a refused confirmation changes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory.models import StockMovement
from sales.models import Order, OrderEvent
from sales.pricing_models import PromotionCode
from tests.factories import CustomerFactory, ProductFactory, PromotionCodeFactory
from tests.helpers import run_in_threads

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
