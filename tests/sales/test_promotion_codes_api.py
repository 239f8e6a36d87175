"""Promotion codes (issue 23): managed by finance, taken by drafts in the body or a PATCH, refused with a stable
code and nothing changed, counted at confirmation and given back on cancel."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sales.pricing_models import PromotionCode
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, PromotionCodeFactory

from .helpers import ORDERS_URL, db_state, order_payload, order_url, status_url

pytestmark = pytest.mark.django_db
CODES_URL = "/api/v1/sales/promotion-codes"


def _draft(api: APIClient, code: str | None, lines: list[tuple[Any, int]], **extra: Any) -> Any:
    body = order_payload(CustomerFactory().pk if "customer" not in extra else extra.pop("customer").pk,
                         [(product.pk, quantity) for product, quantity in lines])
    if code is not None:
        body["promotion_code"] = code
    body.update(extra)
    return api.post(ORDERS_URL, body, format="json")


def _codes() -> list[dict[str, Any]]:
    return list(PromotionCode.objects.order_by("id").values())


def test_finance_creates_a_code_and_sales_reads_it(finance_api: APIClient, sales_api: APIClient) -> None:
    # given a product
    product = ProductFactory()
    # when finance creates an amount code limited to it
    body = {"code": "Welcome5", "discount": {"type": "amount", "value": "5.00", "currency": "USD"},
            "min_subtotal": {"USD": "20.00"}, "products": [product.pk], "usage_limit": 10,
            "usage_limit_per_customer": 1}
    response = finance_api.post(CODES_URL, body, format="json")
    # then it is created with what was sent, and sales may read it
    assert response.status_code == 201, response.content
    code = response.json()
    assert code["id"].startswith("promo_")
    assert code["discount"] == {"type": "amount", "value": "5.00", "currency": "USD"}
    assert (code["min_subtotal"], code["products"], code["times_used"]) == ({"USD": "20.00"}, [product.pk], 0)
    assert sales_api.get(f"{CODES_URL}/{code['id']}").json() == code
    # and the same code in another case is a 409, nothing created
    again = finance_api.post(CODES_URL, {**body, "code": "WELCOME5"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "promotion_code_taken")
    assert PromotionCode.objects.count() == 1


def test_sales_may_not_create_a_code(sales_api: APIClient) -> None:
    response = sales_api.post(CODES_URL, {"code": "X", "discount": {"type": "percent", "value": "5"}}, format="json")
    assert response.status_code == 403
    assert not PromotionCode.objects.exists()


def test_a_percent_code_takes_its_discount_off_the_order(sales_api: APIClient) -> None:
    # given a 10 % code and two products
    PromotionCodeFactory(code="SAVE10")
    a, b = ProductFactory(price="10.00"), ProductFactory(price="3.33")
    # when a draft of 2 x 10.00 and 3 x 3.33 takes it, typed in another case
    response = _draft(sales_api, "save10", [(a, 2), (b, 3)])
    # then 10 % of 29.99 (3.00) is spread over the lines in proportion to their totals
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["promotion_code"], order["promotion_discount"], order["discount_total"]) == ("SAVE10", "3.00",
                                                                                                "3.00")
    assert [line["order_discount_amount"] for line in order["line_items"]] == ["2.00", "1.00"]
    assert (order["subtotal"], order["total"]) == ("26.99", "26.99")


@pytest.mark.parametrize(("setup", "code"), [
    ({}, "promotion_code_invalid"),
    ({"active": False}, "promotion_code_invalid"),
    ({"valid_to": -1}, "promotion_code_expired"),
    ({"valid_from": 1}, "promotion_code_expired"),
    ({"usage_limit": 1, "times_used": 1}, "promotion_code_exhausted"),
    ({"min_subtotal": {"USD": "1000.00"}}, "promotion_code_not_applicable"),
    ({"limited": True}, "promotion_code_not_applicable"),
    ({"discount_type": "amount", "discount_value": Decimal("5"), "currency": "EUR"}, "currency_mismatch"),
])
def test_a_refused_code_changes_nothing(sales_api: APIClient, setup: dict[str, Any], code: str) -> None:
    # given a code in the given state (none at all for the first case)
    product = ProductFactory(price="10.00")
    if setup:
        now = timezone.now()
        fields = {**setup}
        for bound in ("valid_from", "valid_to"):
            if bound in fields:
                fields[bound] = now + timedelta(days=fields[bound])
        if fields.pop("limited", False):
            fields["products"] = [ProductFactory()]
        PromotionCodeFactory(code="PROMO", **fields)
    customer = CustomerFactory()
    before, codes = db_state(), _codes()
    # when a draft names it
    response = _draft(sales_api, "PROMO", [(product, 2)], customer=customer)
    # then it is refused with the code's problem, and nothing changed
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["promotion_code"].upper()) == (code, "PROMO")
    assert db_state() == before and _codes() == codes


def test_uses_are_counted_at_confirmation_and_given_back_on_cancel(sales_api: APIClient) -> None:
    # given a code good for one use and a draft carrying it
    code = PromotionCodeFactory(code="ONCE", usage_limit=1)
    product = ProductFactory(price="10.00", stock=10)
    first = _draft(sales_api, "ONCE", [(product, 1)]).json()
    second = _draft(sales_api, "ONCE", [(product, 1)]).json()
    assert PromotionCode.objects.get(pk=code.pk).times_used == 0  # drafts do not count
    # when the first confirms, the code is used
    assert sales_api.patch(status_url(first["id"]), {"status": "confirmed"}, format="json").status_code == 200
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1
    # then the second, taken while a use was left, cannot be confirmed (nothing changed) ...
    before = db_state()
    refused = sales_api.patch(status_url(second["id"]), {"status": "confirmed"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (422, "promotion_code_exhausted")
    assert db_state() == before
    # ... and no new draft may take it
    assert _draft(sales_api, "ONCE", [(product, 1)]).json()["code"] == "promotion_code_exhausted"
    # until the first is cancelled, which gives the use back
    assert sales_api.patch(status_url(first["id"]), {"status": "cancelled"}, format="json").status_code == 200
    assert PromotionCode.objects.get(pk=code.pk).times_used == 0
    assert sales_api.patch(status_url(second["id"]), {"status": "confirmed"}, format="json").status_code == 200
    assert PromotionCode.objects.get(pk=code.pk).times_used == 1


def test_a_draft_whose_code_ran_out_confirms_once_the_code_is_removed(sales_api: APIClient) -> None:
    # given a draft with a code that another order used up
    PromotionCodeFactory(code="LAST", usage_limit=1)
    product = ProductFactory(price="10.00", stock=10)
    draft = _draft(sales_api, "LAST", [(product, 1)]).json()
    other = _draft(sales_api, "LAST", [(product, 1)]).json()
    sales_api.patch(status_url(other["id"]), {"status": "confirmed"}, format="json")
    # when its code is removed by a PATCH
    patched = sales_api.patch(order_url(draft["id"]), {"promotion_code": None}, format="json")
    # then it shows no discount and confirms
    assert patched.status_code == 200, patched.content
    assert (patched.json()["promotion_code"], patched.json()["total"]) == (None, "10.00")
    assert sales_api.patch(status_url(draft["id"]), {"status": "confirmed"}, format="json").status_code == 200


def test_a_patch_adds_a_code_and_a_refused_patch_changes_nothing(sales_api: APIClient) -> None:
    # given a draft without code, a 20 % code and an inactive one
    PromotionCodeFactory(code="TWENTY", discount_value=Decimal("20"))
    PromotionCodeFactory(code="OFF", active=False)
    order = OrderFactory(unit_price=Decimal("50.00"))
    before = db_state()
    # when an inactive code is PATCHed, nothing changes
    refused = sales_api.patch(order_url(order.pk), {"promotion_code": "OFF"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (422, "promotion_code_invalid")
    assert db_state() == before
    # and the 20 % code is taken off the draft's 100.00
    patched = sales_api.patch(order_url(order.pk), {"promotion_code": "twenty"}, format="json").json()
    assert (patched["promotion_code"], patched["promotion_discount"], patched["total"]) == ("TWENTY", "20.00",
                                                                                            "80.00")


@pytest.mark.parametrize(("discount", "extra", "field"), [
    ({"type": "percent", "value": "120"}, {}, "discount.value"),
    ({"type": "amount", "value": "5.001", "currency": "USD"}, {}, "discount.value"),
    ({"type": "amount", "value": "5.00"}, {}, "discount.currency"),
    ({"type": "percent", "value": "5"}, {"min_subtotal": {"XYZ": "5"}}, "min_subtotal"),
    ({"type": "percent", "value": "5"}, {"valid_from": "2026-12-02T00:00:00Z", "valid_to": "2026-12-01T00:00:00Z"},
     "valid_to"),
])
def test_a_bad_code_is_a_400_naming_the_field(finance_api: APIClient, discount: dict[str, Any],
                                              extra: dict[str, Any], field: str) -> None:
    response = finance_api.post(CODES_URL, {"code": "BAD", "discount": discount, **extra}, format="json")
    assert response.status_code == 400, response.content
    assert field in [error["field"] for error in response.json()["errors"]]
    assert not PromotionCode.objects.exists()


def test_a_draft_whose_code_ran_out_still_takes_other_edits(sales_api: APIClient) -> None:
    # given a draft carrying a code another order used up
    PromotionCodeFactory(code="GONE", usage_limit=1)
    product = ProductFactory(price="10.00", stock=10)
    draft = _draft(sales_api, "GONE", [(product, 1)]).json()
    other = _draft(sales_api, "GONE", [(product, 1)]).json()
    assert sales_api.patch(status_url(other["id"]), {"status": "confirmed"}, format="json").status_code == 200
    # when its lines are changed, the code stays with its discount
    patched = sales_api.patch(order_url(draft["id"]), {"line_items": [{"product_id": product.pk, "quantity": 3}]},
                              format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["promotion_code"], patched.json()["promotion_discount"]) == ("GONE", "3.00")
    # and it still cannot be confirmed with it
    refused = sales_api.patch(status_url(draft["id"]), {"status": "confirmed"}, format="json")
    assert refused.json()["code"] == "promotion_code_exhausted"
