"""Hypothesis strategies shared by the discount property tests (sales' draft pricing, billing's credit notes):
amounts in currencies with 0, 2 and 3 decimals, and a line's or order's discount."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from sales.discounts import DiscountInput

DECIMALS = {"USD": 2, "JPY": 0, "BHD": 3}


class Rollback(Exception):
    """Raised inside an example's transaction to undo what it wrote."""


def amount(currency: str, low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Amounts from ``low`` to ``high`` whole units, in the currency's minor unit."""
    places = DECIMALS[currency]
    return st.integers(low * 10**places, high * 10**places).map(lambda units: Decimal(units).scaleb(-places))


@st.composite
def discount(draw: Any, currency: str, high: int, percent_hundredths: tuple[int, int]) -> DiscountInput | None:
    """None, a percent (``percent_hundredths`` bounds it, in hundredths of a percent) or an amount up to ``high``."""
    kind = draw(st.sampled_from([None, "percent", "amount"]))
    if kind is None:
        return None
    if kind == "percent":
        return DiscountInput("percent", Decimal(draw(st.integers(*percent_hundredths))) / 100)
    return DiscountInput("amount", draw(amount(currency, 0, high)))
