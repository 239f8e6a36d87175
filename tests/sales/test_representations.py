"""Sales' renderings (the API's output and the data of sales' events) against the serializers' declarations, which
make the OpenAPI schema: the same keys, in order, and the same types, for customers, orders and returns in every
state; customers, whose fields DRF can render by itself, give the very same output."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sales.api.serializers import CustomerSerializer, OrderSerializer, ReturnSerializer
from sales.api.shipment_serializers import ShipmentSerializer
from sales.models import Order, OrderStatus, with_lines
from sales.representations import (
    customer_representation,
    order_representation,
    order_representations,
    return_representation,
    shipment_representation,
)
from sales.selectors import (
    customer_list,
    order_lines_in_memory,
    order_lines_read,
    order_list,
    return_list,
    shipment_list,
)
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    ProductFactory,
    ReturnFactory,
    UserFactory,
)
from tests.representation_parity import assert_renders_as_declared

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", list(OrderStatus.values))
def test_orders_render_as_their_declared_fields(status: str) -> None:
    order = OrderFactory(status=status, line_count=3)
    if status == OrderStatus.DELIVERED:
        Order.objects.filter(pk=order.pk).update(on_hold=True, hold_reason="dispute")
    for user in (None, UserFactory(roles=["warehouse"]), UserFactory(superuser=True)):
        assert_renders_as_declared(OrderSerializer, order_representation(order_list().get(pk=order.pk), user=user))
        assert_renders_as_declared(OrderSerializer, order_representations(order_list(), user=user)[0])


def test_odd_orders_render_as_their_declared_fields() -> None:
    # an address with only its required parts, another currency, no lines prefetched
    customer = CustomerFactory(default_shipping_address={"line1": "1 Rue", "city": "Paris", "country": "FR"})
    yen = ProductFactory(price=Decimal("1300"), currency="JPY")
    order = Order.objects.get(pk=OrderFactory(customer=customer, currency="JPY", lines=[(yen, 3)]).pk)
    data = order_representation(order)
    assert_renders_as_declared(OrderSerializer, data)
    assert data["total"] == "3900"


@pytest.mark.parametrize("status", ["requested", "received", "credited", "rejected"])
def test_returns_and_orders_with_returns_render_as_their_declared_fields(status: str) -> None:
    return_ = ReturnFactory(**({} if status == "requested" else {status: True}))
    for user in (None, UserFactory(roles=["finance"]), UserFactory(superuser=True)):
        assert_renders_as_declared(ReturnSerializer, return_representation(return_list().get(pk=return_.pk),
                                                                           user=user))
        for order in (order_list().get(pk=return_.order_id), Order.objects.get(pk=return_.order_id)):
            data = order_representation(order, user=user)
            assert_renders_as_declared(OrderSerializer, data)
            assert data["returns"][0]["status"] == status


def test_customers_render_as_their_declared_fields() -> None:
    # with a whole address, one with only its required parts, and none
    CustomerFactory()
    CustomerFactory(default_shipping_address={"line1": "1 Rue", "city": "Paris", "country": "FR"})
    CustomerFactory(default_shipping_address=None, phone="")
    for customer in customer_list():
        assert_renders_as_declared(CustomerSerializer, customer_representation(customer))
        assert customer_representation(customer) == CustomerSerializer(customer).data


def test_lines_read_in_one_statement_match_the_lines_in_memory(django_assert_num_queries: Any) -> None:
    # given a delivered order of three lines with returns in every state over two of them (one line claimed by
    # three returns, one of them rejected), a delivered order without returns and a draft
    products = [ProductFactory(stock=100) for _ in range(3)]
    order = OrderFactory(status=OrderStatus.DELIVERED, lines=[(product, 4) for product in products])
    first, second = products[0].pk, products[1].pk
    ReturnFactory(order=order, lines=[(first, 1, True), (second, 2, False)])
    ReturnFactory(order=order, lines=[(first, 1, True)], rejected=True)
    ReturnFactory(order=order, lines=[(first, 1, True)], credited=True)
    plain = OrderFactory(status=OrderStatus.DELIVERED, line_count=2)
    draft = OrderFactory(line_count=1)
    orders = [order, plain, draft]
    # when their lines are read together, then: one statement for all of them
    with django_assert_num_queries(1):
        reads = order_lines_read([o.pk for o in orders])
    # and each is what the order's lines and returns in memory give, rendered the same either way
    user = UserFactory(superuser=True)
    for each in orders:
        in_memory = order_lines_in_memory(with_lines(Order.objects.get(pk=each.pk)))
        assert reads[each.pk] == in_memory
        fresh = Order.objects.get(pk=each.pk)
        assert order_representation(fresh, user=user, lines=reads[each.pk]) == order_representation(fresh, user=user)
    read = reads[order.pk]
    assert [line.returned_quantity for line in read.lines] == [2, 2, 0]
    assert [r.status for r in read.returns] == ["requested", "rejected", "credited"]
    assert reads[plain.pk].returns == [] and len(reads[plain.pk].lines) == 2
    assert order_lines_read([]) == {}


@pytest.mark.parametrize("status", ["shipped", "delivered"])
def test_shipments_render_as_their_declared_fields(status: str) -> None:
    order = OrderFactory(status=status, line_count=2)
    for user in (None, UserFactory(roles=["warehouse"]), UserFactory(superuser=True)):
        shipment = shipment_list().get(order_id=order.pk)
        data = shipment_representation(shipment, user=user)
        assert_renders_as_declared(ShipmentSerializer, data)
        assert data["status"] == status and len(data["lines"]) == 2
