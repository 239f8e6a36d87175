"""The order lifecycle guide, end to end through the API with each role doing its part."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory.models import StockMovement
from inventory.selectors import stock_ledger_mismatches
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import follow_pages

from .helpers import (
    GUIDE_ADDRESS,
    ORDERS_URL,
    TRACKING,
    history_url,
    movements,
    order_payload,
    order_url,
    status_url,
    stock_of,
)

pytestmark = pytest.mark.django_db


def test_guide_flow_from_draft_to_closed(client_for: Callable[..., APIClient], settings: Any) -> None:
    # given the guide's customer and product, and a user of each role
    sales, warehouse, finance = client_for("sales"), client_for("warehouse"), client_for("finance")
    customer = CustomerFactory()
    product = ProductFactory(stock=10, price=Decimal("129.99"))

    # Stage 1: sales creates the draft with the guide's body
    created = sales.post(ORDERS_URL, order_payload(customer.pk, [(product.pk, 2, 129.99)], address=GUIDE_ADDRESS),
                         format="json")
    assert created.status_code == 201, created.content
    order = created.json()
    order_id = order["id"]
    assert (order["status"], order["total"], order["allowed_statuses"]) == ("draft", "259.98",
                                                                             ["confirmed", "cancelled"])
    assert stock_of(product) == 10

    # Stage 2: sales confirms; 2 units are reserved
    response = sales.patch(status_url(order_id), {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert stock_of(product) == 8
    assert movements(order_id, "reservation") == [(product.pk, -2)]
    # the warehouse now sees it may start processing
    assert warehouse.get(order_url(order_id)).json()["allowed_statuses"] == ["processing"]

    # Stage 3: the warehouse starts processing
    response = warehouse.patch(status_url(order_id), {"status": "processing"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "processing")
    assert response.json()["processing_at"]
    # and it appears among the orders awaiting shipment
    awaiting = warehouse.get(f"{ORDERS_URL}?status=processing&sort=-created_at").json()["results"]
    assert [row["id"] for row in awaiting] == [order_id]

    # Stage 4: shipped with the guide's tracking data
    response = warehouse.patch(status_url(order_id), {"status": "shipped", **TRACKING}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["tracking_number"], body["carrier"]) == ("shipped", "1Z999AA10123456784", "UPS")
    assert body["shipped_at"]

    # Stage 5: delivered, then finance closes it
    response = warehouse.patch(status_url(order_id), {"status": "delivered"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "delivered")
    assert finance.get(order_url(order_id)).json()["allowed_statuses"] == ["closed"]
    # (closed only "once any disputes or return windows have elapsed": inside the window it is refused)
    assert finance.patch(status_url(order_id), {"status": "closed"}, format="json").status_code == 409
    settings.ORDER_RETURN_WINDOW_DAYS = 0  # ... and once it has elapsed, finance closes it
    response = finance.patch(status_url(order_id), {"status": "closed"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "closed")
    final = response.json()
    assert final["allowed_statuses"] == []
    assert final["confirmed_at"] <= final["processing_at"] <= final["shipped_at"] <= final["delivered_at"] \
        <= final["closed_at"]

    # then the stock stays reserved (shipped goods are gone), the ledger agrees, and the history tells it all
    assert stock_of(product) == 8
    assert movements(order_id, "release") == []
    assert stock_ledger_mismatches() == []
    rows, _ = follow_pages(finance, history_url(order_id))
    assert [(r["kind"], r["to_status"], r["actor"]) for r in rows] == [
        ("created", "draft", sales.user.username),
        ("status_changed", "confirmed", sales.user.username),
        ("status_changed", "processing", warehouse.user.username),
        ("status_changed", "shipped", warehouse.user.username),
        ("status_changed", "delivered", warehouse.user.username),
        ("status_changed", "closed", finance.user.username),
    ]
    assert rows[3]["data"] == TRACKING


def test_guide_cancellation_releases_the_reserved_stock(client_for: Callable[..., APIClient]) -> None:
    # given a confirmed order of the guide
    sales = client_for("sales")
    product = ProductFactory(stock=10)
    order_id = sales.post(ORDERS_URL, order_payload(CustomerFactory().pk, [(product.pk, 2, 129.99)],
                                                    address=GUIDE_ADDRESS), format="json").json()["id"]
    assert sales.patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200
    assert stock_of(product) == 8
    # when it is cancelled with the guide's reason
    response = sales.patch(status_url(order_id), {"status": "cancelled", "reason": "Customer requested cancellation"},
                           format="json")
    # then it is cancelled with the reason, and the 2 units are back with a release row
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "Customer requested cancellation")
    assert body["cancelled_at"] and body["allowed_statuses"] == []
    assert stock_of(product) == 10
    assert movements(order_id) == [(product.pk, -2), (product.pk, 2)]
    assert StockMovement.objects.get(reference=order_id, kind="release").balance_after == 10
    assert stock_ledger_mismatches() == []
    history = sales.get(history_url(order_id)).json()["results"]
    assert (history[-1]["from_status"], history[-1]["to_status"], history[-1]["reason"]) == (
        "confirmed", "cancelled", "Customer requested cancellation")
    # and no later move is possible
    for target in ("confirmed", "processing", "draft"):
        assert sales.patch(status_url(order_id), {"status": target}, format="json").status_code == 409
    assert stock_of(product) == 10
