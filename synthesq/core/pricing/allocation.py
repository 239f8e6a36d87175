"""Sharing amounts: a total over weights, a line discount, an order discount over lines."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from .units import from_units, largest_remainder, round_half_up, to_units


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """``total`` (fitting the currency) shared in proportion to ``weights`` (not negative) by the largest remainder
    method to the currency's minor unit: the shares sum exactly to ``total``, each is within one minor unit of its
    exact proportion, ties go to the earlier position. All weights zero: an equal split."""
    units = largest_remainder(to_units(total, currency, "total"), [Fraction(weight) for weight in weights])
    return [from_units(share, currency) for share in units]


def line_discount_amount(amount: Decimal, kind: Literal["percent", "amount"], value: Decimal, currency: str) -> Decimal:
    """The discount of a line of ``amount``: ``value`` percent of it (half-up to the minor unit) or ``value`` itself
    (which must fit the currency), never more than the amount."""
    units = to_units(amount, currency)
    if units < 0 or not value.is_finite() or value < 0:
        raise ValueError("a line discount takes an amount and a value that are not negative")
    if kind == "percent":
        discount = round_half_up(units * Fraction(value) / 100)
    elif kind == "amount":
        discount = to_units(value, currency, "discount")
    else:
        raise ValueError(f"unknown discount kind {kind!r}")
    return from_units(min(discount, units), currency)


def spread_discount(discount: Decimal, amounts: Sequence[Decimal], currency: str) -> list[Decimal]:
    """An order discount shared over lines in proportion to their (already line-discounted) ``amounts``, by the
    largest remainder method: the shares sum exactly to the discount, capped at the sum of the amounts, and no
    share exceeds its line's amount (a share is at most the ceiling of ``discount x amount / sum``, and the
    amount is a whole number of minor units no smaller than that proportion)."""
    units = [to_units(amount, currency) for amount in amounts]
    wanted = to_units(discount, currency, "discount")
    if wanted < 0 or any(unit < 0 for unit in units):
        raise ValueError("a discount and the amounts it spreads over are not negative")
    shares = largest_remainder(min(wanted, sum(units)), [Fraction(unit) for unit in units])
    return [from_units(share, currency) for share in shares]
