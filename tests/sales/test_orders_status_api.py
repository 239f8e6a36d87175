"""Orders API, status changes: PATCH /api/v1/sales/orders/{id}/status through the lifecycle (stock reservation
and release, shipping data), the full from x to matrix, roles, history and the order_status_changed signal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory.models import StockMovement
from inventory.selectors import stock_ledger_mismatches
from inventory.services import warehouse_default
from sales.models import Order, OrderEvent
from sales.signals import order_status_changed
from synthesq.core.errors import Conflict
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import assert_problem, error_fields, follow_pages

from .helpers import (
    ALLOWED_MOVES,
    EVENT_FIELDS,
    ORDERS_URL,
    STATUSES,
    TRACKING,
    db_state,
    events_of,
    history_url,
    ledger_sum,
    movements,
    order_payload,
    order_url,
    status_body,
    status_url,
    stock_of,
)

pytestmark = pytest.mark.django_db

STAMP = {"confirmed": "confirmed_at", "processing": "processing_at", "shipped": "shipped_at",
         "delivered": "delivered_at", "closed": "closed_at", "cancelled": "cancelled_at"}
# What each role may move an order to (synthesq.core.roles).
ROLE_TARGETS = {"sales": {"confirmed", "cancelled"}, "warehouse": {"processing", "shipped", "delivered"},
                "finance": {"closed"}}


def allowed_from(status: str) -> list[str]:
    """The statuses an order may move to from ``status``, in lifecycle order."""
    return [to for to in STATUSES if (status, to) in ALLOWED_MOVES]




@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    """Every order_status_changed sent while the test runs."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    order_status_changed.connect(receiver, weak=False, dispatch_uid="test-orders-recorder")
    yield received
    order_status_changed.disconnect(dispatch_uid="test-orders-recorder")


@pytest.fixture
def veto() -> Iterator[Callable[[], list[str]]]:
    """``arm = veto; seen = arm()``: from then on a receiver refuses every status change with a Conflict, as
    billing would; ``seen`` lists the moves it refused."""
    seen: list[str] = []

    def receiver(sender: Any, order: Order, from_status: str, to_status: str, **kwargs: Any) -> None:
        seen.append(f"{from_status}->{to_status}")
        raise Conflict("Billing refuses this change.", code="billing_veto")

    def arm() -> list[str]:
        order_status_changed.connect(receiver, weak=False, dispatch_uid="test-orders-veto")
        return seen

    yield arm
    order_status_changed.disconnect(dispatch_uid="test-orders-veto")


# --- confirm: stock reservation -------------------------------------------------------------------------


def test_confirm_reserves_stock_for_every_line(sales_api: APIClient, signals: list[dict[str, Any]]) -> None:
    # given a draft of two lines on products with stock
    first, second = ProductFactory(stock=10), ProductFactory(stock=5)
    order = OrderFactory(lines=[(first, 2), (second, 3)])
    # when it is confirmed
    response = sales_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json")
    # then it is confirmed now
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["confirmed_at"]
    assert body["allowed_statuses"] == ["cancelled"]  # what sales may do next
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    # and the stock of each product was decremented, with a reservation row referencing the order
    assert (stock_of(first), stock_of(second)) == (8, 2)
    assert movements(order.pk) == sorted([(first.pk, -2), (second.pk, -3)])
    assert movements(order.pk, "reservation") == movements(order.pk)
    assert StockMovement.objects.filter(reference=order.pk).first().actor_id == sales_api.user.pk
    assert stock_ledger_mismatches() == []
    # and the move is in the history and was announced once
    assert events_of(order.pk) == [("created", "", "draft"), ("status_changed", "draft", "confirmed")]
    assert [(s["from_status"], s["to_status"], s["order"].pk) for s in signals] == [("draft", "confirmed", order.pk)]


def test_confirm_reserves_the_sum_of_lines_of_one_product(sales_api: APIClient) -> None:
    product = ProductFactory(stock=5)
    order = OrderFactory(lines=[(product, 2), (product, 3)])
    assert sales_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json").status_code == 200
    assert stock_of(product) == 0
    assert movements(order.pk, "reservation") == [(product.pk, -5)]


def test_short_stock_is_422_listing_every_short_line_and_reserves_nothing(sales_api: APIClient) -> None:
    # given a draft with two short lines among three
    short_one, enough, short_two = ProductFactory(stock=2), ProductFactory(stock=10), ProductFactory()
    order = OrderFactory(lines=[(short_one, 5), (enough, 1), (short_two, 4)])
    before = db_state()
    # when it is confirmed
    response = sales_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json")
    # then it is refused listing every short line
    body = assert_problem(response, 422, "insufficient_stock")
    assert sorted(body["lines"], key=lambda line: line["product_id"]) == sorted([
        {"product_id": short_one.pk, "requested": 5, "available": 2,
         "available_by_warehouse": [{"warehouse_id": warehouse_default().pk, "available": 2}]},
        {"product_id": short_two.pk, "requested": 4, "available": 0, "available_by_warehouse": []},
    ], key=lambda line: line["product_id"])
    # and nothing was reserved, not even for the line with enough stock: order, stock, ledger, history unchanged
    assert db_state() == before
    assert Order.objects.get(pk=order.pk).status == "draft"
    assert stock_of(enough) == 10


def test_short_stock_from_two_lines_of_one_product_is_refused(sales_api: APIClient) -> None:
    product = ProductFactory(stock=4)
    order = OrderFactory(lines=[(product, 2), (product, 3)])
    before = db_state()
    body = assert_problem(sales_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json"), 422,
                          "insufficient_stock")
    assert body["lines"] == [{"product_id": product.pk, "requested": 5, "available": 4,
                              "available_by_warehouse": [{"warehouse_id": warehouse_default().pk, "available": 4}]}]
    assert db_state() == before


# --- processing, shipped, delivered, closed --------------------------------------------------------------


def test_processing_shipped_delivered_closed_set_their_timestamps(client_for: Callable[..., APIClient]) -> None:
    # given a confirmed order
    order = OrderFactory(status="confirmed")
    warehouse, finance = client_for("warehouse"), client_for("finance")
    stock_after_confirm = stock_of(order.lines.get().product)
    stamps: dict[str, str] = {}
    # when it moves through the rest of the lifecycle
    for api, target in ((warehouse, "processing"), (warehouse, "shipped"), (warehouse, "delivered"),
                        (finance, "closed")):
        response = api.patch(status_url(order.pk), status_body(target), format="json")
        # then each step is taken and stamped
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == target
        assert body[STAMP[target]], target
        stamps[target] = body[STAMP[target]]
        assert all(body[STAMP[later]] is None for later in STATUSES[STATUSES.index(target) + 1:-1])
    # and the stamps keep their order, the shipping data is stored, and stock moved only at confirmation
    assert stamps["processing"] <= stamps["shipped"] <= stamps["delivered"] <= stamps["closed"]
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.tracking_number, stored.carrier) == ("closed", TRACKING["tracking_number"], "UPS")
    assert stock_of(order.lines.get().product) == stock_after_confirm
    assert movements(order.pk, "release") == []


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ({}, ["tracking_number", "carrier"]),
        ({"tracking_number": "1Z999AA10123456784"}, ["carrier"]),
        ({"carrier": "UPS"}, ["tracking_number"]),
        ({"tracking_number": "", "carrier": "UPS"}, ["tracking_number"]),
        ({"tracking_number": "1Z9", "carrier": "   "}, ["carrier"]),
    ],
)
def test_shipping_without_tracking_or_carrier_is_400_naming_them(
    warehouse_api: APIClient, extra: dict[str, str], missing: list[str]
) -> None:
    # given an order being processed
    order = OrderFactory(status="processing")
    before = db_state()
    # when it is shipped without complete tracking data
    response = warehouse_api.patch(status_url(order.pk), {"status": "shipped", **extra}, format="json")
    # then it is refused naming what is missing, and the order is unchanged
    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == missing
    assert db_state() == before


def test_shipping_stores_trimmed_tracking_data(warehouse_api: APIClient) -> None:
    order = OrderFactory(status="processing")
    response = warehouse_api.patch(status_url(order.pk),
                                   {"status": "shipped", "tracking_number": " 1Z999AA10123456784 ", "carrier": "UPS "},
                                   format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["tracking_number"], response.json()["carrier"]) == ("1Z999AA10123456784", "UPS")
    assert response.json()["shipped_at"]


@pytest.mark.parametrize("target", ["confirmed", "processing", "delivered", "closed", "cancelled"])
@pytest.mark.parametrize("field", ["tracking_number", "carrier"])
def test_tracking_data_with_another_status_is_400(admin_api: APIClient, target: str, field: str) -> None:
    # given an order from which the target is allowed
    source = next(frm for frm, to in sorted(ALLOWED_MOVES) if to == target)
    order = OrderFactory(status=source)
    before = db_state()
    # when tracking data is sent with that other status
    response = admin_api.patch(status_url(order.pk), {"status": target, field: "X1"}, format="json")
    # then it is refused naming the field, and nothing changed
    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == [field]
    assert db_state() == before


@pytest.mark.parametrize("data", [{"status": "paid"}, {"status": "DRAFT"}, {"status": ""}, {"status": None}, {},
                                  {"status": "confirmed", "note": "x"}])
def test_unknown_status_or_field_is_400(admin_api: APIClient, data: dict[str, Any]) -> None:
    order = OrderFactory()
    before = db_state()
    body = assert_problem(admin_api.patch(status_url(order.pk), data, format="json"), 400, "validation_error")
    assert error_fields(body) == ["note" if "note" in data else "status"]
    assert db_state() == before


def test_status_of_an_unknown_order_is_404(admin_api: APIClient) -> None:
    OrderFactory()
    before = db_state()
    assert_problem(admin_api.patch(status_url("ord_01ARZ3NDEKTSV4RRFFQ69G5FAV"), {"status": "confirmed"},
                                   format="json"), 404, "not_found")
    assert db_state() == before


# --- cancel ---------------------------------------------------------------------------------------------


def test_cancelling_a_draft_keeps_the_reason_and_moves_no_stock(sales_api: APIClient) -> None:
    order = OrderFactory()
    product = order.lines.get().product
    response = sales_api.patch(status_url(order.pk), {"status": "cancelled", "reason": "Duplicate order"},
                               format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "Duplicate order")
    assert body["cancelled_at"] and body["allowed_statuses"] == []
    assert stock_of(product) == 10
    assert movements(order.pk) == []
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.from_status, event.to_status, event.reason) == (
        "status_changed", "draft", "cancelled", "Duplicate order")


def test_cancelling_without_a_reason_is_allowed(sales_api: APIClient) -> None:
    order = OrderFactory(status="confirmed")
    response = sales_api.patch(status_url(order.pk), {"status": "cancelled"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["cancellation_reason"] == ""


def test_cancelling_a_confirmed_order_releases_its_stock(sales_api: APIClient) -> None:
    # given a confirmed order of two products
    first, second = ProductFactory(stock=10), ProductFactory(stock=4)
    order = OrderFactory(lines=[(first, 2), (second, 4)], status="confirmed")
    assert (stock_of(first), stock_of(second)) == (8, 0)
    # when it is cancelled
    response = sales_api.patch(status_url(order.pk), {"status": "cancelled", "reason": "Customer requested"},
                               format="json")
    # then the stock comes back with one release row per product, referencing the order
    assert response.status_code == 200, response.content
    assert (stock_of(first), stock_of(second)) == (10, 4)
    assert movements(order.pk, "release") == sorted([(first.pk, 2), (second.pk, 4)])
    assert movements(order.pk, "reservation") == sorted([(first.pk, -2), (second.pk, -4)])
    assert stock_ledger_mismatches() == []
    assert Order.objects.get(pk=order.pk).cancellation_reason == "Customer requested"


@pytest.mark.parametrize("status", ["processing", "shipped", "delivered", "closed", "cancelled"])
def test_cancelling_after_confirmation_is_409(admin_api: APIClient, status: str) -> None:
    order = OrderFactory(status=status)
    before = db_state()
    body = assert_problem(admin_api.patch(status_url(order.pk), {"status": "cancelled", "reason": "late"},
                                          format="json"), 409, "invalid_transition")
    assert (body["current_status"], body["requested_status"]) == (status, "cancelled")
    assert db_state() == before


# --- the matrix: every status x every target --------------------------------------------------------------


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("source", STATUSES)
def test_transition_matrix(admin_api: APIClient, signals: list[dict[str, Any]], source: str, target: str) -> None:
    # given an order in ``source`` (made through the services, with its stock and history)
    order = OrderFactory(status=source, quantity=3)
    product = order.lines.get().product
    stock_before = stock_of(product)
    ledger_before = StockMovement.objects.count()
    history_before = OrderEvent.objects.filter(order=order).count()
    before = db_state()
    signals.clear()
    # when a superuser asks to move it to ``target``
    response = admin_api.patch(status_url(order.pk), status_body(target), format="json")
    if (source, target) in ALLOWED_MOVES:
        # then an allowed move is made, with one history row and one signal
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
        assert response.json()["allowed_statuses"] == allowed_from(target)
        assert Order.objects.get(pk=order.pk).status == target
        assert events_of(order.pk)[history_before:] == [("status_changed", source, target)]
        assert [(s["from_status"], s["to_status"]) for s in signals] == [(source, target)]
        # and stock moves only when confirming (-3) or cancelling a confirmed order (+3)
        expected_delta = {("draft", "confirmed"): -3, ("confirmed", "cancelled"): 3}.get((source, target), 0)
        assert stock_of(product) == stock_before + expected_delta
        assert StockMovement.objects.count() == ledger_before + (1 if expected_delta else 0)
    else:
        # then any other move is a conflict naming where the order is and where it may go
        body = assert_problem(response, 409, "invalid_transition")
        assert body["current_status"] == source
        assert body["requested_status"] == target
        assert body["allowed_statuses"] == allowed_from(source)
        # and nothing changed: status, stock, ledger, history; nothing announced
        assert db_state() == before
        assert Order.objects.get(pk=order.pk).status == source
        assert stock_of(product) == stock_before
        assert StockMovement.objects.count() == ledger_before
        assert OrderEvent.objects.filter(order=order).count() == history_before
        assert signals == []
    assert ledger_sum(product.pk) == stock_of(product)


# --- roles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "warehouse", "finance"])
@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED_MOVES))
def test_each_role_makes_only_its_own_moves(
    client_for: Callable[..., APIClient], role: str, source: str, target: str
) -> None:
    # given an order from which the move is allowed
    order = OrderFactory(status=source)
    api = client_for(role)
    before = db_state()
    # when a user of the role makes it
    response = api.patch(status_url(order.pk), status_body(target), format="json")
    if target in ROLE_TARGETS[role]:
        # then the role's own moves are made
        assert response.status_code == 200, response.content
        assert Order.objects.get(pk=order.pk).status == target
        assert OrderEvent.objects.filter(order=order).last().actor_id == api.user.pk
    else:
        # and the others are refused with nothing changed
        assert_problem(response, 403, "permission_denied")
        assert db_state() == before


@pytest.mark.parametrize(("role", "allowed"), [("sales", 201), ("warehouse", 403), ("finance", 403), (None, 403)])
def test_only_sales_creates_and_edits_drafts(client_for: Callable[..., APIClient], role: str | None,
                                             allowed: int) -> None:
    api = client_for(*([role] if role else []))
    product = ProductFactory(stock=5)
    draft = OrderFactory()
    before = db_state()
    create = api.post(ORDERS_URL, order_payload(CustomerFactory().pk, [(product.pk, 1)]), format="json")
    edit = api.patch(order_url(draft.pk), {"line_items": [{"product_id": product.pk, "quantity": 2}]},
                     format="json")
    if allowed == 201:
        assert (create.status_code, edit.status_code) == (201, 200)
        assert Order.objects.count() == 2
    else:
        assert_problem(create, 403, "permission_denied")
        assert_problem(edit, 403, "permission_denied")
        assert db_state() == before


@pytest.mark.parametrize("role", ["sales", "warehouse", "finance"])
def test_every_role_reads_orders_and_history(client_for: Callable[..., APIClient], role: str) -> None:
    order = OrderFactory(status="confirmed")
    api = client_for(role)
    assert api.get(ORDERS_URL).json()["results"][0]["id"] == order.pk
    assert api.get(order_url(order.pk)).json()["id"] == order.pk
    assert len(api.get(history_url(order.pk)).json()["results"]) == 2


def test_a_user_without_a_role_may_not_read_or_move_orders(client_for: Callable[..., APIClient],
                                                           anon_api: APIClient) -> None:
    order = OrderFactory()
    nobody = client_for()
    before = db_state()
    for response in (nobody.get(ORDERS_URL), nobody.get(order_url(order.pk)), nobody.get(history_url(order.pk)),
                     nobody.patch(status_url(order.pk), {"status": "confirmed"}, format="json")):
        assert_problem(response, 403, "permission_denied")
    assert_problem(anon_api.get(ORDERS_URL), 401, "not_authenticated")
    assert_problem(anon_api.patch(status_url(order.pk), {"status": "confirmed"}, format="json"), 401,
                   "not_authenticated")
    assert db_state() == before


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", {"sales": ["confirmed", "cancelled"], "warehouse": [], "finance": [],
                   "superuser": ["confirmed", "cancelled"]}),
        ("confirmed", {"sales": ["cancelled"], "warehouse": ["processing"], "finance": [],
                       "superuser": ["processing", "cancelled"]}),
        ("processing", {"sales": [], "warehouse": ["shipped"], "finance": [], "superuser": ["shipped"]}),
        ("delivered", {"sales": [], "warehouse": [], "finance": ["closed"], "superuser": ["closed"]}),
        ("closed", {"sales": [], "warehouse": [], "finance": [], "superuser": []}),
    ],
)
def test_allowed_statuses_reflect_the_caller(client_for: Callable[..., APIClient], status: str,
                                             expected: dict[str, list[str]]) -> None:
    order = OrderFactory(status=status)
    for who, allowed in expected.items():
        api = client_for(superuser=True) if who == "superuser" else client_for(who)
        assert api.get(order_url(order.pk)).json()["allowed_statuses"] == allowed, who
        assert api.get(ORDERS_URL).json()["results"][0]["allowed_statuses"] == allowed, who


# --- history --------------------------------------------------------------------------------------------


def test_history_lists_every_change_oldest_first(client_for: Callable[..., APIClient]) -> None:
    # given an order created, edited, confirmed, shipped and refused one move on the way
    sales, warehouse = client_for("sales"), client_for("warehouse")
    product = ProductFactory(stock=10)
    order_id = sales.post(ORDERS_URL, order_payload(CustomerFactory().pk, [(product.pk, 1)]),
                          format="json").json()["id"]
    assert sales.patch(order_url(order_id), {"line_items": [{"product_id": product.pk, "quantity": 2}]},
                       format="json").status_code == 200
    assert sales.patch(status_url(order_id), {"status": "confirmed", "reason": "PO received"},
                       format="json").status_code == 200
    assert warehouse.patch(status_url(order_id), {"status": "shipped", **TRACKING}, format="json").status_code == 409
    assert warehouse.patch(status_url(order_id), {"status": "processing"}, format="json").status_code == 200
    assert warehouse.patch(status_url(order_id), status_body("shipped"), format="json").status_code == 200
    # when its history is read (two rows a page)
    rows, pages = follow_pages(warehouse, history_url(order_id) + "?limit=2")
    # then every change is listed once, oldest first, with who, why and its data; the refused move is not
    assert pages == 3
    assert all(set(row) == EVENT_FIELDS for row in rows)
    assert [(r["kind"], r["from_status"], r["to_status"], r["actor"]) for r in rows] == [
        ("created", "", "draft", sales.user.username),
        ("updated", "draft", "draft", sales.user.username),
        ("status_changed", "draft", "confirmed", sales.user.username),
        ("status_changed", "confirmed", "processing", warehouse.user.username),
        ("status_changed", "processing", "shipped", warehouse.user.username),
    ]
    assert rows[0]["data"] == {"lines": 1, "total": "129.99"}
    assert rows[1]["data"] == {"lines": 1, "total": "259.98"}
    assert rows[2]["reason"] == "PO received"
    assert rows[4]["data"] == TRACKING
    assert len({r["id"] for r in rows}) == 5
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)


def test_history_of_an_unknown_order_is_404(sales_api: APIClient) -> None:
    assert_problem(sales_api.get(history_url("ord_01ARZ3NDEKTSV4RRFFQ69G5FAV")), 404, "not_found")


# --- the order_status_changed signal ----------------------------------------------------------------------


def test_signal_is_sent_once_per_move_with_its_statuses(client_for: Callable[..., APIClient],
                                                        signals: list[dict[str, Any]]) -> None:
    order = OrderFactory(status="confirmed")
    signals.clear()
    warehouse = client_for("warehouse")
    assert warehouse.patch(status_url(order.pk), {"status": "processing"}, format="json").status_code == 200
    assert warehouse.patch(status_url(order.pk), {"status": "closed"}, format="json").status_code == 409
    assert warehouse.patch(status_url(order.pk), status_body("shipped"), format="json").status_code == 200
    assert [(s["from_status"], s["to_status"]) for s in signals] == [("confirmed", "processing"),
                                                                      ("processing", "shipped")]
    last = signals[-1]
    assert last["order"].pk == order.pk and last["order"].status == "shipped"
    assert last["actor"].pk == warehouse.user.pk
    assert last["event"].pk == OrderEvent.objects.filter(order=order).last().pk


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED_MOVES))
def test_a_receiver_raising_conflict_vetoes_the_move(admin_api: APIClient, veto: Callable[[], list[str]],
                                                     source: str, target: str) -> None:
    # given an order and a receiver (billing) that refuses every change
    order = OrderFactory(status=source)
    seen = veto()
    before = db_state()
    # when the order is moved
    response = admin_api.patch(status_url(order.pk), status_body(target), format="json")
    # then the move is refused with 409, after the receiver saw it
    body = assert_problem(response, 409, "billing_veto")
    assert body["detail"] == "Billing refuses this change."
    assert seen == [f"{source}->{target}"]
    # and the order, its stock (reservation or release), ledger and history are as before
    assert db_state() == before
    assert Order.objects.get(pk=order.pk).status == source


@pytest.mark.parametrize("field", ["tracking_number", "carrier"])
def test_tracking_fields_are_refused_with_another_status_even_when_empty(admin_api: APIClient, field: str) -> None:
    order = OrderFactory()
    response = admin_api.patch(f"/api/v1/sales/orders/{order.pk}/status", {"status": "confirmed", field: ""},
                               format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    order.refresh_from_db()
    assert order.status == "draft"
