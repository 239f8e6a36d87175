"""An order with a return requested or received cannot close: 409 ``return_open`` through the API, and the
batch close skips it (reported with reason ``return_open``) until the return is credited or rejected."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sales import selectors, services
from sales.models import Order, OrderEvent
from sales.services import closing
from tests.factories import ReturnFactory
from tests.helpers import assert_problem

from .helpers import days_ago, delivered_order, returns_db_state, set_delivered_at, status_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_window(settings: Any) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30


def run_json(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("close_delivered_orders", "--json", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def old_order_with_return(status: str) -> Order:
    """An order delivered 60 days ago (its window passed) with a return in ``status``."""
    order = delivered_order(days_ago(1))
    ReturnFactory(order=order, **({} if status == "requested" else {status: True}))
    set_delivered_at(order, days_ago(60))
    return Order.objects.get(pk=order.pk)


@pytest.mark.parametrize("status", ["requested", "received"])
def test_close_with_an_open_return_is_409(status: str, finance_api: APIClient) -> None:
    order = old_order_with_return(status)
    before = returns_db_state()
    body = assert_problem(finance_api.patch(status_url(order.pk), {"status": "closed"}, format="json"),
                          409, "return_open")
    assert body["return_numbers"] == list(order.returns.values_list("return_number", flat=True))
    # also with the waiver
    assert_problem(finance_api.patch(status_url(order.pk), {"status": "closed", "waive_return_window": True},
                                     format="json"), 409, "return_open")
    assert returns_db_state() == before


@pytest.mark.parametrize("status", ["credited", "rejected"])
def test_a_finished_return_lets_the_order_close(status: str, finance_api: APIClient) -> None:
    order = old_order_with_return(status)
    response = finance_api.patch(status_url(order.pk), {"status": "closed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


def test_the_batch_close_skips_orders_with_an_open_return() -> None:
    # given three old orders: one with a requested return, one with a received one, one with a rejected one
    requested, received = old_order_with_return("requested"), old_order_with_return("received")
    rejected = old_order_with_return("rejected")
    # when the batch runs dry, then for real
    dry = run_json("--dry-run")
    assert dry["would_close"] == [rejected.pk]
    assert {row["id"]: row["reason"] for row in dry["skipped_orders"]} == {requested.pk: "return_open",
                                                                           received.pk: "return_open"}
    report = run_json()
    # then only the one whose return is finished is closed; the others are reported skipped, untouched
    assert report["closed"] == 1
    assert report["skipped"] == {"on_hold": 0, "return_open": 2, "return_window_open": 0}
    assert [Order.objects.get(pk=o.pk).status for o in (requested, received, rejected)] == [
        "delivered", "delivered", "closed"]
    assert not OrderEvent.objects.filter(order__in=[requested, received], to_status="closed").exists()
    # and once the received return is credited and the requested one rejected, the next run closes both
    services.return_credit(return_id=received.returns.get().pk, actor=None)
    services.return_reject(return_id=requested.returns.get().pk, reason="not ours", actor=None)
    report = run_json()
    assert (report["closed"], report["skipped"]) == (2, {"on_hold": 0, "return_open": 0, "return_window_open": 0})


def test_a_held_order_with_an_open_return_counts_as_on_hold() -> None:
    order = old_order_with_return("requested")
    Order.objects.filter(pk=order.pk).update(on_hold=True, hold_reason="dispute")
    assert run_json()["skipped"] == {"on_hold": 1, "return_open": 0, "return_window_open": 0}


def test_the_text_summary_counts_open_returns() -> None:
    old_order_with_return("requested")
    out = StringIO()
    call_command("close_delivered_orders", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("Closed 0 order(s), issued 0 invoice(s); skipped 0 on hold, 1 with an open "
                                     "return and 0 inside their return window; 0 failed; ")


def test_a_return_committed_while_the_batch_claims_keeps_its_order_open(monkeypatch: pytest.MonkeyPatch) -> None:
    # given an old order whose return committed after the batch's claim took its snapshot (simulated: the claim
    # does not see the return, as a snapshot taken a moment earlier would not)
    order = old_order_with_return("requested")
    other = delivered_order(days_ago(1))
    set_delivered_at(other, days_ago(60))
    monkeypatch.setattr(selectors, "orders_closable", lambda *, cutoff: Order.objects.filter(
        status="delivered", delivered_at__lte=cutoff))
    # when the chunk closes what it claimed
    result = closing.orders_close_chunk(cutoff=days_ago(30), limit=10)
    # then the order read again under its lock is left open; the other one is closed
    assert result.closed == [other.pk]
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert not OrderEvent.objects.filter(order=order, to_status="closed").exists()
