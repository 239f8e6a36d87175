"""Holds through the API: POST/DELETE /api/v1/sales/orders/{id}/hold, who may, refusals, history, read and filter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sales.models import Order, OrderEvent, OrderStatus
from tests.factories import OrderFactory
from tests.helpers import assert_problem, error_fields, follow_pages

from .helpers import ORDERS_URL, days_ago, delivered_order, history_url, hold_url, order_state, order_url, status_url

pytestmark = pytest.mark.django_db


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def hold(api: APIClient, order_id: str, reason: Any = "customer disputes the delivery") -> Any:
    return api.post(hold_url(order_id), {"reason": reason}, format="json")


def release(api: APIClient, order_id: str, **body: Any) -> Any:
    return api.delete(hold_url(order_id), body or None, format="json")


def events(order_id: str, *kinds: str) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order_id=order_id, kind__in=kinds).select_related("actor").order_by("id"))




# --- putting on hold --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "finance"])
def test_hold_puts_the_order_on_hold_and_records_it(client_for: Callable[..., APIClient], role: str) -> None:
    # given a delivered order
    api = client_for(role)
    order = delivered_order()
    history_before = OrderEvent.objects.filter(order=order).count()
    # when a sales or finance user puts it on hold, with spaces around the reason
    before = timezone.now()
    response = hold(api, order.pk, "  customer disputes the delivery  ")
    # then the order comes back on hold, with the trimmed reason and when
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == order.pk
    assert body["status"] == "delivered"
    assert body["on_hold"] is True
    assert body["hold_reason"] == "customer disputes the delivery"
    assert before <= parse(body["held_at"]) <= timezone.now()
    # and it is stored, with who put it on hold
    stored = Order.objects.get(pk=order.pk)
    assert (stored.on_hold, stored.hold_reason, stored.held_by_id) == (
        True, "customer disputes the delivery", api.user.pk)  # type: ignore[attr-defined]
    assert stored.held_at == parse(body["held_at"])
    assert (stored.status, stored.closed_at) == (OrderStatus.DELIVERED, None)
    # and one "held" row was added to the history, by that user, with the reason
    assert OrderEvent.objects.filter(order=order).count() == history_before + 1
    [event] = events(order.pk, "held")
    assert (event.kind, event.from_status, event.to_status, event.reason) == (
        "held", "delivered", "delivered", "customer disputes the delivery")
    assert event.actor_id == api.user.pk  # type: ignore[attr-defined]
    # and the order read shows the same
    read = api.get(order_url(order.pk)).json()
    assert (read["on_hold"], read["hold_reason"], read["held_at"]) == (True, body["hold_reason"], body["held_at"])


@pytest.mark.parametrize("status", ["draft", "confirmed", "processing", "shipped", "delivered"])
def test_any_open_order_can_be_put_on_hold(sales_api: APIClient, status: str) -> None:
    order = OrderFactory(status=status)
    response = hold(sales_api, order.pk)
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["on_hold"]) == (status, True)
    assert Order.objects.get(pk=order.pk).status == status


def test_hold_and_release_appear_in_the_order_history_endpoint(sales_api: APIClient) -> None:
    # given an order put on hold and released
    order = delivered_order()
    assert hold(sales_api, order.pk, "wrong colour").status_code == 200
    assert release(sales_api, order.pk, reason="replacement accepted").status_code == 200
    # when its history is read
    rows, _pages = follow_pages(sales_api, history_url(order.pk))
    # then the last two rows are the hold and its release, by the user, with the reasons
    username = sales_api.user.username  # type: ignore[attr-defined]
    held, released = rows[-2:]
    assert (held["kind"], held["actor"], held["reason"], held["from_status"], held["to_status"]) == (
        "held", username, "wrong colour", "delivered", "delivered")
    assert (released["kind"], released["actor"], released["reason"]) == (
        "hold_released", username, "replacement accepted")
    assert released["data"] == {"hold_reason": "wrong colour"}
    assert [row["kind"] for row in rows[:-2]] == ["created"] + ["status_changed"] * 4


# --- releasing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "finance"])
def test_release_clears_the_hold_and_records_it(client_for: Callable[..., APIClient], role: str) -> None:
    # given an order put on hold by a sales user
    order = delivered_order()
    assert hold(client_for("sales"), order.pk, "damaged in transit").status_code == 200
    api = client_for(role)
    # when a sales or finance user releases it, saying why
    response = release(api, order.pk, reason="credit note agreed")
    # then the order is no longer on hold and the hold fields are cleared
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["on_hold"], body["hold_reason"], body["held_at"], body["status"]) == (False, "", None, "delivered")
    stored = Order.objects.get(pk=order.pk)
    assert (stored.on_hold, stored.hold_reason, stored.held_at, stored.held_by_id) == (False, "", None, None)
    # and the release is in the history, remembering what the hold was for
    [event] = events(order.pk, "hold_released")
    assert (event.reason, event.data, event.actor_id) == (
        "credit note agreed", {"hold_reason": "damaged in transit"}, api.user.pk)  # type: ignore[attr-defined]
    assert (event.from_status, event.to_status) == ("delivered", "delivered")


def test_release_without_a_body_is_allowed(sales_api: APIClient) -> None:
    order = delivered_order(hold="dispute")
    response = sales_api.delete(hold_url(order.pk))
    assert response.status_code == 200, response.content
    assert response.json()["on_hold"] is False
    [event] = events(order.pk, "hold_released")
    assert event.reason == ""


def test_an_order_can_be_held_again_after_release(sales_api: APIClient) -> None:
    order = delivered_order()
    for reason in ("first dispute", "second dispute"):
        assert hold(sales_api, order.pk, reason).status_code == 200
        assert release(sales_api, order.pk).status_code == 200
    assert hold(sales_api, order.pk, "third dispute").json()["hold_reason"] == "third dispute"
    assert [e.kind for e in events(order.pk, "held", "hold_released")] == [
        "held", "hold_released", "held", "hold_released", "held"]


# --- who may -----------------------------------------------------------------------------------------------


def test_warehouse_may_neither_hold_nor_release(client_for: Callable[..., APIClient]) -> None:
    warehouse = client_for("warehouse")
    free = delivered_order()
    held = delivered_order(hold="dispute")
    before = (order_state(free.pk), order_state(held.pk))
    # when a warehouse user tries to hold one and release the other
    assert_problem(hold(warehouse, free.pk), 403, "permission_denied")
    assert_problem(release(warehouse, held.pk), 403, "permission_denied")
    # then nothing changed
    assert (order_state(free.pk), order_state(held.pk)) == before
    # while the warehouse user can still read the order
    assert warehouse.get(order_url(held.pk)).json()["on_hold"] is True


def test_anonymous_requests_are_refused(anon_api: APIClient) -> None:
    order = delivered_order()
    before = order_state(order.pk)
    assert_problem(anon_api.post(hold_url(order.pk), {"reason": "x"}, format="json"), 401, "not_authenticated")
    assert_problem(anon_api.delete(hold_url(order.pk)), 401, "not_authenticated")
    assert order_state(order.pk) == before


def test_superuser_may_hold(admin_api: APIClient) -> None:
    order = delivered_order()
    assert hold(admin_api, order.pk).status_code == 200
    assert Order.objects.get(pk=order.pk).held_by_id == admin_api.user.pk  # type: ignore[attr-defined]


# --- refusals ----------------------------------------------------------------------------------------------


def test_holding_a_held_order_is_409_and_keeps_the_first_hold(sales_api: APIClient,
                                                             finance_api: APIClient) -> None:
    # given an order on hold
    order = delivered_order()
    assert hold(sales_api, order.pk, "first reason").status_code == 200
    before = order_state(order.pk)
    # when someone puts it on hold again
    body = assert_problem(hold(finance_api, order.pk, "second reason"), 409, "already_on_hold")
    # then it is refused, saying why it is on hold, and the first hold stays as it was
    assert body["hold_reason"] == "first reason"
    assert "first reason" in body["detail"]
    assert order_state(order.pk) == before


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_holding_a_closed_or_cancelled_order_is_409(sales_api: APIClient, status: str) -> None:
    order = OrderFactory(status=status)
    before = order_state(order.pk)
    body = assert_problem(hold(sales_api, order.pk), 409, "order_not_holdable")
    assert body["current_status"] == status
    assert order_state(order.pk) == before
    assert events(order.pk, "held") == []


def test_releasing_an_order_not_on_hold_is_409(sales_api: APIClient) -> None:
    order = delivered_order()
    before = order_state(order.pk)
    assert_problem(release(sales_api, order.pk, reason="nothing to release"), 409, "not_on_hold")
    assert order_state(order.pk) == before
    assert events(order.pk, "hold_released") == []


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}, {"reason": "r" * 256}],
    ids=["missing", "empty", "blank", "null", "too-long"],
)
def test_hold_without_a_usable_reason_is_400(sales_api: APIClient, body: dict[str, Any]) -> None:
    order = delivered_order()
    before = order_state(order.pk)
    problem = assert_problem(sales_api.post(hold_url(order.pk), body, format="json"), 400, "validation_error")
    assert error_fields(problem) == ["reason"]
    assert order_state(order.pk) == before


def test_hold_with_an_unknown_field_is_400(sales_api: APIClient) -> None:
    order = delivered_order()
    before = order_state(order.pk)
    problem = assert_problem(
        sales_api.post(hold_url(order.pk), {"reason": "x", "until": "2030-01-01"}, format="json"),
        400, "validation_error")
    assert error_fields(problem) == ["until"]
    assert order_state(order.pk) == before


def test_hold_on_an_unknown_order_is_404(sales_api: APIClient) -> None:
    assert_problem(hold(sales_api, "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not_found")
    assert_problem(release(sales_api, "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not_found")


def test_other_methods_on_hold_are_405(sales_api: APIClient) -> None:
    order = delivered_order()
    assert_problem(sales_api.get(hold_url(order.pk)), 405, "method_not_allowed")
    assert_problem(sales_api.patch(hold_url(order.pk), {"reason": "x"}, format="json"), 405, "method_not_allowed")


# --- a held order cannot be closed ----------------------------------------------------------------------


@pytest.mark.parametrize("roles", [("finance",), ("finance", "sales")])
def test_held_delivered_order_has_no_closed_in_allowed_statuses(client_for: Callable[..., APIClient],
                                                                roles: tuple[str, ...]) -> None:
    # given a delivered order whose return window has passed, seen by a user who may close
    api = client_for(*roles)
    order = delivered_order(days_ago(40))
    assert api.get(order_url(order.pk)).json()["allowed_statuses"] == ["closed"]
    # when it is put on hold
    response = hold(api, order.pk)
    # then "closed" is no longer offered, neither in the response nor on a later read
    assert response.json()["allowed_statuses"] == []
    assert api.get(order_url(order.pk)).json()["allowed_statuses"] == []
    # and once released it is offered again
    assert release(api, order.pk).json()["allowed_statuses"] == ["closed"]


def test_held_order_cannot_be_closed_until_released(sales_api: APIClient, finance_api: APIClient) -> None:
    # given an order delivered 40 days ago, put on hold
    order = delivered_order(days_ago(40))
    assert hold(sales_api, order.pk, "chargeback").status_code == 200
    before = order_state(order.pk)
    # when finance tries to close it
    body = assert_problem(finance_api.patch(status_url(order.pk), {"status": "closed"}, format="json"),
                          409, "order_on_hold")
    # then it is refused, saying why it is held, and nothing changed (order, invoice, history)
    assert body["hold_reason"] == "chargeback"
    assert order_state(order.pk) == before
    # and after release it closes
    assert release(sales_api, order.pk).status_code == 200
    response = finance_api.patch(status_url(order.pk), {"status": "closed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


def test_a_held_order_still_moves_through_other_statuses(sales_api: APIClient,
                                                         client_for: Callable[..., APIClient]) -> None:
    # given a shipped order on hold: only closing is blocked by a hold
    order = OrderFactory(status="shipped")
    assert hold(sales_api, order.pk, "address query").status_code == 200
    # when the warehouse marks it delivered
    response = client_for("warehouse").patch(status_url(order.pk), {"status": "delivered"}, format="json")
    # then it is delivered and still on hold
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["on_hold"]) == ("delivered", True)


# --- listing and filtering --------------------------------------------------------------------------------


def test_orders_can_be_filtered_by_hold(sales_api: APIClient) -> None:
    # given two held and two free orders
    held = [delivered_order(), OrderFactory(status="confirmed")]
    free = [delivered_order(), OrderFactory()]
    for order in held:
        assert hold(sales_api, order.pk, f"dispute {order.order_number}").status_code == 200
    # when the list is filtered
    on, _ = follow_pages(sales_api, f"{ORDERS_URL}?on_hold=true")
    off, _ = follow_pages(sales_api, f"{ORDERS_URL}?on_hold=false")
    everything, _ = follow_pages(sales_api, ORDERS_URL)
    # then each filter returns exactly its orders, with the hold fields
    assert {o["id"] for o in on} == {o.pk for o in held}
    assert {o["id"] for o in off} == {o.pk for o in free}
    assert len(everything) == 4
    assert all(o["on_hold"] and o["hold_reason"].startswith("dispute") and o["held_at"] for o in on)
    assert all(not o["on_hold"] and o["hold_reason"] == "" and o["held_at"] is None for o in off)
    # and the hold filter combines with the status filter
    both, _ = follow_pages(sales_api, f"{ORDERS_URL}?on_hold=true&status=delivered")
    assert [o["id"] for o in both] == [held[0].pk]


def test_invalid_on_hold_filter_is_400(sales_api: APIClient) -> None:
    OrderFactory()
    problem = assert_problem(sales_api.get(f"{ORDERS_URL}?on_hold=maybe"), 400, "validation_error")
    assert error_fields(problem) == ["on_hold"]


def test_order_read_shows_hold_and_return_window_fields(sales_api: APIClient) -> None:
    # given a delivered order (delivered at a known instant) on hold
    delivered_at = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    order = delivered_order(delivered_at)
    held_at = parse(hold(sales_api, order.pk, "short shipment").json()["held_at"])
    # when it is read
    body = sales_api.get(order_url(order.pk)).json()
    # then the hold and the end of the return window are shown
    assert body["on_hold"] is True
    assert body["hold_reason"] == "short shipment"
    assert parse(body["held_at"]) == held_at
    assert parse(body["return_window_ends_at"]) == delivered_at + timedelta(days=30)
    assert "held_by" not in body
    # and an order not yet delivered has no return window
    assert sales_api.get(order_url(OrderFactory().pk)).json()["return_window_ends_at"] is None


def test_cancelling_a_held_order_ends_its_hold(admin_api) -> None:
    from sales.models import OrderEvent
    from tests.factories import OrderFactory

    # given a confirmed order on hold
    order = OrderFactory(status="confirmed")
    held = admin_api.post(f"/api/v1/sales/orders/{order.pk}/hold", {"reason": "dispute"}, format="json")
    assert held.status_code == 200
    # when it is cancelled
    response = admin_api.patch(f"/api/v1/sales/orders/{order.pk}/status", {"status": "cancelled"}, format="json")
    # then the hold ends with it, and the history says so
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["on_hold"]) == ("cancelled", False)
    event = OrderEvent.objects.filter(order=order, to_status="cancelled").get()
    assert event.data["hold_released"] == "dispute"
