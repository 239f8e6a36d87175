"""The contract floors (bench/floor/contract.py): create and confirm by hand-written SQL. What ``make bench-api``
reads from them holds only if they do at the database what the real endpoints do: the same rows written and the
same number of statements, which these tests check against the real endpoints, side by side."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from bench.api.seeding import Seed, create_body, make_drafts, seed
from billing.models import Invoice, InvoiceEvent, InvoiceLine
from integrations.models import Event
from inventory.models import Product, StockMovement
from sales.models import Order, OrderEvent, OrderLine, OrderStatus

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("floor_urls")]

API = "/api/v1"
# What an order's response says that differs between two orders made alike, and allowed_statuses: the product
# filters them by the caller's role, the floors (permission: authenticated) name every move of the lifecycle,
# as the events' payloads do.
_OWN = ("id", "order_number", "created_at", "updated_at", "confirmed_at", "allowed_statuses")


@pytest.fixture
def floor_urls() -> object:
    with override_settings(ROOT_URLCONF="bench.floor.urls"):
        yield


@pytest.fixture
def seeded() -> Seed:
    return seed(read_orders=1)


@pytest.fixture
def api(seeded: Seed) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {seeded.token}")
    client.get(f"{API}/floor/read/{seeded.read_ids[0]}")  # the token's throttled last_used_at written
    return client


def _send(api: APIClient, method: str, path: str, body: dict[str, Any]) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(api, method)(path, json.dumps(body), content_type="application/json")
    return response, len(queries.captured_queries)


def _comparable(order: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in order.items() if key not in _OWN}


def _payloads(object_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The events' data by type, without what belongs to the one order or invoice (ids, numbers, times)."""
    own = {*_OWN, "order_id"}
    payloads = {}
    for event in Event.objects.filter(object_id__in=object_ids):
        data = dict(event.data)
        data["object"] = {key: value for key, value in data["object"].items() if key not in own}
        payloads[event.type] = data
    return payloads


def _written_for(order_id: str) -> dict[str, Any]:
    """What a create or a confirm leaves behind for one order."""
    invoice = Invoice.objects.filter(order_id=order_id).first()
    return {
        "lines": list(OrderLine.objects.filter(order_id=order_id).order_by("position").values_list(
            "position", "product_id", "sku", "name", "quantity", "unit_price", "line_total")),
        "history": list(OrderEvent.objects.filter(order_id=order_id).order_by("id").values_list(
            "kind", "from_status", "to_status", "actor_id", "data")),
        "movements": sorted(StockMovement.objects.filter(reference=order_id).values_list(
            "product_id", "kind", "quantity_delta", "actor_id")),
        "invoice": None if invoice is None else (
            invoice.status, invoice.currency, invoice.customer_id, invoice.customer_name, invoice.customer_email,
            invoice.billing_address, invoice.subtotal, invoice.total, invoice.number),
        "invoice_lines": [] if invoice is None else list(InvoiceLine.objects.filter(invoice=invoice).order_by(
            "position").values_list("position", "product_id", "sku", "description", "quantity", "unit_price",
                                    "line_total")),
        "invoice_history": [] if invoice is None else list(InvoiceEvent.objects.filter(invoice=invoice).values_list(
            "kind", "to_status", "actor_id")),
        "events": sorted(Event.objects.filter(object_id__in=[order_id, *([invoice.pk] if invoice else [])])
                         .values_list("type", flat=True)),
    }


def test_the_create_floor_writes_what_create_writes_in_as_many_statements(seeded: Seed, api: APIClient) -> None:
    # given the benchmark's create body, and the tasks queued so far
    body = create_body(seeded)
    tasks = DBTaskResult.objects.count()
    # when it is sent to the real endpoint and to its contract floor
    real, real_statements = _send(api, "post", f"{API}/sales/orders", body)
    floor, floor_statements = _send(api, "post", f"{API}/floor/create", body)
    # then both created a draft, answered alike (the order's own id, number and times aside)
    assert (real.status_code, floor.status_code) == (201, 201), floor.content
    assert _comparable(floor.json()) == _comparable(real.json())
    assert list(floor.json()) == list(real.json())
    ours, theirs = Order.objects.get(pk=floor.json()["id"]), Order.objects.get(pk=real.json()["id"])
    assert int(ours.order_number.removeprefix("SO-")) == int(theirs.order_number.removeprefix("SO-")) + 1
    assert (ours.status, ours.customer_id, ours.currency, ours.shipping_address, ours.subtotal, ours.total,
            ours.created_by_id) == (theirs.status, theirs.customer_id, theirs.currency, theirs.shipping_address,
                                    theirs.subtotal, theirs.total, theirs.created_by_id)
    # and wrote the same rows: 3 lines, the created history row, the order.created event, one task each
    written = _written_for(ours.pk)
    assert written == _written_for(theirs.pk)
    assert len(written["lines"]) == 3 and written["events"] == ["order.created"]
    assert [row[0] for row in written["history"]] == ["created"]
    assert DBTaskResult.objects.count() == tasks + 2
    # and the event of each carries the order as the API renders it
    event = Event.objects.get(object_id=ours.pk)
    assert event.data["object"] == floor.json()
    assert _payloads([ours.pk]) == _payloads([theirs.pk])
    # in as many statements (the token's lookup, 7 writes and reads, BEGIN and COMMIT or their savepoints)
    assert floor_statements == real_statements == 10


def test_the_confirm_floor_writes_what_confirm_writes_in_as_many_statements(seeded: Seed, api: APIClient) -> None:
    # given two drafts alike: the seed's drafts cycle through 20 customers and, 3 lines each, 60 products
    drafts = make_drafts(seeded, 21)
    ours, theirs = drafts[0], drafts[20]
    products = list(OrderLine.objects.filter(order_id=ours).values_list("product_id", flat=True))
    stock = dict(Product.objects.filter(pk__in=products).values_list("pk", "stock_quantity"))
    tasks = DBTaskResult.objects.count()
    # when one is confirmed by the real endpoint, the other by the contract floor
    real, real_statements = _send(api, "patch", f"{API}/sales/orders/{theirs}/status", {"status": "confirmed"})
    floor, floor_statements = _send(api, "patch", f"{API}/floor/confirm/{ours}", {"status": "confirmed"})
    # then both answer the confirmed order alike
    assert (real.status_code, floor.status_code) == (200, 200), floor.content
    assert floor.json()["status"] == "confirmed" and list(floor.json()) == list(real.json())
    assert _comparable(floor.json()) == _comparable(real.json())
    assert Order.objects.get(pk=ours).status == OrderStatus.CONFIRMED
    # and the same rows were written: stock reserved with its ledger rows, the history row, the draft invoice
    # with its lines and history row, the order.confirmed and invoice.created events, one task each
    written = _written_for(ours)
    assert written == _written_for(theirs)
    assert written["invoice"] is not None and written["invoice"][:2] == ("draft", "USD")
    assert len(written["movements"]) == 3 and len(written["invoice_lines"]) == 3
    assert written["events"] == ["invoice.created", "order.confirmed"]
    invoices = [Invoice.objects.get(order_id=order_id).pk for order_id in (ours, theirs)]
    assert _payloads([ours, invoices[0]]) == _payloads([theirs, invoices[1]])
    assert [row[0] for row in written["history"]] == ["created", "status_changed"]
    reserved = dict(Product.objects.filter(pk__in=products).values_list("pk", "stock_quantity"))
    assert {pk: stock[pk] - reserved[pk] for pk in products} == {pk: 4 for pk in products}  # 2 each, twice
    assert DBTaskResult.objects.count() == tasks + 2
    # in as many statements (the token's lookup, 11 reads and writes, BEGIN and COMMIT or their savepoints)
    assert floor_statements == real_statements == 14


def test_the_contract_floors_refuse_what_the_endpoints_refuse(seeded: Seed, api: APIClient) -> None:
    # given a draft, and a confirmed order
    draft, confirmed = make_drafts(seeded, 2)
    api.patch(f"{API}/floor/confirm/{confirmed}", {"status": "confirmed"}, format="json")
    orders = Order.objects.count()
    # when the floors are sent what the product refuses
    anonymous = APIClient().post(f"{API}/floor/create", create_body(seeded), format="json")
    unknown_customer = api.post(f"{API}/floor/create", {**create_body(seeded), "customer_id": "cust_x"},
                                format="json")
    unknown_currency = api.post(f"{API}/floor/create", {**create_body(seeded), "currency": "XYZ"}, format="json")
    again = api.patch(f"{API}/floor/confirm/{confirmed}", {"status": "confirmed"}, format="json")
    missing = api.patch(f"{API}/floor/confirm/ord_unknown", {"status": "confirmed"}, format="json")
    # then they answer as the product does, and nothing was written
    assert [r.status_code for r in (anonymous, unknown_customer, unknown_currency, again, missing)] == [
        401, 400, 400, 409, 404]
    assert Order.objects.count() == orders
    assert Order.objects.get(pk=draft).status == OrderStatus.DRAFT
    assert StockMovement.objects.filter(reference=confirmed).count() == 3
    assert Invoice.objects.filter(order_id=confirmed).count() == 1
