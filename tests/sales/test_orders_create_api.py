"""Orders API, drafts: POST /api/v1/sales/orders (pricing, validation, Idempotency-Key), GET one,
PATCH a draft (line items, shipping address)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from sales.models import Order, OrderEvent, OrderLine
from synthesq.core.models import IdempotencyKey
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import assert_problem, error_fields

from .helpers import (
    GUIDE_ADDRESS,
    LINE_FIELDS,
    ORDER_FIELDS,
    ORDERS_URL,
    STATUSES,
    db_state,
    line_field,
    order_payload,
    order_url,
)

pytestmark = pytest.mark.django_db

ORDER_NUMBER = re.compile(r"^SO-\d{8}$")



def _number(order_number: str) -> int:
    return int(order_number.removeprefix("SO-"))


# --- create ---------------------------------------------------------------------------------------------


def test_create_with_the_guide_body_returns_a_draft(sales_api: APIClient) -> None:
    # given a customer and a product with stock
    customer = CustomerFactory()
    product = ProductFactory(stock=10, price=Decimal("150.00"))
    payload = order_payload(customer.pk, [(product.pk, 2, 129.99)], address=GUIDE_ADDRESS)
    # when the guide's body is posted
    response = sales_api.post(ORDERS_URL, payload, format="json")
    # then a draft is returned with every field
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ORDER_FIELDS
    assert body["id"].startswith("ord_")
    assert ORDER_NUMBER.match(body["order_number"]), body["order_number"]
    assert body["status"] == "draft"
    assert body["customer_id"] == customer.pk
    assert body["currency"] == "USD"
    assert body["shipping_address"] == GUIDE_ADDRESS
    assert len(body["line_items"]) == 1
    line = body["line_items"][0]
    assert set(line) == LINE_FIELDS
    assert line == {"product_id": product.pk, "sku": product.sku, "name": product.name, "quantity": 2,
                    "unit_price": "129.99", "line_total": "259.98", "returned_quantity": 0, "tax_class": "standard",
                    "tax_rate": "0.0000", "net_amount": "259.98", "tax_amount": "0.00", "gross_amount": "259.98",
                    "taxes": [], "allocations": [], "list_price": "150.00", "price_list_id": None, "discount": None,
                    "order_discount_amount": "0.00"}
    assert (body["subtotal"], body["total"]) == ("259.98", "259.98")
    assert body["created_at"] and body["updated_at"]
    assert body["confirmed_at"] is None and body["cancelled_at"] is None
    assert (body["tracking_number"], body["carrier"], body["cancellation_reason"]) == ("", "", "")
    assert body["returns"] == []
    # and the caller (sales) may confirm or cancel it
    assert body["allowed_statuses"] == ["confirmed", "cancelled"]
    assert response["Location"] == order_url(body["id"])
    # and it is stored as returned, with its creation in the history and no stock reserved
    order = Order.objects.get(pk=body["id"])
    assert (order.status, order.total, order.created_by_id) == ("draft", Decimal("259.98"), sales_api.user.pk)
    assert list(order.events.values_list("kind", "to_status")) == [("created", "draft")]
    product.refresh_from_db()
    assert product.stock_quantity == 10
    # and reading it back gives the same representation
    assert sales_api.get(order_url(body["id"])).json() == body


def test_order_numbers_are_unique_and_gap_free_even_after_refused_creates(sales_api: APIClient) -> None:
    # given a customer and a product
    customer = CustomerFactory()
    product = ProductFactory(stock=5)
    good = order_payload(customer.pk, [(product.pk, 1)])
    bad = order_payload(customer.pk, [("prod_unknown", 1)])
    no_address = order_payload(CustomerFactory(no_address=True).pk, [(product.pk, 1)])
    # when orders are created with refused requests in between
    numbers = []
    for payload in (good, bad, good, no_address, good):
        response = sales_api.post(ORDERS_URL, payload, format="json")
        if response.status_code == 201:
            numbers.append(response.json()["order_number"])
        else:
            assert response.status_code == 400, response.content
    # then the three orders have consecutive numbers: refused requests used none
    assert len(set(numbers)) == 3
    first = _number(numbers[0])
    assert [_number(n) for n in numbers] == [first, first + 1, first + 2]


def test_unit_price_is_kept_as_sent_and_defaults_to_the_product_price(sales_api: APIClient) -> None:
    # given two products with their own prices
    customer = CustomerFactory()
    cheap = ProductFactory(price=Decimal("10.00"))
    dear = ProductFactory(price=Decimal("250.50"))
    # when one line names a price and the other does not
    payload = order_payload(customer.pk, [(cheap.pk, 3, "7.25"), (dear.pk, 2)])
    response = sales_api.post(ORDERS_URL, payload, format="json")
    # then the named price is kept, the other is the product's, in line order
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(li["product_id"], li["unit_price"], li["line_total"]) for li in body["line_items"]] == [
        (cheap.pk, "7.25", "21.75"), (dear.pk, "250.50", "501.00"),
    ]
    assert (body["subtotal"], body["total"]) == ("522.75", "522.75")
    # and later catalogue price changes do not change the order
    type(dear).objects.filter(pk=dear.pk).update(price=Decimal("1.00"), name="Renamed")
    again = sales_api.get(order_url(body["id"])).json()
    assert again["line_items"][1]["unit_price"] == "250.50"
    assert again["line_items"][1]["name"] == dear.name


def test_jpy_order_has_no_decimals(sales_api: APIClient) -> None:
    product = ProductFactory(jpy=True)
    response = sales_api.post(ORDERS_URL, order_payload(CustomerFactory().pk, [(product.pk, 3)], currency="JPY"),
                              format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["line_items"][0]["unit_price"] == "1300"
    assert body["total"] == "3900"


def test_product_in_another_currency_without_a_price_is_422_currency_mismatch(sales_api: APIClient) -> None:
    # given a EUR order naming a USD product without a price
    customer = CustomerFactory()
    usd = ProductFactory()
    eur = ProductFactory(currency="EUR", price=Decimal("5.00"))
    before = db_state()
    payload = order_payload(customer.pk, [(eur.pk, 1), (usd.pk, 1)], currency="EUR")
    response = sales_api.post(ORDERS_URL, payload, format="json")
    # then it is refused naming the line, and nothing is created
    body = assert_problem(response, 422, "currency_mismatch")
    assert body["order_currency"] == "EUR"
    assert body["lines"] == [{"line": 1, "product_id": usd.pk, "product_currency": "USD"}]
    assert db_state() == before
    # while with an explicit price in the order's currency it is accepted as sent
    payload["line_items"][1]["unit_price"] = "99.00"
    response = sales_api.post(ORDERS_URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert [li["unit_price"] for li in response.json()["line_items"]] == ["5.00", "99.00"]


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "two", None, True])
def test_quantity_must_be_a_positive_integer(sales_api: APIClient, quantity: Any) -> None:
    customer = CustomerFactory()
    products = ProductFactory.create_batch(2)
    before = db_state()
    payload = order_payload(customer.pk, [(products[0].pk, 1), (products[1].pk, 1)])
    payload["line_items"][1]["quantity"] = quantity
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json"), 400, "validation_error")
    assert [f for f in error_fields(body) if line_field(f, 1, "quantity")], body
    assert db_state() == before


@pytest.mark.parametrize(("index", "change", "name"), [(1, {"quantity": 0}, "quantity"),
                                                       (0, {"unit_price": "-1"}, "unit_price")])
def test_serializer_line_errors_use_the_bracket_form(
    sales_api: APIClient, index: int, change: dict, name: str
) -> None:
    # given an order whose line fails the request's own field checks (not the catalogue checks)
    payload = order_payload(CustomerFactory().pk, [(ProductFactory().pk, 1), (ProductFactory().pk, 1)])
    payload["line_items"][index].update(change)
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json"), 400, "validation_error")
    # then the field is named like the catalogue errors are: line_items[i].name
    assert error_fields(body) == [f"line_items[{index}].{name}"]


@pytest.mark.parametrize("kind", ["unknown", "inactive", "has_variants"])
def test_unorderable_product_is_400_naming_the_line(sales_api: APIClient, kind: str) -> None:
    # given a good product and a product that cannot be ordered
    customer = CustomerFactory()
    good = ProductFactory(stock=5)
    if kind == "unknown":
        bad_id = "prod_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    elif kind == "inactive":
        bad_id = ProductFactory(inactive=True, stock=5).pk
    else:
        parent = ProductFactory()
        ProductFactory(parent=parent, stock=5)
        bad_id = parent.pk
    before = db_state()
    # when it is the second line of an order
    response = sales_api.post(ORDERS_URL, order_payload(customer.pk, [(good.pk, 1), (bad_id, 1)]), format="json")
    # then the request is refused naming that line, and nothing is created
    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == ["line_items[1].product_id"]
    assert body["errors"][0]["code"] == ("not_found" if kind == "unknown" else kind)
    assert db_state() == before


def test_a_variant_can_be_ordered(sales_api: APIClient) -> None:
    parent = ProductFactory()
    variant = ProductFactory(parent=parent, stock=5)
    response = sales_api.post(ORDERS_URL, order_payload(CustomerFactory().pk, [(variant.pk, 1)]), format="json")
    assert response.status_code == 201, response.content


def test_every_bad_line_is_named(sales_api: APIClient) -> None:
    customer = CustomerFactory()
    good = ProductFactory()
    inactive = ProductFactory(inactive=True)
    before = db_state()
    payload = order_payload(customer.pk, [("prod_nope", 1), (good.pk, 1), (inactive.pk, 1)])
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json"), 400, "validation_error")
    assert error_fields(body) == ["line_items[0].product_id", "line_items[2].product_id"]
    assert db_state() == before


@pytest.mark.parametrize("customer_id", ["cust_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", ""])
def test_unknown_customer_is_400_naming_customer_id(sales_api: APIClient, customer_id: str) -> None:
    product = ProductFactory()
    before = db_state()
    response = sales_api.post(ORDERS_URL, order_payload(customer_id, [(product.pk, 1)]), format="json")
    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == ["customer_id"]
    assert db_state() == before


@pytest.mark.parametrize("line_items", [[], None, "missing"])
def test_order_without_lines_is_400(sales_api: APIClient, line_items: Any) -> None:
    payload = order_payload(CustomerFactory().pk, [])
    if line_items == "missing":
        del payload["line_items"]
    else:
        payload["line_items"] = line_items
    before = db_state()
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json"), 400, "validation_error")
    assert error_fields(body) == ["line_items"]
    assert db_state() == before


def test_shipping_address_defaults_to_the_customers(sales_api: APIClient) -> None:
    # given a customer with a default address
    customer = CustomerFactory()
    product = ProductFactory()
    # when an order is posted without one
    response = sales_api.post(ORDERS_URL, order_payload(customer.pk, [(product.pk, 1)]), format="json")
    # then the customer's default is used
    assert response.status_code == 201, response.content
    assert response.json()["shipping_address"] == customer.default_shipping_address
    # and an address that is sent wins over the default
    other = {"line1": "9 Dock Rd", "city": "Oslo", "country": "no"}
    response = sales_api.post(ORDERS_URL, order_payload(customer.pk, [(product.pk, 1)], address=other),
                              format="json")
    assert response.status_code == 201, response.content
    assert response.json()["shipping_address"] == {**other, "country": "NO"}


@pytest.mark.parametrize("address", ["omitted", None])
def test_no_address_at_all_is_400_naming_shipping_address(sales_api: APIClient, address: Any) -> None:
    customer = CustomerFactory(no_address=True)
    payload = order_payload(customer.pk, [(ProductFactory().pk, 1)])
    if address is None:
        payload["shipping_address"] = None
    before = db_state()
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json"), 400, "validation_error")
    assert error_fields(body) == ["shipping_address"]
    assert db_state() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"currency": None}, "currency"),
        ({"shipping_address": {"city": "Austin", "country": "US"}}, "shipping_address.line1"),
        ({"shipping_address": {**GUIDE_ADDRESS, "country": "USA"}}, "shipping_address.country"),
        ({"unit_prce": 1}, "unit_prce"),
        ({"status": "confirmed"}, "status"),
    ],
)
def test_invalid_body_is_400_naming_the_field(sales_api: APIClient, change: dict, field: str) -> None:
    payload = {**order_payload(CustomerFactory().pk, [(ProductFactory().pk, 1)]), **change}
    before = db_state()
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json"), 400, "validation_error")
    assert field in error_fields(body)
    assert db_state() == before


@pytest.mark.parametrize(("price", "field_ok"), [("-1.00", False), ("1.001", False), ("0", True)])
def test_unit_price_must_fit_the_currency_and_not_be_negative(
    sales_api: APIClient, price: str, field_ok: bool
) -> None:
    payload = order_payload(CustomerFactory().pk, [(ProductFactory().pk, 1, price)])
    before = db_state()
    response = sales_api.post(ORDERS_URL, payload, format="json")
    if field_ok:
        assert response.status_code == 201, response.content
        assert response.json()["total"] == "0.00"
    else:
        body = assert_problem(response, 400, "validation_error")
        assert len(body["errors"]) == 1 and line_field(body["errors"][0]["field"], 0, "unit_price"), body
        assert db_state() == before


# --- read -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order_id", ["ord_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope"])
def test_unknown_order_is_404(sales_api: APIClient, order_id: str) -> None:
    OrderFactory()
    assert_problem(sales_api.get(order_url(order_id)), 404, "not_found")
    assert_problem(sales_api.patch(order_url(order_id), {"shipping_address": GUIDE_ADDRESS}, format="json"),
                   404, "not_found")


def test_get_returns_the_order_with_timestamps_of_its_stages(sales_api: APIClient) -> None:
    order = OrderFactory(status="shipped", line_count=2)
    body = sales_api.get(order_url(order.pk)).json()
    assert body["status"] == "shipped"
    assert body["order_number"] == order.order_number
    assert len(body["line_items"]) == 2
    assert body["confirmed_at"] and body["processing_at"] and body["shipped_at"]
    assert body["delivered_at"] is None and body["closed_at"] is None
    assert (body["tracking_number"], body["carrier"]) == ("1Z999AA10123456784", "UPS")


# --- edit a draft ---------------------------------------------------------------------------------------


def test_patch_line_items_replaces_all_lines_and_recomputes_totals(sales_api: APIClient) -> None:
    # given a draft of two lines
    first, second, third = (ProductFactory(price=Decimal(p)) for p in ("10.00", "20.00", "30.00"))
    order = OrderFactory(lines=[(first, 1), (second, 1)])
    # when its lines are replaced by one line of another product
    response = sales_api.patch(order_url(order.pk), {"line_items": [{"product_id": third.pk, "quantity": 4}]},
                               format="json")
    # then only the new line remains and the totals follow
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(li["product_id"], li["quantity"], li["line_total"]) for li in body["line_items"]] == [
        (third.pk, 4, "120.00"),
    ]
    assert (body["subtotal"], body["total"], body["status"]) == ("120.00", "120.00", "draft")
    assert list(OrderLine.objects.filter(order=order).values_list("product_id", "position")) == [(third.pk, 1)]
    # and the edit is in the history with who made it
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.kind, event.actor_id, event.data["total"]) == ("updated", sales_api.user.pk, "120.00")
    # and the address and number did not change
    order_after = Order.objects.get(pk=order.pk)
    assert (order_after.shipping_address, order_after.order_number) == (order.shipping_address, order.order_number)


def test_patch_shipping_address_only_keeps_the_lines(sales_api: APIClient) -> None:
    order = OrderFactory(line_count=2)
    lines_before = list(OrderLine.objects.filter(order=order).values())
    new_address = {"line1": "1 Main St", "city": "Denver", "state": "CO", "postal_code": "80202", "country": "US"}
    response = sales_api.patch(order_url(order.pk), {"shipping_address": new_address}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["shipping_address"] == new_address
    assert Order.objects.get(pk=order.pk).shipping_address == new_address
    assert list(OrderLine.objects.filter(order=order).values()) == lines_before
    assert Order.objects.get(pk=order.pk).total == order.total


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "draft"])
def test_patch_of_a_non_draft_is_409_order_not_editable(sales_api: APIClient, status: str) -> None:
    # given an order past draft
    order = OrderFactory(status=status)
    other = ProductFactory(stock=10)
    before = db_state()
    # when its lines or address are edited
    for data in ({"line_items": [{"product_id": other.pk, "quantity": 1}]}, {"shipping_address": GUIDE_ADDRESS}):
        body = assert_problem(sales_api.patch(order_url(order.pk), data, format="json"), 409, "order_not_editable")
        assert body["current_status"] == status
    # then nothing changed
    assert db_state() == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, None),
        ({"line_items": []}, "line_items"),
        ({"line_items": [{"product_id": "prod_nope", "quantity": 1}]}, "line_items[0].product_id"),
        ({"line_items": [{"product_id": "{product}", "quantity": 0}]}, "line_items[0].quantity"),
        ({"shipping_address": {"line1": "x"}}, "shipping_address.city"),
        ({"shipping_address": None}, "shipping_address"),
        ({"customer_id": "cust_x"}, "customer_id"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(sales_api: APIClient, data: dict, field: str | None) -> None:
    order = OrderFactory()
    if data.get("line_items"):
        data["line_items"][0]["product_id"] = data["line_items"][0]["product_id"].replace(
            "{product}", ProductFactory().pk)
    before = db_state()
    body = assert_problem(sales_api.patch(order_url(order.pk), data, format="json"), 400, "validation_error")
    if field == "line_items[0].quantity":
        assert any(line_field(f, 0, "quantity") for f in error_fields(body)), body
    else:
        assert field in error_fields(body)
    assert db_state() == before


# --- Idempotency-Key ------------------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_response(sales_api: APIClient) -> None:
    # given an order created with an Idempotency-Key
    payload = order_payload(CustomerFactory().pk, [(ProductFactory(stock=5).pk, 2)])
    first = sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == 201, first.content
    assert not first.has_header("Idempotent-Replayed")
    before = db_state()
    # when the same request is sent again with the same key
    again = sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    # then the first response is replayed and nothing is created
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert db_state() == before
    assert Order.objects.count() == 1


def test_same_key_with_another_body_is_422_idempotency_key_reused(sales_api: APIClient) -> None:
    product = ProductFactory(stock=5)
    payload = order_payload(CustomerFactory().pk, [(product.pk, 2)])
    assert sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1").status_code == 201
    before = db_state()
    payload["line_items"][0]["quantity"] = 3
    response = sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert_problem(response, 422, "idempotency_key_reused")
    assert db_state() == before


def test_keys_are_scoped_per_user(client_for: Callable[..., APIClient]) -> None:
    # given two sales users sending the same body with the same key
    alice, bob = client_for("sales"), client_for("sales")
    payload = order_payload(CustomerFactory().pk, [(ProductFactory(stock=5).pk, 1)])
    first = alice.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    second = bob.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    # then each gets its own order
    assert (first.status_code, second.status_code) == (201, 201)
    assert not second.has_header("Idempotent-Replayed")
    assert first.json()["id"] != second.json()["id"]
    assert Order.objects.count() == 2
    assert set(Order.objects.values_list("created_by_id", flat=True)) == {alice.user.pk, bob.user.pk}


def test_a_refused_request_does_not_use_up_its_key(sales_api: APIClient) -> None:
    # given a request refused for its body
    product = ProductFactory(stock=5)
    payload = order_payload(CustomerFactory().pk, [(product.pk, 0)])
    assert sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert IdempotencyKey.objects.count() == 0
    # when the corrected request is sent with the same key
    payload["line_items"][0]["quantity"] = 1
    response = sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    # then it creates the order
    assert response.status_code == 201, response.content
    assert not response.has_header("Idempotent-Replayed")
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\nkey"])
def test_malformed_key_is_400(sales_api: APIClient, key: str) -> None:
    payload = order_payload(CustomerFactory().pk, [(ProductFactory(stock=5).pk, 1)])
    before = db_state()
    body = assert_problem(sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key), 400,
                          "validation_error")
    assert error_fields(body) == ["Idempotency-Key"]
    assert db_state() == before


def test_a_trailing_slash_does_not_dodge_the_idempotency_key(sales_api: APIClient) -> None:
    # given an order created with a key
    payload = order_payload(CustomerFactory().pk, [(ProductFactory(stock=5).pk, 1)])
    first = sales_api.post(ORDERS_URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="slash-1")
    # when the same request is retried at the same URL spelt with a trailing slash
    again = sales_api.post(ORDERS_URL + "/", payload, format="json", HTTP_IDEMPOTENCY_KEY="slash-1")
    # then it is the same endpoint: the first response is replayed and no second order exists
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
