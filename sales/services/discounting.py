"""Pricing a draft's lines and discounts (issue 23), for ``drafts``: the unit price a line takes (as sent, else
the customer's price list, else the product's price), the promotion code it carries and every discount, then the
order's totals. Writes nothing: the draft services save what this decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from synthesq.core.actors import Actor
from taxes.selectors import ClassRates

from .. import discounts
from ..discounts import DiscountInput
from ..models import Order, OrderLine
from ..pricing import ChargeInput, order_price
from ..pricing_models import PromotionCode
from ..selectors import promotions as promotion_reads

# A draft's promotion code as read: the code (None: unknown), this customer's uses, the products it is limited to.
CodeRead = tuple[PromotionCode | None, int, frozenset[str]]


@dataclass(frozen=True)
class ListPrices:
    """The customer's price-list prices of a draft's lines: (product_id, quantity) -> (unit_price, list id)."""

    prices: dict[tuple[str, int], tuple[Any, str]]

    @classmethod
    def read(cls, price_list_id: str | None, *, currency: str, on: date,
             items: Sequence[tuple[str, int]]) -> ListPrices:
        return cls(promotion_reads.price_list_prices(price_list_id, currency=currency, on=on, items=items))

    def price(self, product_id: str, quantity: int) -> tuple[Any, str | None]:
        return self.prices.get((product_id, quantity), (None, None))


def code_for_draft(text: str | None, *, customer_id: str, currency: str, read: CodeRead | None = None,
                   at: Any = None) -> tuple[PromotionCode | None, frozenset[str]]:
    """The draft's promotion code, checked (422 ``promotion_code_*``, ``currency_mismatch``), or None without a
    code. ``read``: the code read already (with the draft's products)."""
    if not text:
        return None, frozenset()
    code, uses, products = read if read is not None else promotion_reads.promotion_code_for_draft(text, customer_id)
    discounts.check_code(code, text=text, currency=currency, at=at or timezone.now(), customer_uses=uses)
    return code, products


def price_draft(order: Order, lines: Sequence[OrderLine], charges: Sequence[ChargeInput], *, actor: Actor,
                discount: DiscountInput | None, code: PromotionCode | None, code_products: frozenset[str],
                exempt_reason: str | None, rates: dict[str, ClassRates] | None = None) -> None:
    """Every discount of the draft, then its taxes and totals with each line's discount off its taxable base
    (``sales.pricing.order_price``; ``rates``: its classes' rates read already); on the order and its lines,
    unsaved. Charges are not discounted."""
    discounts.price_discounts(order, lines, actor=actor, discount=discount, code=code,
                              code_products=code_products or None)
    order_price(order, lines, charges, exempt_reason=exempt_reason, rates=rates)


DISCOUNT_FIELDS = ["discount_amount", "order_discount_amount"]
ORDER_DISCOUNT_FIELDS = ["promotion_code", "discount_type", "discount_value", "discount_reason", "discount_amount",
                         "promotion_discount_amount", "lines_discount_total", "subtotal", "total"]
