"""Returns API, requesting: POST /api/v1/sales/orders/{id}/returns on a delivered order inside its window, with
the order's prices and a gap-free RMA number; each refusal (not delivered, window closed, waiver by the wrong
role, a product not on the order, more than is left to return, the wrong role) changes nothing; the same
Idempotency-Key replays the first return."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from integrations.models import Event
from sales.models import Order, Return, ReturnEvent
from synthesq.core.models import Sequence as Counter
from tests.factories import OrderFactory, ProductFactory, ReturnFactory
from tests.helpers import assert_problem, error_fields

from .helpers import (
    RETURN_FIELDS,
    RETURN_LINE_FIELDS,
    RETURN_NUMBER,
    STATUSES,
    days_ago,
    delivered_order,
    order_returns_url,
    order_url,
    return_body,
    return_url,
    returns_db_state,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def order() -> Order:
    """Delivered yesterday: 3 × A at 10.00 and 2 × B at 25.50."""  # noqa: RUF002
    a = ProductFactory(sku="RET-A", price=Decimal("10.00"), stock=10)
    b = ProductFactory(sku="RET-B", price=Decimal("25.50"), stock=10)
    return delivered_order(days_ago(1), lines=[(a, 3), (b, 2)])


def _products(order: Order) -> tuple[str, str]:
    a, b = order.lines.order_by("position").values_list("product_id", flat=True)
    return a, b


def test_request_with_the_body_of_the_issue_returns_a_requested_return(order: Order, sales_api: APIClient) -> None:
    a, b = _products(order)
    # when sales records the customer's return of 2 A (back to stock) and 1 B (scrapped)
    response = sales_api.post(order_returns_url(order.pk),
                              return_body((a, 2, True), (b, 1, False), reason="wrong size"), format="json")
    # then a requested return comes back with every field, at the order's prices
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == RETURN_FIELDS
    assert body["id"].startswith("ret_")
    assert RETURN_NUMBER.match(body["return_number"])
    assert (body["order_id"], body["customer_id"], body["status"]) == (order.pk, order.customer_id, "requested")
    assert (body["reason"], body["currency"], body["value"], body["return_window_waived"]) == (
        "wrong size", "USD", "45.50", False)
    assert all(set(line) == RETURN_LINE_FIELDS for line in body["lines"])
    assert [(line["product_id"], line["sku"], line["quantity"], line["unit_price"], line["line_total"],
             line["restock"]) for line in body["lines"]] == [
        (a, "RET-A", 2, "10.00", "20.00", True), (b, "RET-B", 1, "25.50", "25.50", False)]
    # sales may reject it (receiving is the warehouse's, crediting finance's)
    assert body["allowed_statuses"] == ["rejected"]
    assert body["requested_at"] and body["received_at"] is None
    assert response["Location"] == return_url(body["id"])
    # and the history has the request, the outbox its event, and the order shows it
    assert list(ReturnEvent.objects.filter(sales_return_id=body["id"]).values_list("kind", "to_status", "actor")) == [
        ("requested", "requested", sales_api.user.pk)]  # type: ignore[attr-defined]
    event = Event.objects.get(type="return.requested")
    assert (event.object_id, event.data["object"]["return_number"]) == (body["id"], body["return_number"])
    shown = sales_api.get(order_url(order.pk)).json()
    assert [line["returned_quantity"] for line in shown["line_items"]] == [2, 1]
    assert shown["returns"] == [{"id": body["id"], "return_number": body["return_number"], "status": "requested"}]


def test_return_numbers_are_gap_free_and_a_refusal_takes_none(order: Order, sales_api: APIClient) -> None:
    a, _ = _products(order)
    first = sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json").json()
    # a refused request (too many) between two accepted ones
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 5)), format="json"),
                   422, "return_quantity_exceeded")
    second = sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json").json()
    n1, n2 = (int(RETURN_NUMBER.match(b["return_number"]).group(1)) for b in (first, second))  # type: ignore[union-attr]
    assert n2 == n1 + 1
    assert Counter.objects.get(name="return").value == n2


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "delivered"])
def test_only_delivered_orders_take_returns(status: str, sales_api: APIClient) -> None:
    # given an order in any other status
    order = OrderFactory(status=status)
    product_id = order.lines.get().product_id
    before = returns_db_state()
    # when a return is requested
    response = sales_api.post(order_returns_url(order.pk), return_body((product_id, 1)), format="json")
    # then 409 order_not_returnable, naming the status, and nothing changed
    body = assert_problem(response, 409, "order_not_returnable")
    assert body["current_status"] == status
    assert returns_db_state() == before


def test_after_the_window_only_finance_may_waive_it_and_the_waiver_is_recorded(
    client_for: Callable[..., APIClient], settings: pytest.FixtureRequest
) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30  # type: ignore[attr-defined]
    # given an order delivered 31 days ago
    order = delivered_order(days_ago(31))
    product_id = order.lines.get().product_id
    sales, finance = client_for("sales"), client_for("finance")
    before = returns_db_state()
    # when sales asks without waiver: 409 return_window_closed with the end of the window
    body = assert_problem(sales.post(order_returns_url(order.pk), return_body((product_id, 1)), format="json"),
                          409, "return_window_closed")
    assert body["return_window_ends_at"].startswith(str(order.return_window_ends_at().date()))  # type: ignore[union-attr]
    # and sales sending the waiver is refused: 403
    assert_problem(sales.post(order_returns_url(order.pk), return_body((product_id, 1), waive_return_window=True),
                              format="json"), 403, "permission_denied")
    # and finance without the waiver: still 409
    assert_problem(finance.post(order_returns_url(order.pk), return_body((product_id, 1)), format="json"),
                   409, "return_window_closed")
    assert returns_db_state() == before
    # when finance waives it
    response = finance.post(order_returns_url(order.pk), return_body((product_id, 1), waive_return_window=True),
                            format="json")
    # then the return is recorded as waived, on the return and in its history
    assert response.status_code == 201, response.content
    assert response.json()["return_window_waived"] is True
    event = ReturnEvent.objects.get(sales_return_id=response.json()["id"])
    assert event.data["return_window_waived"] is True
    assert event.data["waived_by"] == finance.user.username  # type: ignore[attr-defined]


def test_inside_the_window_a_return_is_not_marked_waived(
    finance_api: APIClient, settings: pytest.FixtureRequest
) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30  # type: ignore[attr-defined]
    order = delivered_order(days_ago(29))
    product_id = order.lines.get().product_id
    response = finance_api.post(order_returns_url(order.pk),
                                return_body((product_id, 1), waive_return_window=True), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["return_window_waived"] is False


def test_the_window_is_the_setting(sales_api: APIClient, settings: pytest.FixtureRequest) -> None:
    # given a 7-day window and an order delivered 8 days ago
    settings.ORDER_RETURN_WINDOW_DAYS = 7  # type: ignore[attr-defined]
    order = delivered_order(days_ago(8))
    product_id = order.lines.get().product_id
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((product_id, 1)), format="json"),
                   409, "return_window_closed")
    # and with 10 days it is open
    settings.ORDER_RETURN_WINDOW_DAYS = 10  # type: ignore[attr-defined]
    assert sales_api.post(order_returns_url(order.pk), return_body((product_id, 1)),
                          format="json").status_code == 201
    assert django_settings.ORDER_RETURN_WINDOW_DAYS == 10


def test_quantities_are_limited_across_several_returns(order: Order, sales_api: APIClient) -> None:
    a, b = _products(order)
    # given a return of 2 of the 3 A
    sales_api.post(order_returns_url(order.pk), return_body((a, 2)), format="json")
    before = returns_db_state()
    # when 2 more A are asked (with a fitting B)
    response = sales_api.post(order_returns_url(order.pk), return_body((b, 1), (a, 2)), format="json")
    # then 422 names the A line: 2 requested, 1 returnable; nothing changed
    body = assert_problem(response, 422, "return_quantity_exceeded")
    assert body["lines"] == [{"line": 1, "product_id": a, "sku": "RET-A", "requested": 2, "returnable": 1}]
    assert a in body["detail"]
    assert returns_db_state() == before
    # and the last A still fits
    assert sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json").status_code == 201
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json"),
                   422, "return_quantity_exceeded")


@pytest.mark.parametrize("trait", ["received", "credited"])
def test_received_and_credited_returns_keep_their_claim(trait: str, order: Order, sales_api: APIClient) -> None:
    a, _ = _products(order)
    ReturnFactory(order=order, lines=[(a, 3, True)], **{trait: True})
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json"),
                   422, "return_quantity_exceeded")


def test_a_rejected_return_gives_its_quantities_back(order: Order, sales_api: APIClient) -> None:
    a, _ = _products(order)
    ReturnFactory(order=order, lines=[(a, 3, True)], rejected=True)
    response = sales_api.post(order_returns_url(order.pk), return_body((a, 3)), format="json")
    assert response.status_code == 201, response.content
    shown = sales_api.get(order_url(order.pk)).json()
    assert shown["line_items"][0]["returned_quantity"] == 3
    assert [r["status"] for r in shown["returns"]] == ["rejected", "requested"]


def test_a_product_on_two_lines_is_returned_from_both(sales_api: APIClient) -> None:
    # given an order with the same product on two lines
    product = ProductFactory(stock=10)
    order = delivered_order(days_ago(1), lines=[(product, 1), (product, 2)])
    response = sales_api.post(order_returns_url(order.pk), return_body((product.pk, 3)), format="json")
    assert response.status_code == 201, response.content
    assert [line["quantity"] for line in response.json()["lines"]] == [1, 2]
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((product.pk, 1)), format="json"),
                   422, "return_quantity_exceeded")


def test_a_product_not_on_the_order_is_a_validation_problem(order: Order, sales_api: APIClient) -> None:
    a, _ = _products(order)
    stranger = ProductFactory()
    before = returns_db_state()
    response = sales_api.post(order_returns_url(order.pk), return_body((a, 1), (stranger.pk, 1)), format="json")
    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == ["lines[1].product_id"]
    assert returns_db_state() == before


@pytest.mark.parametrize(("payload", "field"), [
    ({"lines": [], "reason": "x"}, "lines"),
    ({"reason": "x"}, "lines"),
    ({"lines": [{"product_id": "prod_x", "quantity": 0}]}, "lines[0].quantity"),
    ({"lines": [{"product_id": "prod_x", "quantity": 1, "restock": "perhaps"}]}, "lines[0].restock"),
])
def test_malformed_bodies_are_refused(payload: dict, field: str, order: Order, sales_api: APIClient) -> None:
    before = returns_db_state()
    body = assert_problem(sales_api.post(order_returns_url(order.pk), payload, format="json"), 400,
                          "validation_error")
    assert field in error_fields(body)
    assert returns_db_state() == before


def test_a_product_named_twice_is_refused(order: Order, sales_api: APIClient) -> None:
    a, _ = _products(order)
    before = returns_db_state()
    body = assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 1), (a, 1)), format="json"),
                          400, "validation_error")
    assert error_fields(body) == ["lines[1].product_id"]
    assert returns_db_state() == before


@pytest.mark.parametrize(("role", "allowed"), [("sales", True), ("finance", True), ("warehouse", False),
                                               ("integrations", False)])
def test_who_may_request_a_return(role: str, allowed: bool, order: Order,
                                  client_for: Callable[..., APIClient]) -> None:
    a, _ = _products(order)
    before = returns_db_state()
    response = client_for(role).post(order_returns_url(order.pk), return_body((a, 1)), format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert_problem(response, 403, "permission_denied")
        assert returns_db_state() == before


def test_an_unknown_order_is_404(sales_api: APIClient) -> None:
    assert_problem(sales_api.post(order_returns_url("ord_nope"), return_body(("prod_x", 1)), format="json"),
                   404, "not_found")


def test_the_same_idempotency_key_replays_the_first_return(order: Order, sales_api: APIClient) -> None:
    a, _ = _products(order)
    headers = {"HTTP_IDEMPOTENCY_KEY": "rma-1"}
    first = sales_api.post(order_returns_url(order.pk), return_body((a, 2)), format="json", **headers)
    again = sales_api.post(order_returns_url(order.pk), return_body((a, 2)), format="json", **headers)
    # then one return only, the same body replayed
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Return.objects.count() == 1
    # and another body with the same key is 422
    assert_problem(sales_api.post(order_returns_url(order.pk), return_body((a, 1)), format="json", **headers),
                   422, "idempotency_key_reused")
    assert Return.objects.count() == 1
