"""Discounts of a draft (issue 23): a line's own discount, the order's own discount and its promotion code's,
decided when the draft is priced and stored on the order and its lines. The arithmetic is the pricing engine's
(``line_discount_amount``, ``spread_discount``); this module holds the rules: who may give how much, when a code
applies, and in which order the discounts come (each line's own, then the order's own spread over the lines in
proportion to what is left of them, then the code's over the lines it applies to)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings

from synthesq.core.actors import Actor
from synthesq.core.pricing import line_discount_amount, spread_discount

from .exceptions import (
    DiscountLimitExceeded,
    PromotionCodeExhausted,
    PromotionCodeExpired,
    PromotionCodeInvalid,
    PromotionCodeNotApplicable,
    PromotionCurrencyMismatch,
)
from .models import Order, OrderLine
from .pricing_models import PromotionCode

UNLIMITED_DISCOUNT = "sales.give_unlimited_discount"


@dataclass(frozen=True)
class DiscountInput:
    type: Literal["percent", "amount"]
    value: Decimal
    reason: str = ""


def discount_of(amount: Decimal, discount: DiscountInput, currency: str) -> Decimal:
    return line_discount_amount(amount, discount.type, discount.value, currency)


def refuse_beyond_limit(actor: Actor, *, field: str, amount: Decimal, discount: Decimal) -> None:
    """403 ``discount_limit_exceeded`` when ``discount`` is more of ``amount`` than the actor's role may give:
    ``MAX_SALES_DISCOUNT_PERCENT`` without ``sales.give_unlimited_discount`` (finance; superusers)."""
    if actor is None or discount <= 0 or actor.has_perm(UNLIMITED_DISCOUNT):
        return
    limit = Decimal(settings.MAX_SALES_DISCOUNT_PERCENT)
    if amount <= 0 or discount * 100 > amount * limit:
        percent = (discount * 100 / amount).quantize(Decimal("0.01")) if amount > 0 else Decimal(100)
        raise DiscountLimitExceeded(field=field, percent=str(percent), limit=str(limit))


def code_applies_to(code: PromotionCode, product_ids: frozenset[str] | None, product_id: str) -> bool:
    """Whether the code applies to a line of ``product_id`` (``product_ids``: the code's products, None or
    empty for every product)."""
    return not product_ids or product_id in product_ids


def check_code(code: PromotionCode | None, *, text: str, currency: str, at: datetime,
               customer_uses: int | None) -> None:
    """The refusals that do not depend on the lines, in this order: unknown or inactive, outside its window,
    another currency, used up (in total or by this customer). With ``customer_uses`` None (a confirmation: the
    draft's discount was decided already, and the use is counted under the code's lock) only the first two."""
    if code is None or not code.active:
        raise PromotionCodeInvalid(f"No active promotion code {text!r}.", promotion_code=text)
    if (code.valid_from and at < code.valid_from) or (code.valid_to and at >= code.valid_to):
        raise PromotionCodeExpired(f"Promotion code {code.code!r} is not valid now.", promotion_code=code.code)
    if customer_uses is None:
        return
    if code.discount_type == "amount" and code.currency != currency:
        raise PromotionCurrencyMismatch(
            f"Promotion code {code.code!r} is an amount in {code.currency}; the order is in {currency}.",
            promotion_code=code.code, order_currency=currency)
    if code.usage_limit is not None and code.times_used >= code.usage_limit:
        raise PromotionCodeExhausted(f"Promotion code {code.code!r} has been used up.", promotion_code=code.code)
    if code.usage_limit_per_customer is not None and customer_uses >= code.usage_limit_per_customer:
        raise PromotionCodeExhausted(f"Promotion code {code.code!r} has been used up by this customer.",
                                     promotion_code=code.code)


def _minimum(code: PromotionCode, currency: str) -> Decimal | None:
    value = (code.min_subtotal or {}).get(currency)
    return None if value in (None, "") else Decimal(str(value))


def price_discounts(order: Order, lines: Sequence[OrderLine], *, actor: Actor, discount: DiscountInput | None,
                    code: PromotionCode | None, code_products: frozenset[str] | None) -> None:
    """Decide every discount of the draft (lines' ``discount`` already set as entered): each line's own, the
    order's own, then the code's. Sets the amounts on the lines and the order; refuses (403) a discount beyond
    the actor's limit and (422) a code whose minimum is not reached or that applies to no line. Writes nothing."""
    currency = order.currency
    for index, line in enumerate(lines):
        line.discount_amount = Decimal(0)
        if line.discount:
            line.discount_amount = line_discount_amount(line.line_total, line.discount["type"],
                                                        Decimal(line.discount["value"]), currency)
            refuse_beyond_limit(actor, field=f"line_items[{index}].discount", amount=line.line_total,
                                discount=line.discount_amount)
    left = [line.line_total - line.discount_amount for line in lines]
    order.lines_discount_total = sum((line.discount_amount for line in lines), Decimal(0))
    order.discount_type, order.discount_value = (discount.type, discount.value) if discount else ("", None)
    order.discount_reason = discount.reason if discount else ""
    own = discount_of(sum(left, Decimal(0)), discount, currency) if discount else Decimal(0)
    refuse_beyond_limit(actor, field="discount", amount=sum(left, Decimal(0)), discount=own)
    own_shares = spread_discount(own, left, currency)
    left = [amount - share for amount, share in zip(left, own_shares, strict=True)]
    order.discount_amount = sum(own_shares, Decimal(0))
    promo_shares = _code_shares(code, code_products, lines, left, currency)
    order.promotion_code = code
    order.promotion_discount_amount = sum(promo_shares, Decimal(0))
    for line, own_share, promo_share in zip(lines, own_shares, promo_shares, strict=True):
        line.order_discount_amount = own_share + promo_share


def _code_shares(code: PromotionCode | None, code_products: frozenset[str] | None, lines: Sequence[OrderLine],
                 left: Sequence[Decimal], currency: str) -> list[Decimal]:
    if code is None:
        return [Decimal(0)] * len(lines)
    minimum = _minimum(code, currency)
    if minimum is not None and sum(left, Decimal(0)) < minimum:
        raise PromotionCodeNotApplicable(
            f"Promotion code {code.code!r} needs a subtotal of at least {minimum} {currency}.",
            promotion_code=code.code)
    weights = [amount if code_applies_to(code, code_products, line.product_id) else Decimal(0)
               for line, amount in zip(lines, left, strict=True)]
    if not any(weights):
        raise PromotionCodeNotApplicable(f"Promotion code {code.code!r} applies to no line of this order.",
                                         promotion_code=code.code)
    applicable = sum(weights, Decimal(0))
    amount = line_discount_amount(applicable, code.discount_type, code.discount_value, currency)  # type: ignore[arg-type]
    return spread_discount(amount, weights, currency)
