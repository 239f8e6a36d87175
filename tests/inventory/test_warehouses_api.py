"""Warehouses (``/api/v1/inventory/warehouses``), stock per warehouse, adjustments per warehouse and transfers
(``/api/v1/inventory/transfers``): the ledger sums to the stock per product and per warehouse after each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from integrations.models import Event
from inventory.models import StockMovement, Warehouse
from inventory.selectors import stock_ledger_mismatches, warehouse_ledger_mismatches
from inventory.services import warehouse_default
from tests.factories import ProductFactory, WarehouseFactory

from .helpers import assert_problem, error_fields, held, ledger_sum, product_url, snapshot

WAREHOUSES_URL = "/api/v1/inventory/warehouses"
TRANSFERS_URL = "/api/v1/inventory/transfers"
WAREHOUSE_FIELDS = {"id", "code", "name", "address", "priority", "active", "default", "created_at", "updated_at"}

pytestmark = pytest.mark.django_db


def assert_ledgers_hold() -> None:
    assert stock_ledger_mismatches() == []
    assert warehouse_ledger_mismatches() == []


# --- warehouses ---------------------------------------------------------------------------------------------


def test_the_default_warehouse_holds_the_stock_of_a_one_warehouse_seller(warehouse_api: APIClient) -> None:
    # given a product created with stock through the API, as the guide does
    response = warehouse_api.post("/api/v1/inventory/products", {
        "sku": "DESK-XL", "name": "XL desk", "price": "129.99", "currency": "USD", "stock_quantity": 10,
    }, format="json")
    assert response.status_code == 201, response.content
    # then the default warehouse holds it, and the product says so
    default = warehouse_default()
    body = response.json()
    assert body["stock_quantity"] == 10
    assert body["stock_by_warehouse"] == [{"warehouse_id": default.pk, "code": default.code, "quantity": 10}]
    listed = warehouse_api.get(WAREHOUSES_URL).json()["results"]
    assert [(row["id"], row["default"], row["active"]) for row in listed] == [(default.pk, True, True)]
    assert_ledgers_hold()


def test_a_warehouse_user_creates_and_changes_a_warehouse(warehouse_api: APIClient) -> None:
    # when a warehouse is created
    response = warehouse_api.post(WAREHOUSES_URL, {"code": "BER-1", "name": "Berlin", "address": "Hafenstr. 1",
                                                   "priority": 5}, format="json")
    # then it is returned with a wh_ id
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == WAREHOUSE_FIELDS and body["id"].startswith("wh_")
    assert (body["code"], body["priority"], body["active"], body["default"]) == ("BER-1", 5, True, False)
    # when it is deactivated, then it says so
    changed = warehouse_api.patch(f"{WAREHOUSES_URL}/{body['id']}", {"active": False}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["active"] is False
    assert Warehouse.objects.get(pk=body["id"]).is_active is False


def test_codes_are_unique_in_any_case_and_the_default_stays_active(warehouse_api: APIClient) -> None:
    # given a warehouse BER-1 (and the default one)
    WarehouseFactory(code="BER-1")
    default = warehouse_default()
    before = list(Warehouse.objects.order_by("pk").values())
    # when another is created as ber-1, or the default is deactivated, then both are refused naming the field
    refused = warehouse_api.post(WAREHOUSES_URL, {"code": "ber-1", "name": "Again"}, format="json")
    assert "code" in error_fields(assert_problem(refused, 400, "validation_error"))
    refused = warehouse_api.patch(f"{WAREHOUSES_URL}/{default.pk}", {"active": False}, format="json")
    assert "active" in error_fields(assert_problem(refused, 400, "validation_error"))
    # and nothing changed
    assert list(Warehouse.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(("role", "reads", "writes"), [
    ("warehouse", True, True), ("sales", True, False), ("finance", True, False), ("integrations", False, False),
])
def test_roles_on_warehouses(client_for: Callable[..., APIClient], role: str, reads: bool, writes: bool) -> None:
    client = client_for(role)
    assert client.get(WAREHOUSES_URL).status_code == (200 if reads else 403)
    created = client.post(WAREHOUSES_URL, {"code": f"X-{role}", "name": "X"}, format="json")
    assert created.status_code == (201 if writes else 403)
    assert Warehouse.objects.filter(code=f"X-{role}").exists() is writes


# --- adjustments per warehouse --------------------------------------------------------------------------------


def test_an_adjustment_goes_to_the_named_warehouse_or_the_default(warehouse_api: APIClient) -> None:
    # given a product with 5 in the default warehouse and a second warehouse
    product, other, default = ProductFactory(stock=5), WarehouseFactory(), warehouse_default()
    # when 4 are received into the other warehouse, and 2 removed without naming one
    received = warehouse_api.post(product_url(product.pk, "/adjustments"),
                                  {"quantity_delta": 4, "reason": "receipt", "warehouse_id": other.pk}, format="json")
    removed = warehouse_api.post(product_url(product.pk, "/adjustments"),
                                 {"quantity_delta": -2, "reason": "damaged"}, format="json")
    # then each row names its warehouse, and each warehouse holds what its ledger says
    assert received.status_code == removed.status_code == 201
    assert (received.json()["warehouse_id"], removed.json()["warehouse_id"]) == (other.pk, default.pk)
    assert (held(product.pk, other.pk), held(product.pk, default.pk)) == (4, 3)
    assert (ledger_sum(product.pk, other.pk), ledger_sum(product.pk, default.pk)) == (4, 3)
    assert warehouse_api.get(product_url(product.pk)).json()["stock_quantity"] == 7
    assert_ledgers_hold()


def test_an_adjustment_below_zero_in_one_warehouse_is_refused_whatever_the_others_hold(
    warehouse_api: APIClient,
) -> None:
    # given 5 in the default warehouse and 1 in another
    product, other = ProductFactory(stock=5), WarehouseFactory()
    warehouse_api.post(product_url(product.pk, "/adjustments"),
                       {"quantity_delta": 1, "reason": "receipt", "warehouse_id": other.pk}, format="json")
    before = snapshot()
    # when 2 are taken out of the other warehouse
    response = warehouse_api.post(product_url(product.pk, "/adjustments"),
                                  {"quantity_delta": -2, "reason": "count", "warehouse_id": other.pk}, format="json")
    # then it is refused with what that warehouse holds, and nothing changed
    body = assert_problem(response, 422, "insufficient_stock")
    assert body["lines"] == [{"product_id": product.pk, "requested": 2, "available": 1,
                              "available_by_warehouse": [{"warehouse_id": other.pk, "available": 1}]}]
    assert snapshot() == before


# --- transfers ------------------------------------------------------------------------------------------------


def transfer(api: APIClient, product_id: str, source: str, target: str, quantity: int) -> dict:
    response = api.post(TRANSFERS_URL, {"product_id": product_id, "from_warehouse_id": source,
                                        "to_warehouse_id": target, "quantity": quantity, "reason": "rebalance"},
                        format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_a_transfer_writes_two_ledger_rows_and_keeps_the_product_stock(warehouse_api: APIClient, settings) -> None:
    settings.EVENTS_ENABLED = True
    # given 6 in the default warehouse
    product, other, default = ProductFactory(stock=6), WarehouseFactory(), warehouse_default()
    # when 4 are transferred to another warehouse
    body = transfer(warehouse_api, product.pk, default.pk, other.pk, 4)
    # then two transfer rows share the reference: out of one, into the other
    assert body["id"].startswith("trf_")
    assert (body["from_warehouse_id"], body["to_warehouse_id"], body["quantity"]) == (default.pk, other.pk, 4)
    rows = list(StockMovement.objects.filter(reference=body["id"]).order_by("id")
                .values_list("kind", "warehouse_id", "quantity_delta"))
    assert rows == [("transfer", default.pk, -4), ("transfer", other.pk, 4)]
    # and the product's stock is unchanged, split over the two warehouses
    shown = warehouse_api.get(product_url(product.pk)).json()
    assert shown["stock_quantity"] == 6
    assert {row["warehouse_id"]: row["quantity"] for row in shown["stock_by_warehouse"]} == {default.pk: 2,
                                                                                             other.pk: 4}
    # and the event names both warehouses
    event = Event.objects.get(type="stock.transferred")
    assert event.data["object"]["from_warehouse_id"] == default.pk
    assert [row["warehouse_id"] for row in event.data["object"]["movements"]] == [default.pk, other.pk]
    assert_ledgers_hold()


def test_a_transfer_of_more_than_the_source_holds_is_refused_and_changes_nothing(warehouse_api: APIClient) -> None:
    product, other, default = ProductFactory(stock=3), WarehouseFactory(), warehouse_default()
    before = snapshot()
    response = warehouse_api.post(TRANSFERS_URL, {"product_id": product.pk, "from_warehouse_id": default.pk,
                                                  "to_warehouse_id": other.pk, "quantity": 4, "reason": "move"},
                                  format="json")
    body = assert_problem(response, 422, "insufficient_stock")
    assert body["lines"][0]["available"] == 3
    assert snapshot() == before


@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": 0}, "quantity"), ({"reason": ""}, "reason"), ({"to_warehouse_id": "wh_nope"}, "to_warehouse_id"),
    ({"same": True}, "to_warehouse_id"),
])
def test_a_bad_transfer_is_a_400_naming_the_field(warehouse_api: APIClient, change: dict, field: str) -> None:
    product, other, default = ProductFactory(stock=3), WarehouseFactory(), warehouse_default()
    body = {"product_id": product.pk, "from_warehouse_id": default.pk, "to_warehouse_id": other.pk, "quantity": 1,
            "reason": "move"}
    if change.pop("same", False):
        body["to_warehouse_id"] = default.pk
    before = snapshot()
    response = warehouse_api.post(TRANSFERS_URL, {**body, **change}, format="json")
    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert snapshot() == before


def test_only_the_warehouse_role_transfers(client_for: Callable[..., APIClient]) -> None:
    product, other, default = ProductFactory(stock=3), WarehouseFactory(), warehouse_default()
    before = snapshot()
    response = client_for("sales").post(TRANSFERS_URL, {
        "product_id": product.pk, "from_warehouse_id": default.pk, "to_warehouse_id": other.pk, "quantity": 1,
        "reason": "move"}, format="json")
    assert response.status_code == 403
    assert snapshot() == before
