"""``price_document``: items in, each item's net, tax and gross and the breakdown per rate out."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from .model import UNTAXED, Document, Item, ItemResult, Rate, RateRow
from .units import (
    PERCENT_QUANTUM,
    check_percent,
    from_units,
    largest_remainder,
    largest_remainder_capped,
    round_half_up,
    to_units,
)


def price_document(
    items: Sequence[Item], *, currency: str, prices_include_tax: bool, rounding: Literal["line", "document"]
) -> Document:
    """Price ``items`` (see the package docstring for the rules)."""
    if rounding not in ("line", "document"):
        raise ValueError(f"unknown rounding {rounding!r}")
    bases = _bases(items, currency)
    exact = [_exact_taxes(item, base, prices_include_tax) for item, base in zip(items, bases, strict=True)]
    if rounding == "line":
        taxes = [_line_taxes(item_exact) for item_exact in exact]
    else:
        caps = bases if prices_include_tax else [None] * len(bases)
        taxes = _document_taxes(items, exact, caps)
    results = [
        _result(item, base, item_taxes, prices_include_tax, currency)
        for item, base, item_taxes in zip(items, bases, taxes, strict=True)
    ]
    return document_of(results, currency)


def _bases(items: Sequence[Item], currency: str) -> list[int]:
    """Each item's amount after its discount, in minor units, once its inputs are checked."""
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("item keys must be unique")
    bases = []
    for item in items:
        amount = to_units(item.amount, currency, f"item {item.key!r} amount")
        discount = to_units(item.discount, currency, f"item {item.key!r} discount")
        if not 0 <= discount <= amount:
            raise ValueError(f"item {item.key!r}: the discount must be between 0 and the amount")
        if len(set(item.rates)) != len(item.rates):
            raise ValueError(f"item {item.key!r} carries a rate twice")
        for rate in item.rates:
            check_percent(rate.percent)
        bases.append(amount - discount)
    return bases


def _exact_taxes(item: Item, base: int, prices_include_tax: bool) -> list[Fraction]:
    """The item's exact tax under each of its rates, in minor units: net x p / 100, or gross x p / (100 + P)."""
    percents = [Fraction(rate.percent) for rate in item.rates]
    divisor = 100 + sum(percents, Fraction(0)) if prices_include_tax else Fraction(100)
    return [base * percent / divisor for percent in percents]


def _line_taxes(exact: list[Fraction]) -> list[int]:
    """Line rounding: the item's tax is its exact total rounded; its rates share it by largest remainder."""
    return largest_remainder(round_half_up(sum(exact, Fraction(0))), exact)


def _document_taxes(items: Sequence[Item], exact: list[list[Fraction]], caps: Sequence[int | None]) -> list[list[int]]:
    """Document rounding: each rate's exact tax over all items rounded once, then shared over its items by
    largest remainder; with inclusive prices no item takes more tax than its gross (``caps``)."""
    taxes = [[0] * len(item.rates) for item in items]
    carried: dict[Rate, list[tuple[int, int]]] = {}
    for index, item in enumerate(items):
        for position, rate in enumerate(item.rates):
            carried.setdefault(rate, []).append((index, position))
    for places in carried.values():
        weights = [exact[index][position] for index, position in places]
        total = round_half_up(sum(weights, Fraction(0)))
        room = [_room(caps[index], taxes[index]) for index, _ in places]
        for (index, position), share in zip(places, largest_remainder_capped(total, weights, room), strict=True):
            taxes[index][position] = share
    return taxes


def _room(cap: int | None, taxes: list[int]) -> int:
    return (1 << 62) if cap is None else cap - sum(taxes)


def _result(item: Item, base: int, taxes: list[int], prices_include_tax: bool, currency: str) -> ItemResult:
    tax = sum(taxes)
    net, gross = (base - tax, base) if prices_include_tax else (base, base + tax)
    percent = sum((rate.percent for rate in item.rates), Decimal(0)).quantize(PERCENT_QUANTUM)
    return ItemResult(
        key=item.key,
        net=from_units(net, currency),
        tax=from_units(tax, currency),
        gross=from_units(gross, currency),
        rate_percent=percent,
        taxes=tuple((rate, from_units(share, currency)) for rate, share in zip(item.rates, taxes, strict=True)),
    )


def document_of(items: Sequence[ItemResult], currency: str) -> Document:
    """The document of priced (or credited) items: their totals, and one row per rate in order of first appearance,
    taxable = the nets of the items carrying the rate, tax = their taxes under it; items without rates in the
    ``UNTAXED`` row."""
    taxable: dict[Rate, int] = {}
    tax: dict[Rate, int] = {}
    for item in items:
        item_net = to_units(item.net, currency)
        for rate, share in item.taxes or ((UNTAXED, Decimal(0)),):
            taxable[rate] = taxable.get(rate, 0) + item_net
            tax[rate] = tax.get(rate, 0) + to_units(share, currency)
    rows = tuple(
        RateRow(rate=rate, taxable=from_units(taxable[rate], currency), tax=from_units(tax[rate], currency))
        for rate in taxable
    )
    net, tax_total, gross = (
        from_units(sum(to_units(getattr(item, field), currency) for item in items), currency)
        for field in ("net", "tax", "gross")
    )
    return Document(items=tuple(items), rows=rows, net=net, tax=tax_total, gross=gross)
