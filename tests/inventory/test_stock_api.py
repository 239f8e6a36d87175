"""Stock through the API: adjustments (POST .../adjustments) and the ledger (GET .../movements)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Product, StockMovement
from inventory.selectors import stock_ledger_mismatches
from tests.factories import ProductFactory, StockMovementFactory

from .helpers import assert_problem, error_fields, follow_pages, ledger_sum, product_url, snapshot

MOVEMENT_FIELDS = {"id", "product_id", "warehouse_id", "kind", "quantity_delta", "balance_after", "reason",
                   "reference", "actor", "created_at"}
# token lookup, the user's permissions, its groups' permissions, the product, the page (actors joined)
MOVEMENTS_QUERY_BUDGET = 5


def adjustments_url(product_id: str) -> str:
    return product_url(product_id, "/adjustments")


def movements_url(product_id: str) -> str:
    return product_url(product_id, "/movements")



# --- adjustments ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adjustment_returns_the_movement_and_changes_stock(warehouse_api: APIClient) -> None:
    # given a product with 10 in stock
    product = ProductFactory(stock=10)
    # when 3 are written off after a cycle count
    response = warehouse_api.post(adjustments_url(product.pk), {"quantity_delta": -3, "reason": "cycle count"},
                                  format="json")
    # then the movement is returned
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == MOVEMENT_FIELDS
    assert body["id"].startswith("mov_")
    assert body["product_id"] == product.pk
    assert body["kind"] == "adjustment"
    assert (body["quantity_delta"], body["balance_after"]) == (-3, 7)
    assert body["reason"] == "cycle count"
    assert body["reference"] == ""
    assert body["actor"] == warehouse_api.user.username  # type: ignore[attr-defined]
    assert body["created_at"]
    # and the stock changed, with the ledger explaining it
    assert Product.objects.get(pk=product.pk).stock_quantity == 7
    assert ledger_sum(product.pk) == 7
    assert StockMovement.objects.get(pk=body["id"]).actor_id == warehouse_api.user.pk  # type: ignore[attr-defined]
    assert warehouse_api.get(product_url(product.pk)).json()["stock_quantity"] == 7


@pytest.mark.django_db
def test_positive_adjustment_adds_stock_and_reason_is_trimmed(warehouse_api: APIClient) -> None:
    product = ProductFactory()
    response = warehouse_api.post(adjustments_url(product.pk), {"quantity_delta": 12, "reason": "  receipt  "},
                                  format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["balance_after"], response.json()["reason"]) == (12, "receipt")
    assert Product.objects.get(pk=product.pk).stock_quantity == ledger_sum(product.pk) == 12


@pytest.mark.django_db
def test_adjustment_down_to_exactly_zero_is_allowed(warehouse_api: APIClient) -> None:
    product = ProductFactory(stock=5)
    response = warehouse_api.post(adjustments_url(product.pk), {"quantity_delta": -5, "reason": "damaged"},
                                  format="json")
    assert response.status_code == 201, response.content
    assert response.json()["balance_after"] == 0
    assert Product.objects.get(pk=product.pk).stock_quantity == 0


@pytest.mark.django_db
@pytest.mark.parametrize("stock", [0, 2])
def test_adjustment_below_zero_is_422_and_changes_nothing(warehouse_api: APIClient, stock: int) -> None:
    # given a product with little stock
    product = ProductFactory(stock=stock)
    before = snapshot()
    # when more is removed than there is
    response = warehouse_api.post(adjustments_url(product.pk), {"quantity_delta": -3, "reason": "cycle count"},
                                  format="json")
    # then it is refused, saying what was requested and what is available
    body = assert_problem(response, 422, "insufficient_stock")
    assert body["lines"] == [{"product_id": product.pk, "requested": 3, "available": stock,
                              "available_by_warehouse": [{"warehouse_id": services.warehouse_default().pk,
                                                          "available": stock}]}]
    # and neither the stock nor the ledger changed
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quantity_delta": 0, "reason": "nothing"}, "quantity_delta"),
        ({"reason": "no delta"}, "quantity_delta"),
        ({"quantity_delta": None, "reason": "null"}, "quantity_delta"),
        ({"quantity_delta": "three", "reason": "text"}, "quantity_delta"),
        ({"quantity_delta": 1.5, "reason": "fraction"}, "quantity_delta"),
        ({"quantity_delta": True, "reason": "boolean"}, "quantity_delta"),
        ({"quantity_delta": 2_000_000_001, "reason": "huge"}, "quantity_delta"),
        ({"quantity_delta": -1}, "reason"),
        ({"quantity_delta": -1, "reason": ""}, "reason"),
        ({"quantity_delta": -1, "reason": "   "}, "reason"),
        ({"quantity_delta": -1, "reason": None}, "reason"),
        ({"quantity_delta": -1, "reason": "r" * 256}, "reason"),
    ],
)
def test_invalid_adjustment_is_400_naming_the_field(warehouse_api: APIClient, data: dict, field: str) -> None:
    product = ProductFactory(stock=5)
    before = snapshot()
    body = assert_problem(warehouse_api.post(adjustments_url(product.pk), data, format="json"), 400,
                          "validation_error")
    assert field in error_fields(body)
    assert snapshot() == before


@pytest.mark.django_db
def test_adjusting_a_product_with_variants_is_422(warehouse_api: APIClient) -> None:
    # given a parent product with a variant
    parent = ProductFactory()
    variant = ProductFactory(parent=parent, stock=1)
    before = snapshot()
    # when stock is added to the parent
    response = warehouse_api.post(adjustments_url(parent.pk), {"quantity_delta": 5, "reason": "receipt"},
                                  format="json")
    # then it is refused: stock lives on the variants
    body = assert_problem(response, 422, "product_has_variants")
    assert body["product_id"] == parent.pk
    assert snapshot() == before
    # while the variant itself can be adjusted
    response = warehouse_api.post(adjustments_url(variant.pk), {"quantity_delta": 5, "reason": "receipt"},
                                  format="json")
    assert response.status_code == 201
    assert Product.objects.get(pk=variant.pk).stock_quantity == 6


@pytest.mark.django_db
@pytest.mark.parametrize("product_id", ["prod_nope", "prod_01ARZ3NDEKTSV4RRFFQ69G5FAV", "x" * 200])
def test_adjusting_an_unknown_product_is_404(warehouse_api: APIClient, product_id: str) -> None:
    ProductFactory(stock=1)
    before = snapshot()
    assert_problem(warehouse_api.post(adjustments_url(product_id), {"quantity_delta": 1, "reason": "x"},
                                      format="json"), 404, "not_found")
    assert_problem(warehouse_api.get(movements_url(product_id)), 404, "not_found")
    assert snapshot() == before


@pytest.mark.django_db
def test_adjustment_with_malformed_json_changes_nothing(warehouse_api: APIClient) -> None:
    product = ProductFactory(stock=1)
    before = snapshot()
    response = warehouse_api.post(adjustments_url(product.pk), data='{"quantity_delta": -1,',
                                  content_type="application/json")
    assert_problem(response, 400, "malformed_request")
    assert snapshot() == before


# --- movements ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_movements_list_the_ledger_oldest_first_and_paginate(warehouse_api: APIClient) -> None:
    # given a product created with stock and adjusted several times
    created = warehouse_api.post("/api/v1/inventory/products",
                                 {"sku": "LEDGER", "name": "L", "price": "1.00", "currency": "USD",
                                  "stock_quantity": 10}, format="json").json()
    for delta in (-1, -2, 5, -4):
        assert warehouse_api.post(adjustments_url(created["id"]), {"quantity_delta": delta, "reason": "r"},
                                  format="json").status_code == 201
    # and another product's movements, which must not show up
    ProductFactory(stock=3)
    # when the ledger is read two rows at a time
    first = warehouse_api.get(movements_url(created["id"]), {"limit": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]
    rows, pages = follow_pages(warehouse_api, movements_url(created["id"]) + "?limit=2")
    # then every movement is listed once, oldest first, with running balances
    assert pages == 3
    assert [(r["kind"], r["quantity_delta"], r["balance_after"]) for r in rows] == [
        ("initial", 10, 10), ("adjustment", -1, 9), ("adjustment", -2, 7), ("adjustment", 5, 12),
        ("adjustment", -4, 8),
    ]
    assert len({r["id"] for r in rows}) == 5
    assert {r["product_id"] for r in rows} == {created["id"]}
    assert set(rows[0]) == MOVEMENT_FIELDS
    # and the balance of the last row is the product's stock
    assert rows[-1]["balance_after"] == Product.objects.get(pk=created["id"]).stock_quantity


@pytest.mark.django_db
def test_movements_query_count_does_not_grow_with_the_page_size(
    warehouse_api: APIClient, client_for: Callable[..., APIClient], django_assert_max_num_queries: Any
) -> None:
    # given a product whose ledger rows were written by different users
    product = ProductFactory(stock=1000)
    warehouse_api.get(movements_url(product.pk))  # warm up the token
    actors = [client_for("warehouse").user for _ in range(3)]
    StockMovementFactory.create_batch(4, product=product, actor=actors[0])
    # then a page of 5 and a page of 100 need the same queries
    with django_assert_max_num_queries(MOVEMENTS_QUERY_BUDGET):
        assert len(warehouse_api.get(movements_url(product.pk), {"limit": 5}).json()["results"]) == 5
    for index in range(95):
        StockMovementFactory(product=product, actor=actors[index % 3])
    with django_assert_max_num_queries(MOVEMENTS_QUERY_BUDGET):
        rows = warehouse_api.get(movements_url(product.pk), {"limit": 100}).json()["results"]
    assert len(rows) == 100
    assert {row["actor"] for row in rows[1:]} == {actor.username for actor in actors}


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------------


THREADS = 8
START_STOCK = 5


def _run_in_threads(work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in THREADS threads started together; each thread has and closes its own connection."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    lock = threading.Lock()

    def target() -> None:
        try:
            barrier.wait(timeout=10)
            outcome = work()
        except Exception as exc:  # collected, and asserted on by the test
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=target) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def _assert_stock_drained_once(product: Product) -> None:
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert ledger_sum(product.pk) == product.stock_quantity
    balances = sorted(StockMovement.objects.filter(product=product, kind="adjustment")
                      .values_list("balance_after", flat=True))
    assert balances == list(range(START_STOCK))  # 0..4, each once: no lost update, never negative
    assert not StockMovement.objects.filter(balance_after__lt=0).exists()
    assert stock_ledger_mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_api_adjustments_never_oversell(client_for: Callable[..., APIClient]) -> None:
    # given a product with 5 in stock and a warehouse token
    product = ProductFactory(stock=START_STOCK)
    token = client_for("warehouse").token.plain  # type: ignore[attr-defined]

    def adjust() -> int:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = api.post(adjustments_url(product.pk), {"quantity_delta": -1, "reason": "race"}, format="json")
        return response.status_code

    # when 8 requests remove one each at the same time
    statuses = _run_in_threads(adjust)
    # then exactly 5 succeed and the rest are refused as insufficient stock
    assert sorted(statuses) == [201] * START_STOCK + [422] * (THREADS - START_STOCK)
    _assert_stock_drained_once(product)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_service_adjustments_never_oversell() -> None:
    # given a product with 5 in stock
    product = ProductFactory(stock=START_STOCK)

    def adjust() -> Any:
        return services.stock_adjust(product=Product.objects.get(pk=product.pk), quantity_delta=-1,
                                     reason="race", actor=None)

    # when 8 callers remove one each at the same time
    outcomes = _run_in_threads(adjust)
    # then exactly 5 succeed and the other 3 get InsufficientStock
    succeeded = [o for o in outcomes if isinstance(o, StockMovement)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert len(succeeded) == START_STOCK, outcomes
    assert len(refused) == THREADS - START_STOCK, outcomes
    assert all(line.available == 0 for error in refused for line in error.lines)
    _assert_stock_drained_once(product)
