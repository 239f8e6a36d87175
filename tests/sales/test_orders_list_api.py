"""Orders API, listing: GET /api/v1/sales/orders with the guide's queries, the other filters, sorting, cursor
pagination; and query-count budgets of listing, creating and confirming (constant in page size and lines)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inventory.models import StockMovement
from sales.models import Order
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import assert_problem, error_fields, follow_pages

from .helpers import ORDERS_URL, order_payload, status_url

pytestmark = pytest.mark.django_db

# token lookup (with the user's permissions), the page, the lines of the page (the return lines only of orders that
# have returns: tests/sales/test_statement_budgets.py)
LIST_QUERY_BUDGET = 3
# Statements per request, whatever the number of lines (token lookup, locks, history and invoice included).
CREATE_QUERY_BUDGET = 17
CONFIRM_QUERY_BUDGET = 35


@pytest.fixture
def api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("sales")


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def set_created_at(order: Order, when: datetime) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=when)


# --- the guide's queries --------------------------------------------------------------------------------


def test_open_orders_of_a_customer_as_in_the_guide(api: APIClient) -> None:
    # given a customer with orders in every stage, and another customer's open order
    customer = CustomerFactory()
    by_status = {status: OrderFactory(customer=customer, status=status)
                 for status in ("draft", "confirmed", "processing", "shipped", "closed", "cancelled")}
    OrderFactory(status="confirmed")
    # when the guide's "all open orders for a customer" query is sent
    response = api.get(f"{ORDERS_URL}?customer_id={customer.pk}&status[]=draft&status[]=confirmed"
                       "&status[]=processing")
    # then exactly that customer's draft, confirmed and processing orders are listed, newest first
    assert ids(response) == [by_status[s].pk for s in ("processing", "confirmed", "draft")]
    assert {row["customer_id"] for row in response.json()["results"]} == {customer.pk}


def test_orders_awaiting_shipment_newest_first_as_in_the_guide(api: APIClient) -> None:
    # given orders being processed, created in an order that differs from their ids, and others
    now = datetime.now(UTC)
    first, second, third = (OrderFactory(status="processing") for _ in range(3))
    set_created_at(first, now - timedelta(hours=1))
    set_created_at(second, now - timedelta(hours=3))
    set_created_at(third, now - timedelta(hours=2))
    OrderFactory(status="confirmed")
    OrderFactory(status="shipped")
    # when the guide's "orders awaiting shipment" query is sent
    response = api.get(f"{ORDERS_URL}?status=processing&sort=-created_at")
    # then only processing orders are listed, newest creation first
    assert ids(response) == [first.pk, third.pk, second.pk]
    assert {row["status"] for row in response.json()["results"]} == {"processing"}


@pytest.mark.parametrize("query", ["status=draft,confirmed", "status=draft&status=confirmed",
                                   "status[]=draft,confirmed", "status=draft&status[]=confirmed",
                                   "status=%20draft%20,confirmed"])
def test_several_statuses_in_every_form(api: APIClient, query: str) -> None:
    draft, confirmed = OrderFactory(), OrderFactory(status="confirmed")
    OrderFactory(status="processing")
    OrderFactory(status="cancelled")
    assert ids(api.get(f"{ORDERS_URL}?{query}")) == [confirmed.pk, draft.pk]


@pytest.mark.parametrize("query", ["status=paid", "status[]=paid", "status=draft,paid", "status=DRAFT"])
def test_unknown_status_filter_is_400(api: APIClient, query: str) -> None:
    OrderFactory()
    body = assert_problem(api.get(f"{ORDERS_URL}?{query}"), 400, "validation_error")
    assert error_fields(body) == ["status"]


def test_no_filter_lists_every_order_newest_first(api: APIClient) -> None:
    orders = [OrderFactory(status=s) for s in ("draft", "closed", "cancelled")]
    body = api.get(ORDERS_URL).json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["id"] for row in body["results"]] == [o.pk for o in reversed(orders)]
    assert (body["next"], body["previous"]) == (None, None)


# --- sorting --------------------------------------------------------------------------------------------


def test_sort_by_total_order_number_and_created_at_both_ways(api: APIClient) -> None:
    # given orders whose totals, numbers and creation times each sort differently
    now = datetime.now(UTC)
    product = ProductFactory(stock=100, price=Decimal("10.00"))
    middle = OrderFactory(lines=[(product, 5)])   # SO-n,   total 50
    small = OrderFactory(lines=[(product, 1)])    # SO-n+1, total 10
    large = OrderFactory(lines=[(product, 9)])    # SO-n+2, total 90
    set_created_at(middle, now - timedelta(minutes=1))
    set_created_at(small, now - timedelta(minutes=3))
    set_created_at(large, now - timedelta(minutes=2))
    # then each sort orders by its field, ascending or descending
    expected = {
        "total": [small, middle, large],
        "order_number": [middle, small, large],
        "created_at": [small, large, middle],
    }
    for field, ascending in expected.items():
        assert ids(api.get(ORDERS_URL, {"sort": field})) == [o.pk for o in ascending], field
        assert ids(api.get(ORDERS_URL, {"sort": f"-{field}"})) == [o.pk for o in reversed(ascending)], field
    assert [row["total"] for row in api.get(ORDERS_URL, {"sort": "-total"}).json()["results"]] == [
        "90.00", "50.00", "10.00"]


@pytest.mark.parametrize("sort", ["status", "-customer", "price", "total,,bogus", "lines__quantity"])
def test_unknown_sort_is_400(api: APIClient, sort: str) -> None:
    OrderFactory()
    body = assert_problem(api.get(ORDERS_URL, {"sort": sort}), 400, "validation_error")
    assert error_fields(body) == ["sort"]


# --- other filters --------------------------------------------------------------------------------------


def test_created_at_range(api: APIClient) -> None:
    # given orders created on three days
    day = datetime(2026, 1, 10, 12, tzinfo=UTC)
    old, mid, new = OrderFactory(), OrderFactory(), OrderFactory()
    for order, offset in ((old, 0), (mid, 1), (new, 2)):
        set_created_at(order, day + timedelta(days=offset))
    # then the bounds select by creation time (both inclusive)
    assert ids(api.get(ORDERS_URL, {"created_at_after": "2026-01-11T00:00:00Z"})) == [new.pk, mid.pk]
    assert ids(api.get(ORDERS_URL, {"created_at_before": "2026-01-11T12:00:00Z"})) == [mid.pk, old.pk]
    assert ids(api.get(ORDERS_URL, {"created_at_after": "2026-01-11T00:00:00+00:00",
                                    "created_at_before": "2026-01-11T23:59:59+00:00"})) == [mid.pk]
    body = assert_problem(api.get(ORDERS_URL, {"created_at_after": "yesterday"}), 400, "validation_error")
    assert any((field or "").startswith("created_at") for field in error_fields(body))


def test_order_number_exact_in_any_case_and_search_by_part(api: APIClient) -> None:
    orders = [OrderFactory() for _ in range(3)]
    wanted = orders[1]
    assert ids(api.get(ORDERS_URL, {"order_number": wanted.order_number})) == [wanted.pk]
    assert ids(api.get(ORDERS_URL, {"order_number": wanted.order_number.lower()})) == [wanted.pk]
    assert ids(api.get(ORDERS_URL, {"order_number": wanted.order_number[:-1]})) == []
    # the search matches a part of the number, in any case
    assert ids(api.get(ORDERS_URL, {"search": wanted.order_number[-3:]})) == [wanted.pk]
    assert ids(api.get(ORDERS_URL, {"search": "so-"})) == [o.pk for o in reversed(orders)]
    assert ids(api.get(ORDERS_URL, {"search": "nothing-like-it"})) == []


def test_customer_filter_with_unknown_customer_is_empty(api: APIClient) -> None:
    OrderFactory()
    assert ids(api.get(ORDERS_URL, {"customer_id": "cust_01ARZ3NDEKTSV4RRFFQ69G5FAV"})) == []


# --- pagination -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", [None, "total", "-total", "-created_at", "order_number"])
def test_following_next_walks_every_order_once(api: APIClient, sort: str | None) -> None:
    # given 7 orders, several with equal totals and equal creation times
    product = ProductFactory(stock=100, price=Decimal("1.00"))
    orders = [OrderFactory(lines=[(product, quantity)]) for quantity in (2, 1, 2, 2, 3, 1, 2)]
    same_time = datetime.now(UTC) - timedelta(hours=1)
    for order in orders[2:5]:
        set_created_at(order, same_time)
    url = f"{ORDERS_URL}?limit=2" + (f"&sort={sort}" if sort else "")
    # when every page is followed
    rows, pages = follow_pages(api, url)
    # then each order is seen exactly once, in the asked order
    assert pages == 4
    assert sorted(row["id"] for row in rows) == sorted(o.pk for o in orders)
    if sort:
        key = sort.lstrip("-")
        values = [Decimal(row[key]) if key == "total" else row[key] for row in rows]
        assert values == sorted(values, reverse=sort.startswith("-"))
    # and the previous link of the last page leads back
    last = api.get(url).json()
    while last["next"]:
        last = api.get(last["next"]).json()
    assert last["previous"]
    assert len(api.get(last["previous"]).json()["results"]) == 2


def test_limit_is_at_most_200(api: APIClient) -> None:
    # given 201 orders (only the listing matters here, so rows are made in bulk)
    customer = CustomerFactory()
    Order.objects.bulk_create(
        Order(order_number=f"BULK-{n:05d}", customer=customer, currency="USD",
              shipping_address=customer.default_shipping_address)
        for n in range(201)
    )
    # then a page holds at most 200, and a larger limit is refused (the schema's maximum)
    assert_problem(api.get(ORDERS_URL, {"limit": 500}), 400, "validation_error")
    first = api.get(ORDERS_URL, {"limit": 200}).json()
    assert len(first["results"]) == 200
    assert first["next"]
    assert len(api.get(first["next"]).json()["results"]) == 1
    assert len(api.get(ORDERS_URL).json()["results"]) == 50  # the default page size
    assert len(api.get(ORDERS_URL, {"limit": 7}).json()["results"]) == 7


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": -1}, {"limit": "ten"}, {"cursor": "garbage"}])
def test_bad_limit_or_cursor_is_400(api: APIClient, params: dict[str, Any]) -> None:
    OrderFactory()
    body = assert_problem(api.get(ORDERS_URL, params), 400, "validation_error")
    assert error_fields(body) == list(params)


# --- query budgets --------------------------------------------------------------------------------------


def _count_queries(request: Callable[[], Any], expected_status: int = 200) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == expected_status, response.content
    return len(queries)


def test_list_queries_do_not_grow_with_page_size_or_lines(
    api: APIClient, django_assert_max_num_queries: Any
) -> None:
    # given 6 orders of one line, listed once to warm up the token
    for _ in range(6):
        OrderFactory()
    api.get(ORDERS_URL)
    # then pages of 5 and of 50 need the same number of queries, within the budget
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        small = _count_queries(lambda: api.get(ORDERS_URL, {"limit": 5}))
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        large = _count_queries(lambda: api.get(ORDERS_URL, {"limit": 50}))
    assert small == large
    # and orders of 20 lines each (with their allowed statuses) need no more
    for _ in range(3):
        OrderFactory(line_count=20)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = api.get(ORDERS_URL, {"limit": 50})
    assert len(response.json()["results"]) == 9
    assert sum(len(row["line_items"]) for row in response.json()["results"]) == 6 + 60
    assert _count_queries(lambda: api.get(ORDERS_URL, {"limit": 50})) == small


def test_creating_one_line_or_fifty_takes_the_same_queries(api: APIClient) -> None:
    # given a customer and 50 products, and a warmed-up token and counters
    customer = CustomerFactory()
    products = [ProductFactory(stock=5) for _ in range(50)]
    OrderFactory()
    api.get(ORDERS_URL)
    # when an order of 1 line and one of 50 lines are created
    one = _count_queries(lambda: api.post(ORDERS_URL, order_payload(customer.pk, [(products[0].pk, 1)]),
                                          format="json"), 201)
    fifty = _count_queries(lambda: api.post(ORDERS_URL, order_payload(customer.pk, [(p.pk, 1) for p in products]),
                                            format="json"), 201)
    # then both took the same number of queries, within the budget
    assert one == fifty <= CREATE_QUERY_BUDGET
    assert Order.objects.count() == 3


def test_confirming_one_line_or_fifty_takes_the_same_queries(api: APIClient) -> None:
    # given drafts of 1 and of 50 lines, and a warmed-up token
    small, large = OrderFactory(line_count=1), OrderFactory(line_count=50)
    api.get(ORDERS_URL)
    # when each is confirmed
    one = _count_queries(lambda: api.patch(status_url(small.pk), {"status": "confirmed"}, format="json"))
    fifty = _count_queries(lambda: api.patch(status_url(large.pk), {"status": "confirmed"}, format="json"))
    # then both took the same number of queries, within the budget, and all 50 lines were reserved
    assert one == fifty <= CONFIRM_QUERY_BUDGET
    assert large.lines.count() == 50
    assert Order.objects.get(pk=large.pk).status == "confirmed"
    assert StockMovement.objects.filter(reference=large.pk, kind="reservation").count() == 50


@pytest.mark.parametrize(
    "value", ["1444-12-13T09:33:27-18:08", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
)
def test_unusable_datetimes_in_the_range_filter_are_400(admin_api: APIClient, value: str) -> None:
    # found by schemathesis: an offset PostgreSQL cannot store was a 500
    response = admin_api.get(ORDERS_URL, {"created_at_before": value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "created_at"


def test_a_page_of_50_reads_its_lines_with_at_most_50_parameters() -> None:
    # psycopg keeps a statement's parsed form only up to 50 parameters: the default page's lines stay within them
    from sales.selectors.orders import _padded

    assert [len(_padded(["ord"] * n)) for n in (1, 3, 17, 33, 50, 51, 200)] == [1, 4, 32, 50, 50, 64, 256]
