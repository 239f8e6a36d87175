from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from sales import services
from sales.models import Customer, Order, OrderEvent, OrderLine, OrderStatus, Return, ReturnStatus

from .inventory import ProductFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("company")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    phone = ""
    default_shipping_address = factory.LazyFunction(lambda: {
        "line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US",
    })

    class Params:
        no_address = factory.Trait(default_shipping_address=None)


# The path through the lifecycle to each status, as (service, extra kwargs).
_PATH: dict[str, list[tuple[str, dict[str, Any]]]] = {
    OrderStatus.DRAFT: [],
    OrderStatus.CONFIRMED: [("order_confirm", {})],
    OrderStatus.PROCESSING: [("order_confirm", {}), ("order_start_processing", {})],
    OrderStatus.SHIPPED: [("order_confirm", {}), ("order_start_processing", {}),
                          ("order_ship", {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"})],
    OrderStatus.DELIVERED: [("order_confirm", {}), ("order_start_processing", {}),
                            ("order_ship", {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}),
                            ("order_deliver", {})],
    OrderStatus.CLOSED: [("order_confirm", {}), ("order_start_processing", {}),
                         ("order_ship", {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}),
                         ("order_deliver", {}), ("order_close", {"waive_return_window": True})],
    OrderStatus.CANCELLED: [("order_cancel", {"reason": "test"})],
}


class OrderFactory(factory.django.DjangoModelFactory):
    """An order made through the services, so stock, ledger and history are what production would have.

    ``OrderFactory()`` is a draft of one line (2 units of a product with stock 10, USD 129.99).
    ``OrderFactory(status="shipped")`` walks it there; ``OrderFactory(lines=[(product, 3), ...])`` sets lines;
    ``OrderFactory(line_count=50)`` makes that many lines, each on its own product with stock.
    A factory-closed order was closed by the system waiving its return window (it was just delivered).
    """

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    currency = "USD"
    shipping_address = None
    # Not model fields: how to build it (taken out in _create).
    status = OrderStatus.DRAFT
    lines = None
    line_count = 1
    quantity = 2
    unit_price = None  # None: each product's price
    stock = 10
    actor = None

    @classmethod
    def _create(cls, model_class: type[Order], *args: Any, **kwargs: Any) -> Order:
        currency = kwargs["currency"]
        lines = kwargs["lines"]
        if lines is None:
            price = Decimal("1300") if currency == "JPY" else Decimal("129.99")
            lines = [(ProductFactory(stock=kwargs["stock"], currency=currency, price=price), kwargs["quantity"])
                     for _ in range(kwargs["line_count"])]
        actor = kwargs["actor"]
        order = services.order_create(
            actor=actor, customer_id=kwargs["customer"].pk, currency=currency,
            line_items=[services.LineInput(product_id=p.pk, quantity=q, unit_price=kwargs["unit_price"])
                        for p, q in lines],
            shipping_address=kwargs["shipping_address"],
        )
        for service_name, extra in _PATH[kwargs["status"]]:
            getattr(services, service_name)(order_id=order.pk, actor=actor, **extra)
        order.refresh_from_db()
        return order


class OrderLineFactory(factory.django.DjangoModelFactory):
    """A bare line row (prefer ``OrderFactory(lines=...)``, which prices and totals through the service)."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    position = factory.Sequence(lambda n: n + 100)
    product = factory.SubFactory(ProductFactory)
    sku = factory.SelfAttribute("product.sku")
    name = factory.SelfAttribute("product.name")
    quantity = 1
    unit_price = Decimal("1.00")
    line_total = Decimal("1.00")


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    kind = OrderEvent.Kind.UPDATED


class ReturnFactory(factory.django.DjangoModelFactory):
    """A return made through the services, on a delivered order (made too unless given).

    ``ReturnFactory()`` asks back 1 unit of the order's first line (restocked) and stays requested;
    ``ReturnFactory(received=True)``, ``credited=True`` or ``rejected=True`` walk it there;
    ``ReturnFactory(order=order, lines=[(product_id, quantity, restock), ...])`` sets the lines.
    """

    class Meta:
        model = Return

    order = factory.SubFactory(OrderFactory, status=OrderStatus.DELIVERED)
    # Not model fields: how to build it (taken out in _create).
    lines = None
    reason = "damaged in transit"
    target = ReturnStatus.REQUESTED
    actor = None

    class Params:
        received = factory.Trait(target=ReturnStatus.RECEIVED)
        credited = factory.Trait(target=ReturnStatus.CREDITED)
        rejected = factory.Trait(target=ReturnStatus.REJECTED)

    @classmethod
    def _create(cls, model_class: type[Return], *args: Any, **kwargs: Any) -> Return:
        order = kwargs["order"]
        lines = kwargs["lines"]
        if lines is None:
            first = order.lines.order_by("position").first()
            lines = [(first.product_id, 1, True)]
        actor = kwargs["actor"]
        return_ = services.return_request(
            order_id=order.pk, reason=kwargs["reason"], actor=actor,
            lines=[services.ReturnLineInput(product_id=p, quantity=q, restock=r) for p, q, r in lines],
        )
        target = kwargs["target"]
        if target in (ReturnStatus.RECEIVED, ReturnStatus.CREDITED):
            services.return_receive(return_id=return_.pk, actor=actor)
        if target == ReturnStatus.CREDITED:
            services.return_credit(return_id=return_.pk, actor=actor)
        if target == ReturnStatus.REJECTED:
            services.return_reject(return_id=return_.pk, reason="not ours", actor=actor)
        return_.refresh_from_db()
        return return_
