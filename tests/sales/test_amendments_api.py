"""Amending a confirmed (or processing) order through the API: quantities up and down, a line added and one
removed, with taxes and an order discount worked out by hand; stock moved by the difference only, the draft
invoice rewritten, one history row and one ``order.amended`` event; and every refusal changing nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceLine
from integrations.models import Event
from inventory.models import Product
from sales import services
from sales.models import Order, OrderEvent, OrderLineAllocation, OrderStatus
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import assert_problem, rows_of
from tests.inventory.helpers import held
from tests.taxes.helpers import BERLIN, assert_adds_up, german_rates

from .helpers import ORDERS_URL, db_state, order_payload, status_url
from .shipment_helpers import order_shipments_url, place_stock, shipment_body, two_warehouse_order, warehouse
from .test_order_allocations import assert_ledgers_hold

pytestmark = pytest.mark.django_db


def amend_url(order_id: str) -> str:
    return f"{ORDERS_URL}/{order_id}/amendments"


def amendment(*lines: tuple[str, int] | tuple[str, int, str], reason: str = "customer called") -> dict[str, Any]:
    return {"lines": [{"product_id": line[0], "quantity": line[1], **({"unit_price": line[2]} if len(line) > 2
                                                                       else {})} for line in lines],
            "reason": reason}


def everything() -> dict[str, Any]:
    """Orders, lines, history, products, ledger, warehouse stock, allocations, invoices and their lines, events."""
    return {**db_state(), **rows_of(Invoice, InvoiceLine, Event)}


def quantities(body: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["product_id"], line["quantity"]) for line in body["line_items"]]


@pytest.fixture
def taxed_order(sales_api: APIClient) -> tuple[dict[str, Any], Product, Product, Product]:
    """A confirmed German order (19 %) with a 10 % order discount: 2 A at 10.00 and 1 B at 20.00; C (5.00) is
    not on it. Each product holds 10 in the default warehouse before confirmation."""
    german_rates()
    a, b, c = (ProductFactory(price=Decimal(price), stock=10, tax_class_id="standard")
               for price in ("10.00", "20.00", "5.00"))
    body = order_payload(CustomerFactory().pk, [(a.pk, 2), (b.pk, 1)], address=BERLIN)
    body["discount"] = {"type": "percent", "value": "10", "reason": "loyal customer"}
    created = sales_api.post(ORDERS_URL, body, format="json")
    assert created.status_code == 201, created.content
    confirmed = sales_api.patch(status_url(created.json()["id"]), {"status": "confirmed"}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    return confirmed.json(), a, b, c


def test_up_down_add_and_remove_with_taxes_and_a_discount(sales_api: APIClient, taxed_order: Any) -> None:
    # given the confirmed order (A 2 x 10.00, B 1 x 20.00, 10 % off; stock A 8, B 9, C 10)
    order, a, b, c = taxed_order
    # when A goes up to 3, B is removed and 4 C are added
    response = sales_api.post(amend_url(order["id"]), amendment((a.pk, 3), (b.pk, 0), (c.pk, 4)), format="json")
    # then the order has A 3 and C 4 (C at its price today)
    assert response.status_code == 200, response.content
    body = response.json()
    assert quantities(body) == [(a.pk, 3), (c.pk, 4)]
    assert [line["unit_price"] for line in body["line_items"]] == ["10.00", "5.00"]
    # and by hand: 30.00 + 20.00 = 50.00, 10 % off = 5.00 (3.00 of A, 2.00 of C), net 45.00,
    # tax 19 % of 27.00 = 5.13 and of 18.00 = 3.42, 8.55 in all, total 53.55
    assert [line["tax_amount"] for line in body["line_items"]] == ["5.13", "3.42"]
    assert (body["tax_total"], body["total"]) == ("8.55", "53.55")
    assert_adds_up(body)
    # and stock moved by the difference only: A one more reserved, B one released, C four reserved
    assert [Product.objects.get(pk=p.pk).stock_quantity for p in (a, b, c)] == [7, 10, 6]
    assert sorted(OrderLineAllocation.objects.filter(line__order_id=order["id"])
                  .values_list("line__product_id", "quantity")) == sorted([(a.pk, 3), (c.pk, 4)])
    assert_ledgers_hold()
    # and the draft invoice is rewritten to match
    invoice = Invoice.objects.get(order_id=order["id"])
    assert (invoice.total, invoice.tax_total) == (Decimal("53.55"), Decimal("8.55"))
    assert list(invoice.lines.order_by("position").values_list("product_id", "quantity", "tax_amount")) == [
        (a.pk, 3, Decimal("5.13")), (c.pk, 4, Decimal("3.42"))]
    # and one history row and one order.amended event carry the lines before and after
    row = OrderEvent.objects.filter(order_id=order["id"]).last()
    assert row is not None and (row.kind, row.reason) == ("amended", "customer called")
    assert row.data == {"lines_before": [{"product_id": a.pk, "quantity": 2}, {"product_id": b.pk, "quantity": 1}],
                        "lines_after": [{"product_id": a.pk, "quantity": 3}, {"product_id": c.pk, "quantity": 4}]}
    event = Event.objects.filter(type="order.amended", object_id=order["id"]).get()
    assert quantities(event.data["object"]) == [(a.pk, 3), (c.pk, 4)]
    assert quantities(event.data["previous_attributes"]) == [(a.pk, 2), (b.pk, 1)]


def test_down_releases_to_the_warehouse_it_came_from_and_unnamed_lines_stay(sales_api: APIClient) -> None:
    # given a confirmed order of 5 A (3 from EAST, 2 from WEST) and 1 B
    east, west = warehouse("EAST", 10), warehouse("WEST", 20)
    a, b = ProductFactory(stock=0), ProductFactory(stock=4)
    place_stock(a, east, 3)
    place_stock(a, west, 4)
    order = OrderFactory(lines=[(a, 5), (b, 1)], status="confirmed")
    # when A goes down to 2 (B not named)
    response = sales_api.post(amend_url(order.pk), amendment((a.pk, 2)), format="json")
    # then the 3 released come back from the latest allocation first (2 to WEST, 1 to EAST)
    assert response.status_code == 200, response.content
    assert quantities(response.json()) == [(a.pk, 2), (b.pk, 1)]
    assert (held(a.pk, east.pk), held(a.pk, west.pk)) == (1, 4)
    assert list(OrderLineAllocation.objects.filter(line__product_id=a.pk).values_list("warehouse_id", "quantity")) \
        == [(east.pk, 2)]
    assert_ledgers_hold()


def test_an_amendment_naming_nothing_new_changes_nothing(sales_api: APIClient) -> None:
    order = OrderFactory(status="confirmed")
    line = order.lines.get()
    before = everything()
    response = sales_api.post(amend_url(order.pk), amendment((line.product_id, line.quantity)), format="json")
    assert response.status_code == 200, response.content
    assert everything() == before


@pytest.mark.parametrize("status", ["draft", "shipped", "delivered", "closed", "cancelled"])
def test_an_order_not_confirmed_nor_processing_is_refused(sales_api: APIClient, status: str) -> None:
    order = OrderFactory(status=status)
    line = order.lines.get()
    before = everything()
    response = sales_api.post(amend_url(order.pk), amendment((line.product_id, 1)), format="json")
    assert assert_problem(response, 409, "order_not_amendable")["current_status"] == status
    assert everything() == before


def test_short_stock_is_refused_changing_nothing(sales_api: APIClient) -> None:
    # given a confirmed order of 2 A (stock 10: 8 left) and a product B with 1 in stock
    order = OrderFactory(status="confirmed")
    line = order.lines.get()
    b = ProductFactory(stock=1)
    before = everything()
    # when A is asked up to 11 and B added at 2
    response = sales_api.post(amend_url(order.pk), amendment((line.product_id, 11), (b.pk, 2)), format="json")
    # then both are named short and nothing changed
    body = assert_problem(response, 422, "insufficient_stock")
    assert sorted(short["product_id"] for short in body["lines"]) == sorted([line.product_id, b.pk])
    assert everything() == before


def test_an_issued_invoice_is_refused_changing_nothing(sales_api: APIClient) -> None:
    # given a confirmed order whose invoice was issued
    order = OrderFactory(status="confirmed")
    invoice = Invoice.objects.get(order=order)
    from billing import services as billing_services
    billing_services.invoice_issue(invoice_id=invoice.pk, actor=None)
    line = order.lines.get()
    before = everything()
    # when it is amended, then 409 invoice_issued says to void or credit it first, and nothing changed
    response = sales_api.post(amend_url(order.pk), amendment((line.product_id, 3)), format="json")
    body = assert_problem(response, 409, "invoice_issued")
    assert "Void it (or credit it) first" in body["detail"]
    assert everything() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"lines": [], "reason": "x"}, "lines"),
    ({"lines": [{"product_id": "prd_X", "quantity": -1}], "reason": "x"}, "lines[0].quantity"),
    ({"lines": [{"product_id": "prd_X", "quantity": 1}]}, "reason"),
    ({"lines": [{"product_id": "prd_X", "quantity": 1}], "reason": "  "}, "reason"),
])
def test_bad_bodies_are_400_naming_the_field(sales_api: APIClient, body: dict[str, Any], field: str) -> None:
    order = OrderFactory(status="confirmed")
    before = everything()
    problem = assert_problem(sales_api.post(amend_url(order.pk), body, format="json"), 400, "validation_error")
    assert field in {error["field"] for error in problem["errors"]}
    assert everything() == before


def test_a_repeated_or_unknown_product_is_400_naming_the_line(sales_api: APIClient) -> None:
    order = OrderFactory(status="confirmed")
    line = order.lines.get()
    before = everything()
    twice = amendment((line.product_id, 3), (line.product_id, 4))
    problem = assert_problem(sales_api.post(amend_url(order.pk), twice, format="json"), 400, "validation_error")
    assert [error["field"] for error in problem["errors"]] == ["lines[1].product_id"]
    unknown = amendment((line.product_id, 3), ("prd_NOPE", 1))
    problem = assert_problem(sales_api.post(amend_url(order.pk), unknown, format="json"), 400, "validation_error")
    assert [error["field"] for error in problem["errors"]] == ["lines[1].product_id"]
    assert everything() == before


def test_removing_every_line_is_400_cancel_instead(sales_api: APIClient) -> None:
    order = OrderFactory(status="confirmed")
    line = order.lines.get()
    before = everything()
    problem = assert_problem(sales_api.post(amend_url(order.pk), amendment((line.product_id, 0)), format="json"),
                             400, "validation_error")
    assert [error["field"] for error in problem["errors"]] == ["lines"]
    assert everything() == before


def test_a_role_without_the_permission_is_refused(warehouse_api: APIClient) -> None:
    order = OrderFactory(status="confirmed")
    line = order.lines.get()
    before = everything()
    response = warehouse_api.post(amend_url(order.pk), amendment((line.product_id, 3)), format="json")
    assert response.status_code == 403, response.content
    assert everything() == before


def test_a_processing_order_partly_shipped_cannot_go_below_what_shipped(
    sales_api: APIClient, warehouse_api: APIClient,
) -> None:
    # given a processing order of 2 A (EAST) and 3 B (WEST) of which 2 B shipped from WEST
    order, _east, west, a, b = two_warehouse_order()
    shipped = warehouse_api.post(order_shipments_url(order.pk), shipment_body(west.pk, (b, 2)), format="json")
    assert shipped.status_code == 201, shipped.content
    before = everything()
    # when B is asked down to 1, then 422 names it and nothing changed
    response = sales_api.post(amend_url(order.pk), amendment((b, 1), (a, 1)), format="json")
    body = assert_problem(response, 422, "amendment_below_shipped")
    assert body["lines"] == [{"product_id": b, "sku": "SHP-B", "requested": 1, "shipped": 2}]
    assert everything() == before
    # and down to what shipped is accepted: the unshipped unit goes back to WEST
    response = sales_api.post(amend_url(order.pk), amendment((b, 2)), format="json")
    assert response.status_code == 200, response.content
    assert held(b, west.pk) == 3
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING
    assert_ledgers_hold()


def test_the_service_checks_the_permission_first() -> None:
    from django.contrib.auth.models import User

    from synthesq.core.errors import PermissionRefused
    # given an order and a user with no role; when they send even an empty amendment, then it is a 403, not a 400
    order = OrderFactory(status="confirmed")
    nobody = User.objects.create(username="nobody")
    with pytest.raises(PermissionRefused):
        services.order_amend(order_id=order.pk, lines=[], reason="", actor=nobody)
