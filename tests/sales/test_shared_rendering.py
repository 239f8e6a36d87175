"""A status change renders the order once (issue 25): its event's rendering is shared with the answer, which
carries the statuses the caller may move it to. The answer is what GET returns afterwards, byte for byte, and the
event's object is the same order with every move possible; an order changed after its event is rendered anew."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from integrations.models import Event
from sales import services
from sales.models import Order, OrderStatus, with_lines
from sales.representations import (
    order_representation,
    order_representation_for_event,
    order_representation_shared,
)
from tests.factories import CustomerFactory, ProductFactory, UserFactory
from tests.sales.helpers import order_url, status_url
from tests.taxes.helpers import AUSTIN

pytestmark = pytest.mark.django_db


def _draft() -> Order:
    products = [ProductFactory(stock=20) for _ in range(2)]
    return services.order_create(actor=None, customer_id=CustomerFactory().pk, currency="USD",
                                 shipping_address=AUSTIN,
                                 line_items=[services.LineInput(product_id=p.pk, quantity=2) for p in products])


# (roles of the caller, the order's status before, the status asked for)
MOVES = [
    (("sales",), OrderStatus.DRAFT, OrderStatus.CONFIRMED),
    (("sales",), OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    (("warehouse",), OrderStatus.CONFIRMED, OrderStatus.PROCESSING),
]


@pytest.mark.parametrize(("roles", "before", "target"), MOVES)
def test_a_move_answers_what_get_returns_and_its_event_carries_the_same_order(
        client_for: Callable[..., APIClient], settings: Any, roles: tuple[str, ...], before: str,
        target: str) -> None:
    # given an order in ``before``, events on, and a caller whose role makes some moves only
    settings.EVENTS_ENABLED = True
    order = _draft()
    if before == OrderStatus.CONFIRMED:
        services.order_confirm(order_id=order.pk, actor=None)
    api = client_for(*roles)
    # when the caller moves it
    response = api.patch(status_url(order.pk), {"status": target}, format="json")
    assert response.status_code == 200, response.content
    # then the answer is what GET returns now, byte for byte
    assert response.content == api.get(order_url(order.pk)).content
    # and the move's event carries the same order, with every move possible (no caller) as its statuses
    answered = json.loads(response.content)
    event = Event.objects.get(type=f"order.{target}", object_id=order.pk).data["object"]
    everything = order_representation(with_lines(Order.objects.get(pk=order.pk)))["allowed_statuses"]
    assert event == {**answered, "allowed_statuses": everything}


def test_the_answer_shares_the_events_rendering_without_changing_it() -> None:
    # given an order rendered for its event
    order = with_lines(_draft())
    event = order_representation_for_event(order)
    kept = json.dumps(event)
    # when the answer is rendered for a caller who may make some moves only
    answer = order_representation_shared(order, user=UserFactory(roles=["warehouse"]))
    # then it is the order rendered for that caller, and the event's rendering is as it was
    assert answer == order_representation(order, user=UserFactory(roles=["warehouse"]))
    assert answer is not event and json.dumps(event) == kept


@pytest.mark.parametrize("change", ["updated_at", "lines"])
def test_an_order_changed_after_its_event_is_rendered_anew(change: str) -> None:
    # given an order rendered for its event, then changed (its row written again, or its lines replaced in memory)
    order = with_lines(_draft())
    event = order_representation_for_event(order)
    if change == "updated_at":
        order.updated_at += timedelta(seconds=1)
    else:
        with_lines(order, reload=True)
    # when the answer is rendered
    answer = order_representation_shared(order)
    # then it is rendered from the order as it is now, not taken from the event
    assert answer == order_representation(order)
    assert (answer["updated_at"] != event["updated_at"]) == (change == "updated_at")
