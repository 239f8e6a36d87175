"""The created order's response (issue 25): rendered from its event's rendering (made by the service from the
same instance) with the caller's allowed statuses; byte for byte what GET returns, with events on or off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

from integrations.models import Event
from sales import representations
from sales.models import Order
from sales.services.drafts import ORDER_NUMBER_SEQUENCE
from synthesq.core import postgres
from synthesq.core.representation import iso_datetime
from tests.factories import CustomerFactory, PriceListFactory, ProductFactory, PromotionCodeFactory
from tests.taxes.helpers import AUSTIN, rate

from .helpers import ORDERS_URL, order_payload, order_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("events", [True, False], ids=["events on", "events off"])
@pytest.mark.parametrize("roles", [("sales",), ("sales", "warehouse", "finance")])
def test_the_created_order_is_what_get_returns(client_for: Callable[..., APIClient], settings: Any, events: bool,
                                               roles: tuple[str, ...]) -> None:
    # given taxes and a user of some roles (they decide the statuses it may move the order to)
    settings.EVENTS_ENABLED = events
    rate("6.25", country="US", region="TX", name="Texas state")
    api = client_for(*roles)
    body = {**order_payload(CustomerFactory().pk, [(ProductFactory(price="12.50").pk, 3)], address=AUSTIN),
            "charges": [{"kind": "shipping", "amount": "4.00"}]}
    # when it creates an order
    created = api.post(ORDERS_URL, body, format="json")
    assert created.status_code == 201, created.content
    # then the response is byte for byte what GET returns
    order_id = created.json()["id"]
    assert created.content == api.get(order_url(order_id)).content
    # and the event carries the same order with every move possible now, whoever may make it
    if events:
        published = Event.objects.get(type="order.created", object_id=order_id).data["object"]
        assert {**published, "allowed_statuses": created.json()["allowed_statuses"]} == created.json()
        assert published["allowed_statuses"] == ["confirmed", "cancelled"]


def test_a_created_order_with_every_discount_is_what_get_returns(client_for: Callable[..., APIClient],
                                                                 settings: Any) -> None:
    # given taxes, a customer on a price list, a promotion code, and a seller in finance too (no discount limit)
    settings.EVENTS_ENABLED = True
    rate("6.25", country="US", region="TX", name="Texas state")
    listed, plain = ProductFactory(price="20.00"), ProductFactory(price="12.50")
    customer = CustomerFactory(price_list=PriceListFactory(entries=[(listed, 1, "18.00")]))
    code = PromotionCodeFactory()
    api = client_for("sales", "finance")
    body = {**order_payload(customer.pk, [(listed.pk, 2), (plain.pk, 3)], address=AUSTIN),
            "discount": {"type": "amount", "value": "2.00", "reason": "loyal"}, "promotion_code": code.code,
            "charges": [{"kind": "shipping", "amount": "4.00"}]}
    body["line_items"][1]["discount"] = {"type": "percent", "value": "10", "reason": "bundle"}
    # when it creates the order
    created = api.post(ORDERS_URL, body, format="json")
    assert created.status_code == 201, created.content
    order = created.json()
    assert (order["promotion_code"], order["discount"]["amount"], order["line_items"][0]["price_list_id"],
            order["line_items"][1]["discount"]["value"]) == (code.code, "2.00", customer.price_list_id, "10")
    # then the answer is byte for byte what GET returns, and the event carries the same order
    assert created.content == api.get(order_url(order["id"])).content
    published = Event.objects.get(type="order.created", object_id=order["id"]).data["object"]
    assert {**published, "allowed_statuses": order["allowed_statuses"]} == order


def test_a_create_that_fails_at_its_insert_leaves_no_order_and_drops_its_rendered_event(
        sales_api: APIClient, settings: Any) -> None:
    # given events on and an order already made (its number's counter exists)
    settings.EVENTS_ENABLED = True
    body = order_payload(CustomerFactory().pk, [(ProductFactory().pk, 2)], address=AUSTIN)
    first = sales_api.post(ORDERS_URL, body, format="json").json()
    # when the next create's insert fails, after its event was rendered
    with mock.patch.object(postgres, "insert_together", side_effect=DatabaseError("the insert failed")), \
            pytest.raises(DatabaseError):
        sales_api.post(ORDERS_URL, body, format="json")
    # then nothing of it was kept (its event, rendered before the insert, was dropped with it), and the next create
    # takes the number after the first's
    assert list(Order.objects.values_list("pk", flat=True)) == [first["id"]]
    assert list(Event.objects.values_list("object_id", flat=True)) == [first["id"]]
    after = sales_api.post(ORDERS_URL, body, format="json").json()
    assert int(after["order_number"][3:]) == int(first["order_number"][3:]) + 1


def test_a_create_renders_its_order_before_it_takes_the_number(sales_api: APIClient, settings: Any) -> None:
    # given events on, and a record of when the order is rendered and of each statement that takes its number
    settings.EVENTS_ENABLED = True
    steps: list[str] = []
    rendering = representations.order_representation

    def rendered(*args: Any, **kwargs: Any) -> Any:
        steps.append("rendered")
        return rendering(*args, **kwargs)

    def keep(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if ORDER_NUMBER_SEQUENCE in [*(params or ())] and "core_sequence" in sql:
            steps.append("numbered")
        return execute(sql, params, many, context)

    body = order_payload(CustomerFactory().pk, [(ProductFactory().pk, 2)], address=AUSTIN)
    assert sales_api.post(ORDERS_URL, body, format="json").status_code == 201  # the counter made by a first order
    # when an order is created
    with mock.patch.object(representations, "order_representation", rendered), connection.execute_wrapper(keep):
        created = sales_api.post(ORDERS_URL, body, format="json")
    assert created.status_code == 201, created.content
    # then it was rendered once, before the statement that takes its number (whose counter stays locked to the
    # commit: every other create waits for it), and the event and the answer carry the number taken
    assert steps == ["rendered", "numbered"]
    order = Order.objects.get(pk=created.json()["id"])
    published = Event.objects.get(type="order.created", object_id=order.pk).data["object"]
    assert created.json()["order_number"] == published["order_number"] == order.order_number
    assert created.json()["updated_at"] == published["updated_at"] == iso_datetime(order.updated_at)
