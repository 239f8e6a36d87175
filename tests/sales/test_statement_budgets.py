"""Statements per request on the hot paths, whatever the number of lines (issue 15).

Counted through the API with a bearer token in its steady state (its throttled ``last_used_at`` write already
made), events on and a webhook endpoint subscribed, so event and task rows are written; the counters (order,
invoice and event numbers) exist, as they do in production after the first order. The budgets include the token
lookup (one statement: token, user and permissions), history rows, events and the task.

A write runs in the test's transaction, so its outermost ``atomic`` block is a SAVEPOINT / RELEASE pair that
production sends as BEGIN / COMMIT (which Django does not log): ``TEST_TRANSACTION`` adds those two. Nested
services join the outer transaction without savepoints of their own, so nothing else is added.

Taxes are configured (Texas's state and local rates apply to the orders, which carry a shipping charge): the
rates of a draft are one statement at creation (create 8 -> 9); the invoice's snapshot of lines, charges and
breakdown adds none to the confirmation.

A price list and a promotion code are configured too (issue 23): every customer has the list, which prices
every product, and every order carries a code limited in its uses. At creation the code comes with the products
(the same statement) and the list's entries for the draft are one statement (create 9 -> 10); at confirmation
the code's row is locked by the guarded UPDATE that counts the use (confirm 12 -> 13). A code with a limit per
customer costs one statement more there: that customer's uses, counted after the code's lock.

At confirmation the order's row is updated with its history row in one statement, and the draft invoice written
with its lines and its history row in one more, which also checks that the order has none yet (issue 25: confirm
13 -> 9). The order, its lines and its history row are written by one statement on PostgreSQL (issue 25: create
10 -> 8), which also takes the order's number from its counter (create 8 -> 7). The code's use (a code without a
limit per customer) is counted by the statement that writes the order and its history row (issue 25: confirm
9 -> 8). The list's entries for the draft and the rates of its products' classes come with the draft's products
and customer, each as one JSON array per product (issue 25: create 7 -> 5; on PostgreSQL, whose aggregate keeps
the rates' order: SQLite reads the rates by their own statement). The events' fan-out task is written by the
statement that writes the events (issue 25: every budget that writes events one less: create 5 -> 4, confirm
8 -> 7, payment 10 -> 9, shipment 10 -> 9, amend 34 -> 33), and a confirmation's stock reservation (stock, ledger,
allocations) by the statement that writes the order, unless it takes a product's stock low (its event reads the
product first) (confirm 7 -> 6).

On SQLite the reads have the same budgets; the writes take more (event numbering and the stock ledger each take
one more statement there), so their budgets are pinned on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice
from integrations.models import WebhookEndpoint
from inventory.models import Warehouse
from inventory.services import stock_adjust
from sales.models import Order, OrderStatus
from sales.pricing_models import PriceList, PriceListEntry
from tests.billing.helpers import PAYMENTS_URL
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    PriceListFactory,
    ProductFactory,
    PromotionCodeFactory,
    ReturnFactory,
    WarehouseFactory,
)
from tests.sales.helpers import ORDERS_URL, order_payload, order_url, status_url
from tests.taxes.helpers import rate

TEST_TRANSACTION = 2
BUDGETS = {"get": 3, "list": 3, "create": 4, "confirm": 6, "payment": 9, "shipment": 9, "amend": 33}
CODE = "BUDGET5"
LINE_COUNTS = [1, 50]


@pytest.fixture
def api(client_for: Callable[..., APIClient], settings: Any) -> APIClient:
    """A sales and finance user's client, events on, an endpoint subscribed to everything, and one order taken
    through create, confirm and payment (the token touched, the counters created)."""
    settings.EVENTS_ENABLED = True
    rate("6.25", country="US", region="TX", name="Texas state")
    rate("2", country="US", region="TX", name="Austin local")
    rate("19", country="DE", name="USt 19%")
    WebhookEndpoint.objects.create(url="https://example.com/hooks", events=["*"], secret="whsec_budget")
    PriceListFactory(name="Budget key account")
    PromotionCodeFactory(code=CODE, discount_value=5, usage_limit=1_000_000)
    client = client_for("sales", "finance")
    order_id = create(client, [ProductFactory(stock=10, price="5.00")])
    assert client.patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200
    pay(client, Invoice.objects.get(order_id=order_id).pk, "WARM-UP")
    return client


def create(api: APIClient, products: list[Any], customer: Any = None) -> str:
    customer = customer or CustomerFactory(price_list=PriceList.objects.get())
    body = {**order_payload(customer.pk, [(p.pk, 2) for p in products]), "promotion_code": CODE,
            "charges": [{"kind": "shipping", "description": "UPS ground", "amount": "9.90"}]}
    response = api.post(ORDERS_URL, body, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def pay(api: APIClient, invoice_id: str, reference: str, amount: str = "1.00") -> dict[str, Any]:
    response = api.post(PAYMENTS_URL, {"invoice_id": invoice_id, "amount": amount, "currency": "USD",
                                       "payment_method": "bank_transfer", "reference": reference}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def confirmed(api: APIClient, lines: int) -> str:
    """A confirmed order of ``lines`` lines; its invoice's id."""
    order_id = create(api, products(lines))
    assert api.patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200
    return Invoice.objects.get(order_id=order_id).pk


def products(count: int) -> list[Any]:
    """Products on the price list (at 9.50 from 1 unit)."""
    made = [ProductFactory(stock=1000, price="10.00") for _ in range(count)]
    price_list = PriceList.objects.get()
    PriceListEntry.objects.bulk_create([PriceListEntry(price_list=price_list, product=product, min_quantity=1,
                                                       unit_price="9.50") for product in made])
    return made


@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_get_one_order(api: APIClient, lines: int, django_assert_num_queries: Any) -> None:
    # given an order of ``lines`` lines
    order_id = create(api, products(lines))
    # when it is read, then: token, the order, its lines (with what returns claim of them)
    with django_assert_num_queries(BUDGETS["get"]):
        response = api.get(order_url(order_id))
    assert response.status_code == 200 and len(response.json()["line_items"]) == lines


@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_list_a_page_of_orders(api: APIClient, lines: int, django_assert_num_queries: Any) -> None:
    # given 50 orders (the last of ``lines`` lines)
    catalogue = products(lines)
    for _ in range(49):
        create(api, catalogue[:1])
    create(api, catalogue)
    # when a page of 50 is listed, then: token, the orders, their lines (with what returns claim of them)
    with django_assert_num_queries(BUDGETS["list"]):
        response = api.get(f"{ORDERS_URL}?limit=50")
    assert response.status_code == 200 and len(response.json()["results"]) == 50


@pytest.mark.parametrize("with_returns", [1, 10])
def test_orders_with_returns_cost_no_statement_more(api: APIClient, with_returns: int,
                                                    django_assert_num_queries: Any) -> None:
    # given 20 delivered orders of 3 lines, ``with_returns`` of them with a return
    delivered = [OrderFactory(status=OrderStatus.DELIVERED, line_count=3) for _ in range(20)]
    for order in delivered[:with_returns]:
        ReturnFactory(order=order)
    # when a page of them is listed, or one with a return is read, then: their returns come with their lines
    # (the same statement), none more
    with django_assert_num_queries(BUDGETS["list"]):
        page = api.get(f"{ORDERS_URL}?limit=50").json()["results"]
    with django_assert_num_queries(BUDGETS["get"]):
        one = api.get(order_url(delivered[0].pk)).json()
    # and each shows its returns and returned quantities
    assert sum(len(row["returns"]) for row in page) == with_returns
    assert sum(line["returned_quantity"] for row in page for line in row["line_items"]) == with_returns
    assert [r["status"] for r in one["returns"]] == ["requested"]


@pytest.mark.postgres
@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_create_an_order(api: APIClient, lines: int, django_assert_num_queries: Any) -> None:
    # given ``lines`` products on a customer's price list
    catalogue, customer = products(lines), CustomerFactory(price_list=PriceList.objects.get())
    # when an order of them is created with a code, then: token, customer, products and code, price-list
    # entries, rates, order numbered with its lines and history, events, task
    with django_assert_num_queries(BUDGETS["create"] + TEST_TRANSACTION):
        order_id = create(api, catalogue, customer)
    order = Order.objects.get(pk=order_id)
    assert order.lines.count() == lines and order.promotion_code is not None
    assert set(order.lines.values_list("unit_price", flat=True)) == {Decimal("9.50")}


@pytest.mark.postgres
@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_confirm_an_order(api: APIClient, lines: int, django_assert_num_queries: Any) -> None:
    # given a draft of ``lines`` lines
    order_id = create(api, products(lines))
    # when it is confirmed, then: token, order with lines, customer and code, products with their warehouse stock,
    # order with its history, the code's use and the stock with ledger and allocations, invoice (unless the order has
    # one) with its lines and history, events with their task
    with django_assert_num_queries(BUDGETS["confirm"] + TEST_TRANSACTION):
        response = api.patch(status_url(order_id), {"status": "confirmed"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert Invoice.objects.get(order_id=order_id).lines.count() == lines + 1  # and the shipping charge


@pytest.mark.postgres
@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_confirm_an_order_split_over_three_warehouses(api: APIClient, lines: int,
                                                      django_assert_num_queries: Any) -> None:
    # given three warehouses, each holding 1 unit of every product, and a draft of 2 units a line (so each line
    # is split over two warehouses)
    catalogue = [ProductFactory() for _ in range(lines)]
    for priority in (1, 2, 3):
        warehouse = WarehouseFactory(priority=priority)
        for product in catalogue:
            stock_adjust(product=product, quantity_delta=1, reason="receipt", actor=None, warehouse=warehouse)
    order_id = create(api, catalogue)
    # when it is confirmed, then the same statements as with one warehouse, whatever the lines and warehouses
    with django_assert_num_queries(BUDGETS["confirm"] + TEST_TRANSACTION):
        response = api.patch(status_url(order_id), {"status": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    assert all(len(line["allocations"]) == 2 for line in response.json()["line_items"])


@pytest.mark.postgres
@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_pay_a_draft_invoice(api: APIClient, lines: int, django_assert_num_queries: Any) -> None:
    # given a confirmed order of ``lines`` lines (its invoice a draft)
    invoice_id = confirmed(api, lines)
    # when a payment is recorded (issuing the invoice first), then: token, order lock, invoice lock with the
    # duplicate check, invoice lines, invoice number, payment, invoice, history, events, task
    with django_assert_num_queries(BUDGETS["payment"] + TEST_TRANSACTION):
        body = pay(api, invoice_id, "TXN-1")
    assert body["invoice"]["status"] == "issued"


@pytest.mark.postgres
@pytest.mark.parametrize("lines", LINE_COUNTS)
def test_pay_an_issued_invoice_in_full(api: APIClient, lines: int, django_assert_max_num_queries: Any) -> None:
    # given a confirmed order of ``lines`` lines, part-paid (its invoice issued)
    invoice_id = confirmed(api, lines)
    due = pay(api, invoice_id, "TXN-1")["invoice"]["amount_due"]
    # when the rest is paid (settling the invoice), then within the budget
    with django_assert_max_num_queries(BUDGETS["payment"] + TEST_TRANSACTION):
        body = pay(api, invoice_id, "TXN-2", amount=due)
    assert body["invoice"]["status"] == "paid"


@pytest.mark.postgres
@pytest.mark.parametrize("lines", LINE_COUNTS)
@pytest.mark.parametrize("last", [False, True], ids=["part", "the-rest"])
def test_ship_part_of_an_order(client_for: Callable[..., APIClient], settings: Any, lines: int, last: bool,
                               django_assert_num_queries: Any) -> None:
    # given a processing order of ``lines`` lines of 2 units each (``last``: one unit of each already shipped)
    settings.EVENTS_ENABLED = True
    WebhookEndpoint.objects.create(url="https://example.com/hooks", events=["*"], secret="whsec_budget")
    PriceListFactory(name="Budget key account")
    PromotionCodeFactory(code=CODE, discount_value=5, usage_limit=1_000_000)
    api = client_for("sales", "warehouse")
    order_id = create(api, products(lines))
    for target in ("confirmed", "processing"):
        assert api.patch(status_url(order_id), {"status": target}, format="json").status_code == 200
    warehouse_id = Warehouse.objects.get(is_default=True).pk
    body = {"warehouse_id": warehouse_id, "tracking_number": "1Z-BUDGET", "carrier": "UPS",
            "lines": [{"product_id": p, "quantity": 1} for p in Order.objects.get(pk=order_id).lines
                      .order_by("position").values_list("product_id", flat=True)]}
    if last:
        assert api.post(order_url(order_id, "/shipments"), body, format="json").status_code == 201
    # when one unit of each line ships, then: token, order with lines (what is allocated and shipped of each),
    # shipment, its lines, its history, order (fulfilment, and with the rest: status), [with the rest: order
    # history, the lines' allocations for the order.shipped event,] events, task
    with django_assert_num_queries(BUDGETS["shipment"] - (0 if last else 2) + TEST_TRANSACTION):
        response = api.post(order_url(order_id, "/shipments"), body, format="json")
    assert response.status_code == 201, response.content
    assert Order.objects.get(pk=order_id).status == ("shipped" if last else "processing")


@pytest.mark.postgres
@pytest.mark.parametrize("lines", [2, 50])  # at least one line goes down and one up
def test_amend_an_order(api: APIClient, lines: int, django_assert_num_queries: Any) -> None:
    # given a confirmed order of ``lines`` lines of 2 units each (with its code and shipping charge)
    catalogue = products(lines + 1)
    order_id = create(api, catalogue[:lines])
    assert api.patch(status_url(order_id), {"status": "confirmed"}, format="json").status_code == 200
    # when every line changes (the first down to 1, the others up to 3) and a product is added
    body = {"reason": "customer called", "lines": [
        *({"product_id": p.pk, "quantity": 3 if index else 1} for index, p in enumerate(catalogue[:lines])),
        {"product_id": catalogue[lines].pk, "quantity": 2}]}
    # then: token, order with lines and customer, the lines' allocations (the event's "before"), what shipped,
    # the new product, its price-list entry, products with their warehouse stock, allocations to lower, [reserve:
    # stock lock, stock with ledger], [release: products, rows ensured, stock lock, stock with ledger], the code's
    # products, rates, lines updated, lines added, order, allocations lowered, allocations to grow, grown, added,
    # invoice lock, invoice, its lines and their credit-note lines read, removed, written, history, allocations
    # (the event's "after"), events, task
    with django_assert_num_queries(BUDGETS["amend"] + TEST_TRANSACTION):
        response = api.post(order_url(order_id, "/amendments"), body, format="json")
    assert response.status_code == 200, response.content
    assert len(response.json()["line_items"]) == lines + 1
    assert Invoice.objects.get(order_id=order_id).lines.count() == lines + 2  # and the shipping charge
