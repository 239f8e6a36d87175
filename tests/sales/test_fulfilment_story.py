"""Issue 24's story through the API: an order of three products whose stock is split over two warehouses is
confirmed, amended (one quantity up, one line removed), shipped in two parcels (one per warehouse), delivered parcel
by parcel, and one unit is returned into the warehouse it left; after each step every ledger, per product and per
warehouse, sums to the stock, and each product's ``stock_quantity`` is the sum of its ``stock_by_warehouse``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice
from inventory.models import Product
from sales.models import Return, Shipment
from tests.factories import OrderFactory, ProductFactory
from tests.inventory.helpers import held, product_url

from .helpers import order_returns_url, order_url, return_body, return_url, status_url
from .shipment_helpers import order_shipments_url, place_stock, shipment_body, shipment_url, warehouse
from .test_order_allocations import assert_ledgers_hold

pytestmark = pytest.mark.django_db


def assert_stock_adds_up(api: APIClient, *products: Product) -> None:
    """Every ledger sums to its stock, and through the API each product's total is the sum over its warehouses."""
    assert_ledgers_hold()
    for product in products:
        body = api.get(product_url(product.pk)).json()
        assert body["stock_quantity"] == sum(row["quantity"] for row in body["stock_by_warehouse"])


def allocations(body: dict[str, Any], codes: dict[str, str]) -> list[tuple[str, list[tuple[str, int]]]]:
    return [(line["product_id"], [(codes[row["warehouse_id"]], row["quantity"]) for row in line["allocations"]])
            for line in body["line_items"]]


def stock(products: tuple[Product, ...], *where: Any) -> list[list[int]]:
    return [[held(product.pk, place.pk) for place in where] for product in products]


def test_the_fulfilment_story_through_the_api(sales_api: APIClient, warehouse_api: APIClient) -> None:
    # given A held only in east, B only in west, C in both; and an order of 2 A, 3 B and 1 C
    east, west = warehouse("EAST", 10), warehouse("WEST", 20)
    codes = {east.pk: "EAST", west.pk: "WEST"}
    a, b, c = (ProductFactory(sku=sku, price=Decimal(price), stock=0)
               for sku, price in (("STORY-A", "10.00"), ("STORY-B", "20.00"), ("STORY-C", "5.00")))
    for product, quantity, where in ((a, 4, east), (b, 6, west), (c, 2, east), (c, 2, west)):
        place_stock(product, where, quantity)
    products = (a, b, c)
    order = OrderFactory(lines=[(a, 2), (b, 3), (c, 1)])
    assert_stock_adds_up(sales_api, *products)
    # when sales confirms it
    confirmed = sales_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json")
    # then no warehouse takes it whole: each line comes from the first warehouse by priority that holds it
    assert confirmed.status_code == 200, confirmed.content
    assert allocations(confirmed.json(), codes) == [(a.pk, [("EAST", 2)]), (b.pk, [("WEST", 3)]),
                                                    (c.pk, [("EAST", 1)])]
    assert stock(products, east, west) == [[2, 0], [0, 3], [1, 2]]
    assert_stock_adds_up(sales_api, *products)
    # when sales amends it: A up to 3, C removed
    amended = sales_api.post(order_url(order.pk, "/amendments"), {
        "lines": [{"product_id": a.pk, "quantity": 3}, {"product_id": c.pk, "quantity": 0}],
        "reason": "customer called"}, format="json")
    # then one more A is taken from east, the C goes back to east, and the totals follow (3 x 10.00 + 3 x 20.00)
    assert amended.status_code == 200, amended.content
    body = amended.json()
    assert allocations(body, codes) == [(a.pk, [("EAST", 3)]), (b.pk, [("WEST", 3)])]
    assert stock(products, east, west) == [[1, 0], [0, 3], [2, 2]]
    assert (body["subtotal"], body["total"]) == ("90.00", "90.00")
    invoice = Invoice.objects.get(order_id=order.pk)
    assert (list(invoice.lines.filter(kind="product").values_list("product_id", "quantity")), invoice.total) == (
        [(a.pk, 3), (b.pk, 3)], Decimal("90.00"))
    assert_stock_adds_up(sales_api, *products)
    # when the warehouse starts it and ships one parcel from each warehouse
    assert warehouse_api.patch(status_url(order.pk), {"status": "processing"}, format="json").status_code == 200
    parcels = []
    for where, line, tracking in ((east, (a.pk, 3), "1Z-EAST"), (west, (b.pk, 3), "1Z-WEST")):
        response = warehouse_api.post(order_shipments_url(order.pk), shipment_body(where.pk, line, tracking=tracking),
                                      format="json")
        assert response.status_code == 201, response.content
        parcels.append(response.json()["id"])
        assert warehouse_api.get(order_url(order.pk)).json()["fulfilment_status"] == (
            "partially_shipped" if len(parcels) == 1 else "shipped")
        assert_stock_adds_up(sales_api, *products)
    # then the order has shipped, and shipping moved no stock (it was taken at confirmation)
    assert warehouse_api.get(order_url(order.pk)).json()["status"] == "shipped"
    assert stock(products, east, west) == [[1, 0], [0, 3], [2, 2]]
    # when the parcels are delivered one by one, the order is delivered with the last
    for parcel, expected in zip(parcels, ("shipped", "delivered"), strict=True):
        delivered = warehouse_api.patch(shipment_url(parcel, "/status"), {"status": "delivered"}, format="json")
        assert delivered.status_code == 200, delivered.content
        assert warehouse_api.get(order_url(order.pk)).json()["status"] == expected
        assert_stock_adds_up(sales_api, *products)
    assert set(Shipment.objects.filter(order_id=order.pk).values_list("status", flat=True)) == {"delivered"}
    # when sales requests one B back and the warehouse receives it
    requested = sales_api.post(order_returns_url(order.pk), return_body((b.pk, 1, True)), format="json")
    assert requested.status_code == 201, requested.content
    received = warehouse_api.patch(return_url(requested.json()["id"], "/status"), {"status": "received"},
                                   format="json")
    # then the unit is back in west, the warehouse it shipped from
    assert received.status_code == 200, received.content
    assert Return.objects.get(pk=requested.json()["id"]).status == "received"
    assert stock(products, east, west) == [[1, 0], [0, 4], [2, 2]]
    assert_stock_adds_up(sales_api, *products)
