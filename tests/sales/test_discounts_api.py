"""Line and order discounts (issue 23): who may give how much, spread over the lines before tax so every rate's
taxable base falls by exactly its share, and the worked example of PrestaShop #25145."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from integrations.models import Event
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, PromotionCodeFactory
from tests.taxes.helpers import BERLIN, assert_adds_up, rate, tax_settings

from .helpers import ORDERS_URL, db_state, order_payload, order_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_api(client_for: Callable[..., APIClient]) -> APIClient:
    """A seller who is also in finance (finance alone does not create orders): no discount limit."""
    return client_for("sales", "finance")


def _body(lines: list[tuple[Any, int, dict[str, Any] | None]], **extra: Any) -> dict[str, Any]:
    body = order_payload(CustomerFactory().pk, [(product.pk, quantity) for product, quantity, _ in lines],
                         address=BERLIN)
    for item, (_, _, discount) in zip(body["line_items"], lines, strict=True):
        if discount is not None:
            item["discount"] = discount
    return {**body, **extra}


def test_prestashop_25145_eight_percent_off_at_twenty_percent_document_rounding(finance_api: APIClient) -> None:
    # given 20 % tax on the standard class, document rounding, and the report's two products
    rate("20", name="VAT 20%")
    tax_settings(rounding="document")
    a, b = ProductFactory(price="2.74"), ProductFactory(price="3.36")
    # when 20 x 2.74 and 50 x 3.36 are ordered with an 8 % order discount
    response = finance_api.post(ORDERS_URL, _body([(a, 20, None), (b, 50, None)],
                                                  discount={"type": "percent", "value": "8"}), format="json")
    # then by hand: 54.80 + 168.00 = 222.80; 8 % = 17.824 -> 17.82, spread 54.80 : 168.00 -> 4.38 and 13.44;
    # nets 50.42 and 154.56 (204.98); tax at 20 % on 204.98 = 40.996 -> 41.00, the report's expected figure
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["discount"] == {"type": "percent", "value": "8", "reason": "", "amount": "17.82"}
    assert [line["order_discount_amount"] for line in order["line_items"]] == ["4.38", "13.44"]
    assert [line["net_amount"] for line in order["line_items"]] == ["50.42", "154.56"]
    assert (order["subtotal"], order["tax_total"], order["total"]) == ("204.98", "41.00", "245.98")
    assert order["taxes"][0]["taxable_amount"] == "204.98"
    assert_adds_up(order)


def test_sales_may_not_give_twenty_percent_when_the_limit_is_fifteen(sales_api: APIClient,
                                                                     finance_api: APIClient) -> None:
    # given a product and the default limit (15 %)
    product = ProductFactory(price="100.00")
    body = _body([(product, 1, {"type": "percent", "value": "20", "reason": "loyal customer"})])
    before = db_state()
    # when sales gives 20 % on a line
    refused = sales_api.post(ORDERS_URL, body, format="json")
    # then 403 with a stable code naming the line, and nothing changed
    assert refused.status_code == 403, refused.content
    problem = refused.json()
    assert (problem["code"], problem["field"], problem["percent"], problem["limit"]) == (
        "discount_limit_exceeded", "line_items[0].discount", "20.00", "15")
    assert db_state() == before
    # and finance may
    allowed = finance_api.post(ORDERS_URL, body, format="json")
    assert allowed.status_code == 201, allowed.content
    line = allowed.json()["line_items"][0]
    assert line["discount"] == {"type": "percent", "value": "20", "reason": "loyal customer", "amount": "20.00"}
    assert allowed.json()["total"] == "80.00"


def test_sales_gives_up_to_the_limit_and_an_order_discount_beyond_it_is_refused(sales_api: APIClient) -> None:
    # given a product; sales gives 15 % on its line
    product = ProductFactory(price="10.00")
    made = sales_api.post(ORDERS_URL, _body([(product, 3, {"type": "amount", "value": "4.50"})]), format="json")
    assert made.status_code == 201, made.content
    assert made.json()["line_items"][0]["discount"]["amount"] == "4.50"
    # when an order discount of 5.00 of the 25.50 left (19.6 %) is PATCHed, it is refused, nothing changed
    before = db_state()
    refused = sales_api.patch(order_url(made.json()["id"]), {"discount": {"type": "amount", "value": "5.00"}},
                              format="json")
    assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
        403, "discount_limit_exceeded", "discount")
    assert db_state() == before


def test_an_order_discount_is_spread_before_tax_and_charges_are_not_discounted(finance_api: APIClient) -> None:
    # given 19 % and 7 % classes and a shipping charge
    rate("19", name="USt 19%")
    rate("7", tax_class="reduced", name="USt 7%")
    standard, reduced = ProductFactory(price="100.00"), ProductFactory(price="50.00", tax_class_id="reduced")
    body = _body([(standard, 1, None), (reduced, 1, None)], discount={"type": "amount", "value": "30.00"},
                 charges=[{"kind": "shipping", "amount": "10.00"}])
    # when 30.00 off is given on 150.00 of lines
    order = finance_api.post(ORDERS_URL, body, format="json").json()
    # then the lines take 20.00 and 10.00, each rate's base falls by its share, the charge keeps its 10.00
    assert [line["order_discount_amount"] for line in order["line_items"]] == ["20.00", "10.00"]
    taxes = {row["name"]: (row["taxable_amount"], row["tax_amount"]) for row in order["taxes"]}
    assert taxes == {"USt 19%": ("90.00", "17.10"), "USt 7%": ("40.00", "2.80")}
    assert (order["subtotal"], order["charges_total"], order["discount_total"]) == ("120.00", "10.00", "30.00")
    assert_adds_up(order)


def test_a_code_and_an_order_discount_show_separately(finance_api: APIClient) -> None:
    # given a 10 % code and a draft with a 5.00 order discount
    PromotionCodeFactory(code="TEN")
    order = OrderFactory(unit_price=Decimal("50.00"))
    # when both are set by PATCH
    body = finance_api.patch(order_url(order.pk), {"promotion_code": "TEN",
                                                   "discount": {"type": "amount", "value": "5.00"}},
                             format="json").json()
    # then the order's own comes first (5.00 of 100.00), the code's 10 % of what is left (9.50)
    assert body["discount"]["amount"] == "5.00"
    assert (body["promotion_code"], body["promotion_discount"], body["discount_total"]) == ("TEN", "9.50", "14.50")
    assert body["total"] == "85.50"


def test_the_invoice_and_the_events_show_the_orders_discounts(finance_api: APIClient, settings: Any) -> None:
    # given a draft with a line discount, an order discount and a code, events on
    settings.EVENTS_ENABLED = True
    PromotionCodeFactory(code="TEN")
    product = ProductFactory(price="40.00", stock=10)
    body = _body([(product, 2, {"type": "percent", "value": "5", "reason": "key account"})],
                 discount={"type": "amount", "value": "6.00"}, promotion_code="TEN")
    order = finance_api.post(ORDERS_URL, body, format="json").json()
    # when it is confirmed
    confirmed = finance_api.patch(f"{order_url(order['id'])}/status", {"status": "confirmed"}, format="json").json()
    invoice = finance_api.get("/api/v1/sales/invoices", {"order_id": order["id"]}).json()["results"][0]
    # then 80.00 - 4.00 (5 %) - 6.00 - 7.00 (10 % of 70.00) = 63.00, on the order and on its invoice alike
    assert (confirmed["discount_total"], confirmed["total"]) == ("17.00", "63.00")
    for document in (confirmed, invoice):
        assert (document["promotion_code"], document["promotion_discount"]) == ("TEN", "7.00")
        assert document["discount"] == {"type": "amount", "value": "6.00", "reason": "", "amount": "6.00"}
        line = document["line_items"][0]
        assert (line["list_price"], line["order_discount_amount"], line["net_amount"]) == ("40.00", "13.00",
                                                                                            "63.00")
        assert line["discount"] == {"type": "percent", "value": "5", "reason": "key account", "amount": "4.00"}
    # and the events carry the same figures
    event = Event.objects.get(type="order.confirmed", object_id=order["id"])
    assert event.data["object"]["discount_total"] == "17.00"
    assert event.data["object"]["line_items"][0]["discount"]["amount"] == "4.00"
