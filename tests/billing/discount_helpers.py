"""Discounted orders for the billing tests (issue 23), made through the services: lines with their own discount,
an order discount and a promotion code, shipped to Berlin and walked to a status (``tax_helpers.taxed_order``
with discounts)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from inventory.models import Product
from sales import services
from sales.discounts import DiscountInput
from sales.models import Order
from tests.factories import CustomerFactory
from tests.factories.sales import _PATH
from tests.taxes.helpers import BERLIN


def discounted_order(lines: Sequence[tuple[Product, int, DiscountInput | None]], *, status: str = "delivered",
                     currency: str = "USD", customer: Any = None, discount: DiscountInput | None = None,
                     promotion_code: str | None = None) -> Order:
    """An order of (product, quantity, line discount) lines with an order ``discount`` and a ``promotion_code``,
    created by the system (no discount limit) and walked to ``status`` by the services."""
    order = services.order_create(
        actor=None, customer_id=(customer or CustomerFactory()).pk, currency=currency, shipping_address=BERLIN,
        line_items=[services.LineInput(product_id=p.pk, quantity=q, discount=d) for p, q, d in lines],
        discount=discount, promotion_code=promotion_code)
    for service_name, extra in _PATH[status]:
        getattr(services, service_name)(order_id=order.pk, actor=None, **extra)
    order.refresh_from_db()
    return order


def percent(value: str, reason: str = "") -> DiscountInput:
    return DiscountInput("percent", Decimal(value), reason)
