"""Exact arithmetic in minor units: amounts as integers, proportions as fractions, half-up rounding and the largest
remainder method. Nothing here rounds twice or goes through a float."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm

from synthesq.core.money import fits_currency, minor_unit

PERCENT_QUANTUM = Decimal("0.0001")


def to_units(amount: Decimal, currency: str, what: str = "amount") -> int:
    """``amount`` in minor units (5.60 USD -> 560); it must fit the currency."""
    if not amount.is_finite() or not fits_currency(amount, currency):
        raise ValueError(f"{what} {amount} does not fit {currency} ({minor_unit(currency)} decimals)")
    return int(amount.scaleb(minor_unit(currency)))


def from_units(units: int, currency: str) -> Decimal:
    """Minor units back to an amount with exactly the currency's decimals (560 -> Decimal("5.60"))."""
    return Decimal(units).scaleb(-minor_unit(currency))


def round_half_up(value: Fraction) -> int:
    """``value`` (in minor units) rounded half away from zero, as Decimal's ROUND_HALF_UP does."""
    if value < 0:
        return -round_half_up(-value)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def check_percent(percent: Decimal) -> Fraction:
    if not percent.is_finite() or percent < 0 or percent != percent.quantize(PERCENT_QUANTUM):
        raise ValueError(f"percent {percent} must be 0 or more with at most 4 decimals")
    return Fraction(percent)


def largest_remainder(total: int, weights: Sequence[Fraction]) -> list[int]:
    """``total`` minor units shared in proportion to ``weights`` (not negative): each share is the floor of its exact
    proportion, and the units left go one each to the largest remainders, ties to the earlier position. So every
    share is within one unit of its exact proportion and the shares sum to ``total``. All weights zero: equal
    weights. A negative total is shared as its opposite, negated."""
    if total < 0:
        return [-share for share in largest_remainder(-total, weights)]
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    if not weights:
        if total:
            raise ValueError("nothing to share a non-zero total over")
        return []
    # In integers: the weights over their common denominator. Each exact share total * w / whole is then the
    # quotient and remainder of total * w by whole, and the remainders compare as the exact fractions' parts do.
    common = lcm(*(weight.denominator for weight in weights))
    scaled = [weight.numerator * (common // weight.denominator) for weight in weights]
    whole = sum(scaled)
    if whole == 0:
        scaled, whole = [1] * len(scaled), len(scaled)
    parts = [divmod(total * weight, whole) for weight in scaled]
    shares = [share for share, _ in parts]
    left = total - sum(shares)
    order = sorted(range(len(parts)), key=lambda index: (-parts[index][1], index))
    for index in order[:left]:
        shares[index] += 1
    return shares


def largest_remainder_capped(total: int, weights: Sequence[Fraction], caps: Sequence[int]) -> list[int]:
    """``largest_remainder``, except that no share exceeds its cap: a unit a share has no room for goes to the share
    furthest below its exact proportion that has room (ties to the earlier position). Raises ValueError when the
    caps together are smaller than the total."""
    shares = largest_remainder(total, weights)
    if all(share <= cap for share, cap in zip(shares, caps, strict=True)):
        return shares
    if sum(caps) < total:
        raise ValueError("the amounts leave no room for the tax their rates give")
    whole = sum(weights, Fraction(0)) or Fraction(1)
    exact = [total * weight / whole for weight in weights]
    left = sum(max(0, share - cap) for share, cap in zip(shares, caps, strict=True))
    shares = [min(share, cap) for share, cap in zip(shares, caps, strict=True)]
    while left:
        room = [index for index, share in enumerate(shares) if share < caps[index]]
        index = min(room, key=lambda at: (-(exact[at] - shares[at]), at))
        shares[index] += 1
        left -= 1
    return shares
