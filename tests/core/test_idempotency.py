"""Idempotency-Key mechanics (the order and payment endpoints' own tests cover their replays)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from sales.models import Order
from synthesq.core.models import IdempotencyKey, Sequence
from synthesq.core.sequences import sequence_next, sequence_reserve_block
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _order_body() -> dict:
    customer, product = CustomerFactory(), ProductFactory(stock=5)
    return {"customer_id": customer.pk, "currency": "USD", "line_items": [{"product_id": product.pk, "quantity": 1}]}


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\nkey"])
def test_malformed_key_is_400_and_creates_nothing(admin_api: APIClient, key: str) -> None:
    response = admin_api.post("/api/v1/sales/orders", _order_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_failed_request_does_not_burn_the_key(admin_api: APIClient) -> None:
    # given a request refused for bad input
    body = _order_body()
    bad = {**body, "line_items": []}
    assert admin_api.post("/api/v1/sales/orders", bad, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 400
    # then nothing is kept, and the key can be used for a valid body
    assert not IdempotencyKey.objects.exists()
    assert admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201


def test_expired_key_starts_a_new_life(admin_api: APIClient) -> None:
    body = _order_body()
    first = admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k2").json()["id"]
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=72))
    second = admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert second.status_code == 201
    assert second.json()["id"] != first
    assert Order.objects.count() == 2


def test_keys_are_kept_at_least_24_hours(admin_api: APIClient) -> None:
    body = _order_body()
    first = admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k3").json()["id"]
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    replay = admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="k3")
    assert replay.json()["id"] == first
    assert replay["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_purge_deletes_only_expired_keys(admin_api: APIClient) -> None:
    body = _order_body()
    admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="old")
    admin_api.post("/api/v1/sales/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=5))
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 1" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_sequences_count_from_one_and_reserve_blocks() -> None:
    with transaction.atomic():
        assert [sequence_next("t") for _ in range(3)] == [1, 2, 3]
        assert sequence_reserve_block("t", 5) == 4
        assert sequence_next("t") == 9
    assert Sequence.objects.get(name="t").value == 9


def test_rolled_back_number_is_given_back() -> None:
    with transaction.atomic():
        assert sequence_next("r") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next("r") == 2
        raise RuntimeError("refused")
    with transaction.atomic():
        assert sequence_next("r") == 2


def test_sequences_refuse_to_run_outside_a_transaction() -> None:
    # pytest-django wraps tests in a transaction, so check the guard through the connection flag
    connection = transaction.get_connection()
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            sequence_next("x")
    finally:
        connection.in_atomic_block = saved
