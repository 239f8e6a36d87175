"""The guide's story as an integration sees it: subscribed to ``order.*`` and ``invoice.*``, it receives every
change exactly as committed, verifies each with its secret, and, after being down, catches up through
/api/v1/events from the last event it processed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from integrations.models import Event
from tests.factories import CustomerFactory, ProductFactory
from tests.helpers import follow_pages
from tests.sales.helpers import GUIDE_ADDRESS, ORDERS_URL, TRACKING, order_payload, status_url

from .helpers import ENDPOINTS_URL, EVENTS_URL, receiver, run_tasks

pytestmark = pytest.mark.django_db

GUIDE_EVENTS = [
    "order.created", "order.confirmed", "invoice.created", "order.processing", "order.shipped", "order.delivered",
    "invoice.issued", "invoice.paid", "order.closed",
]


def _guide_story(sales: APIClient, warehouse: APIClient, finance: APIClient) -> str:
    customer = CustomerFactory()
    product = ProductFactory(stock=10, price=Decimal("129.99"))
    created = sales.post(ORDERS_URL, order_payload(customer.pk, [(product.pk, 2, 129.99)], address=GUIDE_ADDRESS),
                         format="json")
    order_id = created.json()["id"]
    for api, body in ((sales, {"status": "confirmed"}), (warehouse, {"status": "processing"}),
                      (warehouse, {"status": "shipped", **TRACKING}), (warehouse, {"status": "delivered"})):
        assert api.patch(status_url(order_id), body, format="json").status_code == 200
    invoice = finance.get("/api/v1/sales/invoices", {"order_id": order_id}).json()["results"][0]
    paid = finance.post("/api/v1/sales/payments", {"invoice_id": invoice["id"], "amount": 259.98, "currency": "USD",
                                                   "payment_method": "bank_transfer",
                                                   "reference": "TXN-20260128-001"}, format="json")
    assert paid.status_code == 201, paid.content
    closed = finance.patch(status_url(order_id), {"status": "closed", "waive_return_window": True}, format="json")
    assert closed.status_code == 200, closed.content
    return str(order_id)


def test_an_integration_sees_the_guide_story_as_committed(client_for: Callable[..., APIClient]) -> None:
    integration = client_for("integrations")
    with receiver() as hook:
        # given an integration subscribed to order.* and invoice.*
        endpoint = integration.post(ENDPOINTS_URL, {"url": hook.url, "events": ["order.*", "invoice.*"]},
                                    format="json").json()
        # when the guide's story happens and the workers run
        order_id = _guide_story(client_for("sales"), client_for("warehouse"), client_for("finance"))
        run_tasks()
        # then it received each order and invoice event once, each verifiable with its secret
        verified = {r.headers["webhook-id"]: Webhook(endpoint["secret"]).verify(r.body, r.headers)
                    for r in hook.received}
        assert len(hook.received) == len(verified) == len(GUIDE_EVENTS)
        # and the events API lists them in commit order (webhooks may arrive in another order)
        listed, _pages = follow_pages(integration, f"{EVENTS_URL}?sort=created_at&type=order.*&type=invoice.*")
        assert [event["type"] for event in listed] == GUIDE_EVENTS
        bodies = [verified[event["id"]] for event in listed]
        assert [body["type"] for body in bodies] == GUIDE_EVENTS
        assert all(verified[event["id"]]["data"] == event["data"] for event in listed)
        # and each carries the object as it was at that moment
        statuses = [body["data"]["object"]["status"] for body in bodies if body["type"].startswith("order.")]
        assert statuses == ["draft", "confirmed", "processing", "shipped", "delivered", "closed"]
        shipped = next(body for body in bodies if body["type"] == "order.shipped")["data"]["object"]
        assert (shipped["tracking_number"], shipped["carrier"]) == (TRACKING["tracking_number"], TRACKING["carrier"])
        paid = next(body for body in bodies if body["type"] == "invoice.paid")["data"]["object"]
        assert (paid["amount_paid"], paid["amount_due"]) == ("259.98", "0.00")
        assert all(body["data"]["object"]["id"] == order_id for body in bodies if body["type"].startswith("order."))


def test_an_integration_that_was_down_catches_up_through_the_events_api(
    client_for: Callable[..., APIClient], settings: Any
) -> None:
    integration = client_for("integrations")
    with receiver(default=503) as hook:
        # given an integration that processed events up to the order's confirmation, then went down
        integration.post(ENDPOINTS_URL, {"url": hook.url, "events": ["order.*", "invoice.*"]}, format="json")
        order_id = _guide_story(client_for("sales"), client_for("warehouse"), client_for("finance"))
        run_tasks()
        assert len(hook.received) == len(GUIDE_EVENTS)  # each tried once, refused
        last_processed = Event.objects.get(object_id=order_id, type="order.confirmed").pk
        # when it comes back and asks for what it missed
        missed, _pages = follow_pages(
            integration, f"{EVENTS_URL}?sort=created_at&type=order.*&type=invoice.*&after={last_processed}&limit=2")
        # then it gets everything after that event, once, in order
        assert [event["type"] for event in missed] == GUIDE_EVENTS[2:]
