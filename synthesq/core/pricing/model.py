"""The pricing engine's values: what goes in (rates, items) and what comes out (item results, rate rows, documents)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Rate:
    """A tax rate: ``percent`` like ``Decimal("19.0000")`` (at most 4 decimals, not negative); ``region`` "" for the
    whole country, else the address's state or province ("TX", "BC"). Two rates are the same rate when all four
    fields are equal (one row of the breakdown each)."""

    name: str
    percent: Decimal
    country: str
    region: str


# The rate row of the items without rates: percent 0, no name, no place (see the package docstring).
UNTAXED = Rate(name="", percent=Decimal("0.0000"), country="", region="")


@dataclass(frozen=True)
class Item:
    """A line or a charge: ``amount`` its total as entered (quantity x unit price, or the charge), gross when prices
    include tax, net otherwise; ``discount`` its discount already decided (line discount plus its share of the
    order discount), on the same basis, 0 <= discount <= amount. Both fit the currency."""

    key: str
    amount: Decimal
    rates: tuple[Rate, ...] = ()
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class ItemResult:
    """An item priced: ``rate_percent`` the sum of its rates' percents, ``taxes`` the tax of each of its rates (in
    the item's order, summing to ``tax``); net + tax = gross."""

    key: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    rate_percent: Decimal
    taxes: tuple[tuple[Rate, Decimal], ...]


@dataclass(frozen=True)
class RateRow:
    """One row of the tax breakdown: the net of the items carrying ``rate`` and their tax under it."""

    rate: Rate
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Document:
    """Items and the breakdown per rate, with the totals: net, tax and gross are the sums of the items'."""

    items: tuple[ItemResult, ...]
    rows: tuple[RateRow, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal


class CreditExceedsInvoice(Exception):
    """A credit would return more than what remains of the invoice: its gross, or one rate's tax."""
