"""The order's read path made cheap (issue 25) renders every order exactly as the plain path did
(``reference_orders``): alone and in a page, through the representation functions and through the API (the
bytes of GET one and of the list), for every status, taxes, charges, discounts (a line's percent and amount, the
order's own, a promotion code), allocations from two warehouses, a shipment, an amendment, returns in every
status, a hold, currencies of 0, 2 and 3 decimals, and viewers of every role."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from sales import services
from sales.discounts import DiscountInput
from sales.models import Order, OrderStatus
from sales.representations import order_representation, order_representations
from sales.selectors import order_list
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    ProductFactory,
    PromotionCodeFactory,
    ReturnFactory,
    UserFactory,
)
from tests.sales.helpers import ORDERS_URL
from tests.sales.reference_orders import reference_order
from tests.sales.shipment_helpers import two_warehouse_order
from tests.taxes.helpers import AUSTIN, rate

pytestmark = pytest.mark.django_db


def _priced_draft(currency: str, price: str, off: str, charge: str, *, promotion: bool = False) -> Order:
    """A taxed draft with a charge, a line discount of each kind and an order discount (and a promotion code)."""
    products = [ProductFactory(stock=50, currency=currency, price=Decimal(price)) for _ in range(3)]
    code = PromotionCodeFactory().code if promotion else None
    return services.order_create(
        actor=None, customer_id=CustomerFactory().pk, currency=currency, shipping_address=AUSTIN,
        line_items=[
            services.LineInput(product_id=products[0].pk, quantity=3,
                               discount=DiscountInput("percent", Decimal("12.5"), "loyal")),
            services.LineInput(product_id=products[1].pk, quantity=1,
                               discount=DiscountInput("amount", Decimal(off), "")),
            services.LineInput(product_id=products[2].pk, quantity=7),
        ],
        charges=[services.ChargeInput(kind="shipping", amount=Decimal(charge), description="Ground")],
        discount=DiscountInput("percent", Decimal("5"), "spring"), promotion_code=code,
    )


def _orders() -> list[str]:
    rate("6.25", country="US", region="TX", name="Texas state")
    rate("2", country="US", region="TX", name="Austin local")
    ids = [OrderFactory(status=status, line_count=2).pk for status in OrderStatus.values]
    ids += [_priced_draft("USD", "129.99", "10.05", "9.90", promotion=True).pk,
            _priced_draft("JPY", "1300", "250", "700").pk, _priced_draft("BHD", "12.345", "1.005", "2.5").pk]
    confirmed = _priced_draft("USD", "19.99", "3", "4.95")
    services.order_confirm(order_id=confirmed.pk, actor=None)
    ids.append(confirmed.pk)
    held = OrderFactory(status=OrderStatus.DELIVERED, line_count=2)
    services.order_hold(order_id=held.pk, actor=None, reason="dispute")
    ids.append(held.pk)
    for state in ({}, {"received": True}, {"credited": True}, {"rejected": True}):
        ids.append(ReturnFactory(**state).order_id)
    order, east, _west, first, _second = two_warehouse_order()
    services.shipment_create(order_id=order.pk, warehouse_id=east.pk, actor=None, tracking_number="1Z-1",
                             carrier="UPS", lines=[services.ShipmentLineInput(product_id=first, quantity=1)])
    ids.append(order.pk)
    amended = OrderFactory(status=OrderStatus.CONFIRMED, line_count=2)
    product = amended.lines.order_by("position").first().product_id
    services.order_amend(order_id=amended.pk, actor=None, reason="more",
                         lines=[services.AmendmentLineInput(product_id=product, quantity=5)])
    ids.append(amended.pk)
    return ids


def _viewers() -> list[Any]:
    return [None, UserFactory(superuser=True),
            *(UserFactory(roles=[role]) for role in ("sales", "warehouse", "finance"))]


def test_orders_render_as_the_plain_path_rendered_them() -> None:
    ids = _orders()
    for user in _viewers():
        expected = {order_id: reference_order(order_id, user) for order_id in ids}
        assert len({data["status"] for data in expected.values()}) == len(OrderStatus.values)
        for order_id in ids:
            assert order_representation(order_list().get(pk=order_id), user=user) == expected[order_id]
            assert order_representation(Order.objects.get(pk=order_id), user=user) == expected[order_id]
        page = order_representations(order_list().filter(pk__in=ids), user=user)
        assert page == [expected[order_id] for order_id in _newest_first()]


def _newest_first() -> list[str]:
    return list(Order.objects.order_by("-id").values_list("pk", flat=True))


def _bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def test_the_api_answers_the_same_bytes(client_for: Callable[..., APIClient]) -> None:
    ids = _orders()
    for api in (client_for("sales"), client_for("warehouse"), client_for(superuser=True)):
        expected = {order_id: reference_order(order_id, api.user) for order_id in ids}  # type: ignore[attr-defined]
        for order_id in ids:
            response = api.get(f"{ORDERS_URL}/{order_id}")
            assert response.status_code == 200
            assert response.content == _bytes(expected[order_id])
        for limit in (7, 50):
            shown: list[Any] = []
            url: str | None = f"{ORDERS_URL}?limit={limit}"
            while url:
                page = api.get(url)
                assert page.status_code == 200
                shown += page.json()["results"]
                url = page.json()["next"]
            assert _bytes(shown) == _bytes([expected[order_id] for order_id in _newest_first()])
