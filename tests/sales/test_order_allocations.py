"""Allocation at confirmation, through the API: each line shows where its stock is reserved; cancelling releases
exactly that, to the same warehouses; a received return restocks where its line was allocated from unless the
request names a warehouse. Per product and per warehouse the ledger sums to the stock after each step."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory import services as inventory
from inventory.models import Product, Warehouse
from inventory.selectors import stock_ledger_mismatches, warehouse_ledger_mismatches
from sales import services
from sales.models import OrderLineAllocation, OrderStatus
from tests.factories import OrderFactory, ProductFactory, WarehouseFactory
from tests.helpers import assert_problem
from tests.inventory.helpers import held

from .helpers import db_state, order_returns_url, order_url, return_body, return_url, status_url

pytestmark = pytest.mark.django_db


def stocked(**by_warehouse: int) -> Product:
    """A product holding the given quantities, by warehouse code (the warehouses must exist)."""
    product = ProductFactory()
    for code, quantity in by_warehouse.items():
        if quantity:
            inventory.stock_adjust(product=product, quantity_delta=quantity, reason="receipt", actor=None,
                                   warehouse=Warehouse.objects.get(code=code))
    return Product.objects.get(pk=product.pk)


@pytest.fixture
def warehouses() -> dict[str, Warehouse]:
    """Three warehouses: A (priority 1), B (2), C (3)."""
    return {code: WarehouseFactory(code=code, priority=priority) for code, priority in (("A", 1), ("B", 2),
                                                                                           ("C", 3))}


def confirm(api: APIClient, order_id: str) -> dict[str, Any]:
    response = api.patch(status_url(order_id), {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    return dict(response.json())


def allocations(body: dict[str, Any], warehouses: dict[str, Warehouse]) -> list[list[tuple[str, int]]]:
    code = {w.pk: c for c, w in warehouses.items()}
    return [[(code[a["warehouse_id"]], a["quantity"]) for a in line["allocations"]] for line in body["line_items"]]


def assert_ledgers_hold() -> None:
    assert stock_ledger_mismatches() == []
    assert warehouse_ledger_mismatches() == []


def test_an_order_one_warehouse_can_ship_whole_is_allocated_there(
    sales_api: APIClient, warehouses: dict[str, Warehouse],
) -> None:
    # given A holds only the first product, B holds both
    first, second = stocked(A=5, B=2), stocked(B=1)
    order = OrderFactory(lines=[(first, 2), (second, 1)])
    # when it is confirmed, then it goes in one parcel from B
    body = confirm(sales_api, order.pk)
    assert allocations(body, warehouses) == [[("B", 2)], [("B", 1)]]
    assert (held(first.pk, warehouses["A"].pk), held(first.pk, warehouses["B"].pk)) == (5, 0)
    # and reading it again shows the same
    assert allocations(sales_api.get(order_url(order.pk)).json(), warehouses) == [[("B", 2)], [("B", 1)]]
    assert_ledgers_hold()


def test_a_line_no_warehouse_holds_whole_is_split_in_priority_order(
    sales_api: APIClient, warehouses: dict[str, Warehouse],
) -> None:
    # given 2 in A, 4 in C, and two lines of the product (3 and 2)
    product = stocked(A=2, C=4)
    order = OrderFactory(lines=[(product, 3), (product, 2)])
    # when it is confirmed
    body = confirm(sales_api, order.pk)
    # then A gives its 2, C the rest, shared among the lines in order
    assert allocations(body, warehouses) == [[("A", 2), ("C", 1)], [("C", 2)]]
    assert (held(product.pk, warehouses["A"].pk), held(product.pk, warehouses["C"].pk)) == (0, 1)
    assert_ledgers_hold()


def test_inactive_warehouses_are_not_allocated_from(sales_api: APIClient, warehouses: dict[str, Warehouse]) -> None:
    product = stocked(A=5, B=5)
    inventory.warehouse_update(warehouse=warehouses["A"], actor=None, data={"is_active": False})
    body = confirm(sales_api, OrderFactory(lines=[(product, 3)]).pk)
    assert allocations(body, warehouses) == [[("B", 3)]]


def test_short_stock_across_all_warehouses_is_refused_naming_the_total_and_changes_nothing(
    sales_api: APIClient, warehouses: dict[str, Warehouse],
) -> None:
    # given 2 in A and 2 in B of a product, and plenty of another
    short, plenty = stocked(A=2, B=2), stocked(C=50)
    order = OrderFactory(lines=[(plenty, 1), (short, 5)])
    before = db_state()
    # when it is confirmed
    response = sales_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json")
    # then the short product is named with what all warehouses together hold, and each of them
    body = assert_problem(response, 422, "insufficient_stock")
    assert body["lines"] == [{"product_id": short.pk, "requested": 5, "available": 4, "available_by_warehouse": [
        {"warehouse_id": warehouses["A"].pk, "available": 2}, {"warehouse_id": warehouses["B"].pk, "available": 2}]}]
    # and nothing changed: no stock, no ledger row, no allocation
    assert db_state() == before


def test_cancelling_releases_exactly_what_was_allocated_to_the_same_warehouses(
    sales_api: APIClient, warehouses: dict[str, Warehouse],
) -> None:
    # given a confirmed order split over A and C
    product = stocked(A=2, C=4)
    order = OrderFactory(lines=[(product, 5)])
    confirm(sales_api, order.pk)
    # when more stock arrives in B (which would now take the order whole) and the order is cancelled
    inventory.stock_adjust(product=product, quantity_delta=9, reason="receipt", actor=None,
                           warehouse=warehouses["B"])
    response = sales_api.patch(status_url(order.pk), {"status": "cancelled", "reason": "changed mind"},
                               format="json")
    # then A and C get back exactly what they gave, B is untouched, and the lines hold no allocation any more
    assert response.status_code == 200, response.content
    assert [held(product.pk, warehouses[c].pk) for c in "ABC"] == [2, 9, 4]
    assert all(line["allocations"] == [] for line in response.json()["line_items"])
    assert not OrderLineAllocation.objects.filter(line__order_id=order.pk).exists()
    assert_ledgers_hold()


def delivered_split_order(warehouses: dict[str, Warehouse]) -> tuple[str, Product]:
    """A delivered order of 5 units, allocated 2 from A and 3 from C."""
    product = stocked(A=2, C=3)
    order = OrderFactory(lines=[(product, 5)], status=OrderStatus.CONFIRMED)
    for step in ("processing", "shipped", "delivered"):
        services.order_transition(order_id=order.pk, status=step, actor=None,
                                  **({"tracking_number": "T1", "carrier": "UPS"} if step == "shipped" else {}))
    return order.pk, product


def test_a_received_return_restocks_into_the_warehouses_it_shipped_from(
    client_for: Any, warehouses: dict[str, Warehouse],
) -> None:
    # given a delivered order allocated 2 from A and 3 from C, and a return of 3 units
    order_id, product = delivered_split_order(warehouses)
    api = client_for("sales", "warehouse")
    returned = api.post(order_returns_url(order_id), return_body((product.pk, 3)), format="json")
    assert returned.status_code == 201, returned.content
    # when it is received (the guide's body, no warehouse named)
    response = api.patch(return_url(returned.json()["id"], "/status"), {"status": "received"}, format="json")
    # then A gets its 2 back and C the third unit
    assert response.status_code == 200, response.content
    assert [held(product.pk, warehouses[c].pk) for c in "AC"] == [2, 1]
    # and a second return of the last 2 units goes on into C
    second = api.post(order_returns_url(order_id), return_body((product.pk, 2)), format="json").json()
    api.patch(return_url(second["id"], "/status"), {"status": "received"}, format="json")
    assert [held(product.pk, warehouses[c].pk) for c in "AC"] == [2, 3]
    assert_ledgers_hold()


def test_a_received_return_goes_into_the_warehouse_the_request_names(
    client_for: Any, warehouses: dict[str, Warehouse],
) -> None:
    order_id, product = delivered_split_order(warehouses)
    api = client_for("sales", "warehouse")
    returned = api.post(order_returns_url(order_id), return_body((product.pk, 4)), format="json").json()
    response = api.patch(return_url(returned["id"], "/status"),
                         {"status": "received", "warehouse_id": warehouses["B"].pk}, format="json")
    assert response.status_code == 200, response.content
    assert [held(product.pk, warehouses[c].pk) for c in "ABC"] == [0, 4, 0]
    assert_ledgers_hold()


def test_a_warehouse_named_with_another_status_is_refused(client_for: Any, warehouses: dict[str, Warehouse]) -> None:
    order_id, product = delivered_split_order(warehouses)
    api = client_for("sales", "warehouse")
    returned = api.post(order_returns_url(order_id), return_body((product.pk, 1)), format="json").json()
    before = db_state()
    response = api.patch(return_url(returned["id"], "/status"),
                         {"status": "rejected", "reason": "no", "warehouse_id": warehouses["B"].pk}, format="json")
    assert_problem(response, 400, "validation_error")
    assert db_state() == before
