"""Issue 24's story by clicking in the back-office, each role doing its part: sales confirms an order of three
products whose stock is split over two warehouses and amends it (one quantity up, one line removed); the warehouse
starts it, ships one parcel from each warehouse with "Ship some lines…" and marks each delivered from the order's
Parcels tab; sales requests one unit back and the warehouse receives it into the warehouse it left. After each step
every ledger, per product and per warehouse, sums to the stock, and each product's total is the sum over warehouses."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from billing.models import Invoice
from inventory.models import Product, WarehouseStock
from sales.models import Order, OrderLineAllocation, OrderStatus, Return
from tests.admin.helpers import hidden_form, messages_text
from tests.admin.navigation import click, open_from_index
from tests.factories import OrderFactory, ProductFactory
from tests.inventory.helpers import held
from tests.sales.shipment_helpers import place_stock, warehouse
from tests.sales.test_order_allocations import assert_ledgers_hold

from .test_amendment_admin import amend
from .test_return_admin import open_return, press, request_form
from .test_shipment_admin import ship_lines

pytestmark = pytest.mark.django_db


def assert_stock_adds_up(*products: Product) -> None:
    assert_ledgers_hold()
    for product in products:
        by_warehouse = WarehouseStock.objects.filter(product_id=product.pk).aggregate(total=Sum("quantity"))["total"]
        assert Product.objects.get(pk=product.pk).stock_quantity == by_warehouse


def allocated(order: Order, codes: dict[str, str]) -> list[tuple[str, str, int]]:
    rows = OrderLineAllocation.objects.filter(line__order_id=order.pk).order_by("line__position", "warehouse_id")
    return [(row.line.product_id, codes[row.warehouse_id], row.quantity) for row in rows.select_related("line")]


def move(client: Client, sidebar: str, order: Order, status: str) -> Any:
    """Open the order from ``sidebar`` and press the button that moves it to ``status``."""
    url, data = hidden_form(open_from_index(client, sidebar, order.order_number), f"move-{status}")
    done = client.post(url, data, follow=True)
    assert Order.objects.get(pk=order.pk).status == status, messages_text(done)
    return done


def test_the_fulfilment_story_by_clicking(login: Callable[..., Client]) -> None:
    # given A held only in east, B only in west, C in both; and a draft order of 2 A, 3 B and 1 C
    east, west = warehouse("EAST", 10), warehouse("WEST", 20)
    codes = {east.pk: "EAST", west.pk: "WEST"}
    a, b, c = (ProductFactory(sku=sku, price=Decimal(price), stock=0)
               for sku, price in (("STORY-A", "10.00"), ("STORY-B", "20.00"), ("STORY-C", "5.00")))
    for product, quantity, where in ((a, 4, east), (b, 6, west), (c, 2, east), (c, 2, west)):
        place_stock(product, where, quantity)
    products = (a, b, c)
    order = OrderFactory(lines=[(a, 2), (b, 3), (c, 1)])
    sales, warehouse_user = login("sales"), login("warehouse")
    # when sales confirms it from "Drafts to confirm"
    move(sales, "Drafts to confirm", order, "confirmed")
    # then each line is allocated from the first warehouse by priority that holds it
    assert allocated(order, codes) == [(a.pk, "EAST", 2), (b.pk, "WEST", 3), (c.pk, "EAST", 1)]
    assert [[held(p.pk, east.pk), held(p.pk, west.pk)] for p in products] == [[2, 0], [0, 3], [1, 2]]
    assert_stock_adds_up(*products)
    # when sales amends it from "Orders": A up to 3, C removed
    done = amend(sales, open_from_index(sales, "Orders", order.order_number), order,
                 quantities={a.pk: 3, c.pk: 0}, add=None)
    # then one more A is taken from east, C goes back to east, and the totals follow
    assert f"Order {order.order_number} amended." in messages_text(done, "success")
    assert allocated(order, codes) == [(a.pk, "EAST", 3), (b.pk, "WEST", 3)]
    assert [[held(p.pk, east.pk), held(p.pk, west.pk)] for p in products] == [[1, 0], [0, 3], [2, 2]]
    assert Order.objects.get(pk=order.pk).total == Invoice.objects.get(order_id=order.pk).total == Decimal("90.00")
    assert_stock_adds_up(*products)
    # when the warehouse starts it from "To pick" and ships one parcel per warehouse from "To ship"
    move(warehouse_user, "To pick", order, "processing")
    page = open_from_index(warehouse_user, "To ship", order.order_number)
    for where, quantities, tracking in ((east, {a.pk: 3}, "1Z-EAST"), (west, {b.pk: 3}, "1Z-WEST")):
        page = ship_lines(warehouse_user, page, order, warehouse=where, quantities=quantities, tracking=tracking)
        assert f"Parcel DHL {tracking}" in messages_text(page, "success")
        assert_stock_adds_up(*products)
    # then the order has shipped, and shipping moved no stock
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert [[held(p.pk, east.pk), held(p.pk, west.pk)] for p in products] == [[1, 0], [0, 3], [2, 2]]
    # when each parcel is opened from the order's Parcels tab and marked delivered, the last delivers the order
    for tracking, status in (("1Z-EAST", OrderStatus.SHIPPED), ("1Z-WEST", OrderStatus.DELIVERED)):
        url, data = hidden_form(click(warehouse_user, page, f"DHL {tracking}"), "move-delivered")
        delivered = warehouse_user.post(url, data, follow=True)
        assert f"Shipment DHL {tracking} delivered." in messages_text(delivered, "success")
        assert Order.objects.get(pk=order.pk).status == status
        assert_stock_adds_up(*products)
        page = click(warehouse_user, delivered, order.order_number)
    # when sales requests one B back (restock) from the order's page
    line_b = order.lines.get(product_id=b.pk)
    path, data = request_form(sales, order)
    data.update({f"quantity_{line_b.pk}": "1", "reason": "too big"})
    sales.post(path, data, follow=True)
    return_ = Return.objects.get(order_id=order.pk)
    assert [(line.product_id, line.quantity, line.restock) for line in return_.lines.all()] == [(b.pk, 1, True)]
    # and the warehouse receives it from "Returns to receive"
    done = press(warehouse_user, open_return(warehouse_user, return_, "Returns to receive"), "received")
    # then the unit is back in west, the warehouse it shipped from
    assert f"Return {return_.return_number} received" in messages_text(done, "success")  # type: ignore[arg-type]
    assert [[held(p.pk, east.pk), held(p.pk, west.pk)] for p in products] == [[1, 0], [0, 4], [2, 2]]
    assert_stock_adds_up(*products)
