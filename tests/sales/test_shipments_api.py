"""Shipments API (issue 24): an order allocated from two warehouses ships in two parcels and is delivered parcel
by parcel; the guide's PATCH …/status shipped and delivered ship and deliver what is left; every refusal changes
nothing; the list filters; returns claim only what shipped."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from sales.models import Order, OrderEvent, Shipment
from tests.factories import OrderFactory
from tests.helpers import assert_problem, error_fields

from .helpers import TRACKING, order_returns_url, order_url, return_body, status_url
from .shipment_helpers import (
    SHIPMENT_FIELDS,
    SHIPMENTS_URL,
    default_warehouse,
    event_types,
    order_shipments_url,
    shipment_body,
    shipment_url,
    shipping_state,
    two_warehouse_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def split() -> tuple[Order, Any, Any, str, str]:
    return two_warehouse_order()


def _status_history(order_id: str) -> list[tuple[str, str]]:
    return list(OrderEvent.objects.filter(order_id=order_id, kind="status_changed").order_by("id")
                .values_list("from_status", "to_status"))


def test_two_parcels_ship_the_order_and_deliver_it_one_by_one(split: Any, warehouse_api: APIClient) -> None:
    order, east, west, a, b = split
    # when the first parcel (all of A) leaves the east warehouse
    first = warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 2), tracking="1Z-EAST"),
                               format="json")
    # then it is a shipment of A from there, and the order is still processing, partially shipped
    assert first.status_code == 201, first.content
    parcel = first.json()
    assert set(parcel) == SHIPMENT_FIELDS and parcel["id"].startswith("shp_")
    assert first["Location"].endswith(shipment_url(parcel["id"]))
    assert (parcel["warehouse_id"], parcel["status"], parcel["allowed_statuses"]) == (east.pk, "shipped", ["delivered"])
    assert [(line["product_id"], line["quantity"]) for line in parcel["lines"]] == [(a, 2)]
    body = warehouse_api.get(order_url(order.pk)).json()
    assert (body["status"], body["fulfilment_status"]) == ("processing", "partially_shipped")
    # when the second parcel (all of B) leaves the west warehouse
    second = warehouse_api.post(order_shipments_url(order.pk), shipment_body(west.pk, (b, 3), tracking="1Z-WEST"),
                                format="json").json()
    # then the order moved to shipped by itself: one history row, one order.shipped event, the last parcel's tracking
    body = warehouse_api.get(order_url(order.pk)).json()
    assert (body["status"], body["fulfilment_status"], body["tracking_number"]) == ("shipped", "shipped", "1Z-WEST")
    assert _status_history(order.pk)[-1] == ("processing", "shipped")
    assert event_types(order.pk).count("order.shipped") == 1
    # when the first parcel is delivered, the order waits for the other
    delivered = warehouse_api.patch(shipment_url(parcel["id"], "/status"), {"status": "delivered"}, format="json")
    assert delivered.status_code == 200, delivered.content
    assert (delivered.json()["status"], delivered.json()["allowed_statuses"]) == ("delivered", [])
    assert warehouse_api.get(order_url(order.pk)).json()["status"] == "shipped"
    # and with the second the order is delivered (one history row, one order.delivered event)
    warehouse_api.patch(shipment_url(second["id"], "/status"), {"status": "delivered"}, format="json")
    body = warehouse_api.get(order_url(order.pk)).json()
    assert (body["status"], body["fulfilment_status"]) == ("delivered", "delivered")
    assert _status_history(order.pk)[-2:] == [("processing", "shipped"), ("shipped", "delivered")]
    assert event_types(order.pk).count("order.delivered") == 1
    assert event_types(parcel["id"]) == ["shipment.created", "shipment.delivered"]


def test_a_warehouse_ships_in_several_parcels(split: Any, warehouse_api: APIClient) -> None:
    order, east, _west, a, _b = split
    for tracking, quantity in (("1Z-1", 1), ("1Z-2", 1)):
        response = warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, quantity),
                                                                                   tracking=tracking), format="json")
        assert response.status_code == 201, response.content
    # then A is all shipped from east, B not yet: still processing
    assert Order.objects.get(pk=order.pk).fulfilment_status == "partially_shipped"
    # and a third parcel of A is refused: nothing left of it to ship
    before = shipping_state(order.pk)
    refused = warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 1)), format="json")
    body = assert_problem(refused, 422, "shipment_quantity_exceeded")
    assert body["lines"] == [{"line": 0, "product_id": a, "sku": "SHP-A", "requested": 1, "shippable": 0}]
    assert shipping_state(order.pk) == before


def test_the_guides_shipped_ships_the_rest_one_parcel_per_warehouse(split: Any, warehouse_api: APIClient) -> None:
    order, east, west, a, b = split
    # given one of A already shipped from east
    warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 1)), format="json")
    # when the guide's call ships the order
    response = warehouse_api.patch(status_url(order.pk), {"status": "shipped", **TRACKING}, format="json")
    # then the rest left in one parcel per warehouse, under the one tracking number
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["fulfilment_status"]) == ("shipped", "shipped")
    rest = Shipment.objects.filter(order=order, tracking_number=TRACKING["tracking_number"]).order_by("warehouse_id")
    assert sorted((s.warehouse_id, [(line.product_id, line.quantity) for line in s.lines.all()]) for s in rest) == \
        sorted([(east.pk, [(a, 1)]), (west.pk, [(b, 3)])])
    # when the guide's call delivers it, every parcel is delivered with it
    response = warehouse_api.patch(status_url(order.pk), {"status": "delivered"}, format="json")
    assert response.status_code == 200 and response.json()["fulfilment_status"] == "delivered"
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {"delivered"}


def test_with_one_warehouse_the_guides_calls_make_one_parcel(warehouse_api: APIClient) -> None:
    # given an order shipped and delivered the guide's way
    order = OrderFactory(status="delivered", line_count=2)
    # then it left in one parcel from the default warehouse, with all its lines, now delivered
    parcel = warehouse_api.get(SHIPMENTS_URL, {"order_id": order.pk}).json()["results"]
    assert len(parcel) == 1
    assert (parcel[0]["warehouse_id"], parcel[0]["status"], parcel[0]["tracking_number"]) == (
        default_warehouse().pk, "delivered", TRACKING["tracking_number"])
    assert sorted((line["product_id"], line["quantity"]) for line in parcel[0]["lines"]) == sorted(
        order.lines.values_list("product_id", "quantity"))


@pytest.mark.parametrize("case", [
    "unknown product", "unknown warehouse", "nothing allocated there", "too many", "no tracking", "twice",
    "zero",
])
def test_refused_shipments_change_nothing(case: str, split: Any, warehouse_api: APIClient) -> None:
    order, east, west, a, _b = split
    bodies = {
        "unknown product": (shipment_body(east.pk, ("prod_nope", 1)), 400),
        "unknown warehouse": (shipment_body("wh_nope", (a, 1)), 400),
        "nothing allocated there": (shipment_body(west.pk, (a, 1)), 422),
        "too many": (shipment_body(east.pk, (a, 3)), 422),
        "no tracking": ({**shipment_body(east.pk, (a, 1)), "tracking_number": ""}, 400),
        "twice": (shipment_body(east.pk, (a, 1), (a, 1)), 400),
        "zero": (shipment_body(east.pk, (a, 0)), 400),
    }
    body, status = bodies[case]
    before = shipping_state(order.pk)
    response = warehouse_api.post(order_shipments_url(order.pk), body, format="json")
    assert response.status_code == status, response.content
    if status == 422:
        assert response.json()["code"] == "shipment_quantity_exceeded"
    assert shipping_state(order.pk) == before


def test_unknown_warehouse_is_named(split: Any, warehouse_api: APIClient) -> None:
    order, _east, _west, a, _b = split
    response = warehouse_api.post(order_shipments_url(order.pk), shipment_body("wh_nope", (a, 1)), format="json")
    assert error_fields(assert_problem(response, 400, "validation_error")) == ["warehouse_id"]


@pytest.mark.parametrize("status", ["confirmed", "shipped", "delivered", "cancelled"])
def test_only_processing_orders_ship_part(status: str, warehouse_api: APIClient) -> None:
    order = OrderFactory(status=status)
    product = order.lines.get().product_id
    before = shipping_state(order.pk)
    response = warehouse_api.post(order_shipments_url(order.pk), shipment_body(default_warehouse().pk, (product, 1)),
                                  format="json")
    assert assert_problem(response, 409, "order_not_shippable")["current_status"] == status
    assert shipping_state(order.pk) == before


def test_roles_and_unknown_orders(split: Any, sales_api: APIClient, warehouse_api: APIClient) -> None:
    order, east, _west, a, _b = split
    before = shipping_state(order.pk)
    assert_problem(sales_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 1)), format="json"),
                   403, "permission_denied")
    assert warehouse_api.post(order_shipments_url("ord_nope"), shipment_body(east.pk, (a, 1)),
                              format="json").status_code == 404
    assert shipping_state(order.pk) == before


def test_a_delivered_parcel_is_not_delivered_again(split: Any, warehouse_api: APIClient,
                                                   sales_api: APIClient) -> None:
    order, east, _west, a, _b = split
    parcel = warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 2)), format="json").json()
    # sales may not mark deliveries
    before = shipping_state(order.pk)
    assert_problem(sales_api.patch(shipment_url(parcel["id"], "/status"), {"status": "delivered"}, format="json"),
                   403, "permission_denied")
    assert shipping_state(order.pk) == before
    warehouse_api.patch(shipment_url(parcel["id"], "/status"), {"status": "delivered"}, format="json")
    before = shipping_state(order.pk)
    for target in ("delivered", "shipped"):
        response = warehouse_api.patch(shipment_url(parcel["id"], "/status"), {"status": target}, format="json")
        assert assert_problem(response, 409, "invalid_transition")["current_status"] == "delivered"
    assert shipping_state(order.pk) == before


def test_the_list_filters(split: Any, warehouse_api: APIClient) -> None:
    order, east, west, a, b = split
    one = warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 2), tracking="1Z-E"),
                             format="json").json()
    two = warehouse_api.post(order_shipments_url(order.pk), shipment_body(west.pk, (b, 3), tracking="1Z-W"),
                             format="json").json()
    warehouse_api.patch(shipment_url(one["id"], "/status"), {"status": "delivered"}, format="json")

    def ids(**params: str) -> list[str]:
        response = warehouse_api.get(SHIPMENTS_URL, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert set(ids(order_id=order.pk)) == {one["id"], two["id"]}
    assert ids(warehouse_id=west.pk) == [two["id"]]
    assert ids(status="delivered") == [one["id"]]
    assert ids(tracking_number="1z-w") == [two["id"]]
    assert warehouse_api.get(shipment_url(two["id"])).json() == two
    assert warehouse_api.get(SHIPMENTS_URL, {"status": "lost"}).status_code == 400


def test_a_return_of_a_partly_shipped_order_claims_only_what_was_delivered(
        split: Any, warehouse_api: APIClient, sales_api: APIClient) -> None:
    order, east, _west, a, b = split
    # given nothing shipped yet: no return
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json"),
                   409, "order_not_returnable")
    # given one A shipped (B not at all): nothing delivered yet, still no return
    parcel = warehouse_api.post(order_shipments_url(order.pk), shipment_body(east.pk, (a, 1)), format="json").json()
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json"),
                   409, "order_not_returnable")
    # given that parcel delivered
    warehouse_api.patch(shipment_url(parcel["id"], "/status"), {"status": "delivered"}, format="json")
    # when B or two A are asked back, it is refused, changing nothing
    before = shipping_state(order.pk)
    for product, quantity in ((b, 1), (a, 2)):
        response = sales_api.post(order_returns_url(order.pk), return_body((product, quantity)), format="json")
        assert assert_problem(response, 422, "return_quantity_exceeded")["lines"][0]["returnable"] == \
            (1 if product == a else 0)
    assert shipping_state(order.pk) == before
    # and the one A that shipped and was delivered can be returned
    response = sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json")
    assert response.status_code == 201, response.content
    assert [(line["product_id"], line["quantity"]) for line in response.json()["lines"]] == [(a, 1)]
