"""The pricing engine's invariants on random baskets: every document adds up exactly, in USD, JPY and BHD, with
prices inclusive and exclusive of tax, both rounding modes, stacked and untaxed items, line and order discounts;
shares sum exactly; credits never pass what remains and, in the end, credit exactly what was invoiced."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import pairwise
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthesq.core.money import minor_unit, quantum
from synthesq.core.pricing import (
    CreditExceedsInvoice,
    Document,
    Item,
    Rate,
    allocate,
    combine_documents,
    credit_for_amount,
    credit_for_quantity,
    document_of,
    line_discount_amount,
    price_document,
    spread_discount,
)

FAST = settings(max_examples=200, deadline=None, derandomize=True)
D = Decimal
CURRENCIES = ["USD", "JPY", "BHD"]


def rate(name: str, percent: str, country: str, region: str = "") -> Rate:
    return Rate(name=name, percent=D(percent), country=country, region=region)


DE_19, DE_7 = rate("USt 19%", "19.0000", "DE"), rate("USt 7%", "7.0000", "DE")
TEXAS, AUSTIN = rate("Texas", "6.2500", "US", "TX"), rate("Austin", "2.0000", "US", "TX")
GST, PST = rate("GST", "5.0000", "CA"), rate("PST BC", "7.0000", "CA", "BC")
ODD, ZERO, HU = rate("Odd", "9.9975", "XX"), rate("Zero", "0.0000", "GB"), rate("ÁFA", "27.0000", "HU")
STACK_3 = (HU, ODD, DE_7)
RATE_SETS: list[tuple[Rate, ...]] = [
    (), (), (DE_19,), (DE_7,), (TEXAS,), (TEXAS, AUSTIN), (GST,), (GST, PST), (ODD,), (ZERO,), STACK_3,
]


@dataclass
class Basket:
    currency: str
    items: list[Item]
    quantities: list[int]
    prices_include_tax: bool
    rounding: Literal["line", "document"]

    def price(self) -> Document:
        return price_document(self.items, currency=self.currency, prices_include_tax=self.prices_include_tax,
                              rounding=self.rounding)


def units(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_unit(currency)))


def money(count: int, currency: str) -> Decimal:
    return D(count).scaleb(-minor_unit(currency))


def small_or_any(top: int) -> st.SearchStrategy[int]:
    """Small values find rounding edges; any value up to ``top`` finds size edges."""
    return st.one_of(st.integers(0, min(top, 40)), st.integers(0, top))


# A discount: none, a percent (in hundredths), a few minor units, or a share of the amount in thousandths (past
# 1000: more than the amount, which is capped).
DISCOUNTS = st.one_of(
    st.just(("none", 0)), st.tuples(st.just("percent"), st.integers(0, 10_000)),
    st.tuples(st.just("units"), st.integers(0, 40)), st.tuples(st.just("share"), st.integers(0, 1100)),
)
# Per currency: a line as (quantity, unit price in minor units, rates, line discount), built once.
LINES = {
    currency: st.tuples(st.one_of(st.integers(1, 5), st.integers(1, 10_000)),
                        small_or_any(1_000_000 * 10 ** minor_unit(currency)), st.sampled_from(RATE_SETS), DISCOUNTS)
    for currency in CURRENCIES
}


def discount_of(amount: Decimal, spec: tuple[str, int], currency: str) -> Decimal:
    kind, value = spec
    if kind == "percent":
        return line_discount_amount(amount, "percent", D(value).scaleb(-2), currency)
    count = {"none": 0, "units": value, "share": units(amount, currency) * value // 1000}[kind]
    return line_discount_amount(amount, "amount", money(count, currency), currency)


@st.composite
def baskets(draw: Any, tiny: bool = False) -> Basket:
    """Random baskets; ``tiny``: many equal items of a minor unit or two under stacked rates, inclusive, document
    rounding (where the rows' rounded-up units could all go to the first item, past its gross)."""
    currency = draw(st.sampled_from(CURRENCIES))
    if tiny:
        count, amount = draw(st.integers(2, 60)), money(draw(st.integers(1, 2)), currency)
        rates = draw(st.sampled_from([(TEXAS, AUSTIN), STACK_3]))
        return Basket(currency, [Item(f"item-{n}", amount, rates) for n in range(count)], [1] * count, True,
                      "document")
    count = draw(st.integers(1, 60))
    lines = draw(st.lists(LINES[currency], min_size=count, max_size=count))
    amounts = [quantity * money(price, currency) for quantity, price, _, _ in lines]
    line_off = [discount_of(amount, line[3], currency) for amount, line in zip(amounts, lines, strict=True)]
    after = [amount - off for amount, off in zip(amounts, line_off, strict=True)]
    order_off = discount_of(sum(after, D(0)), draw(DISCOUNTS), currency)
    shares = spread_discount(order_off, after, currency)
    assert_spread(order_off, after, shares, currency)
    items = [Item(key=f"line-{n}", amount=amounts[n], rates=lines[n][2], discount=line_off[n] + shares[n])
             for n in range(len(lines))]
    return Basket(currency, items, [line[0] for line in lines], draw(st.booleans()),
                  draw(st.sampled_from(["line", "document"])))


def assert_spread(discount: Decimal, amounts: list[Decimal], shares: list[Decimal], currency: str) -> None:
    assert sum(shares, D(0)) == min(discount, sum(amounts, D(0)))
    assert all(D(0) <= share <= amount for share, amount in zip(shares, amounts, strict=True))
    assert all(share.as_tuple().exponent == -minor_unit(currency) for share in shares)


def assert_adds_up(document: Document, currency: str) -> None:
    """The invariants of every document, priced or credited."""
    exponent = -minor_unit(currency)
    figures = [document.net, document.tax, document.gross]
    for item in document.items:
        figures += [item.net, item.tax, item.gross, *(tax for _, tax in item.taxes)]
        assert item.net + item.tax == item.gross
        assert sum((tax for _, tax in item.taxes), D(0)) == item.tax
    for row in document.rows:
        figures += [row.taxable, row.tax]
        assert row.tax == sum((tax for item in document.items for r, tax in item.taxes if r == row.rate), D(0))
    assert all(figure >= 0 and figure.as_tuple().exponent == exponent for figure in figures)
    assert document.net + document.tax == document.gross
    assert sum((item.tax for item in document.items), D(0)) == document.tax
    assert sum((row.tax for row in document.rows), D(0)) == document.tax
    assert sum((item.net for item in document.items), D(0)) == document.net
    assert sum((item.gross for item in document.items), D(0)) == document.gross
    # each item's net is taxable under each of its rates (an untaxed item once, in the untaxed row)
    stacked = sum(((len(item.taxes) - 1) * item.net for item in document.items if item.taxes), D(0))
    assert sum((row.taxable for row in document.rows), D(0)) == document.net + stacked


def half_up(value: Decimal, currency: str) -> Decimal:
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def exact_taxes(basket: Basket, item: Item) -> list[Decimal]:
    """The item's unrounded tax per rate, to 60 digits (an oracle apart from the engine's fractions)."""
    base = item.amount - item.discount
    total = sum((r.percent for r in item.rates), D(0))
    with localcontext() as context:
        context.prec = 60
        divisor = 100 + total if basket.prices_include_tax else D(100)
        return [base * r.percent / divisor for r in item.rates]


@FAST
@given(st.one_of(baskets(), baskets(tiny=True)))
def test_every_document_adds_up_to_the_minor_unit(basket: Basket) -> None:
    document = basket.price()
    assert_adds_up(document, basket.currency)
    for item, result in zip(basket.items, document.items, strict=True):
        base = item.amount - item.discount
        assert (result.gross if basket.prices_include_tax else result.net) == base
        assert [r for r, _ in result.taxes] == list(item.rates)
        if basket.rounding == "line":
            assert result.tax == half_up(sum(exact_taxes(basket, item), D(0)), basket.currency)
    if basket.rounding == "document":
        for row in document.rows:
            exact = sum((tax for item in basket.items for r, tax in zip(item.rates, exact_taxes(basket, item),
                                                                         strict=True) if r == row.rate), D(0))
            assert row.tax == half_up(exact, basket.currency)
    if all(len(item.rates) <= 1 for item in basket.items):
        assert sum((row.taxable for row in document.rows), D(0)) == document.net


@FAST
@given(st.sampled_from(CURRENCIES), st.integers(-10**12, 10**12),
       st.lists(st.tuples(st.integers(0, 10**9), st.integers(-4, 2)), min_size=1, max_size=60))
def test_allocate_sums_exactly_and_each_share_is_within_a_minor_unit(currency: str, total_units: int,
                                                                    raw_weights: list[tuple[int, int]]) -> None:
    total = money(total_units, currency)
    weights = [D(digits).scaleb(exponent) for digits, exponent in raw_weights]
    shares = allocate(total, weights, currency)
    assert sum(shares, D(0)) == total
    whole = sum(weights, D(0))
    with localcontext() as context:
        context.prec = 60
        for share, weight in zip(shares, weights, strict=True):
            exact = total * weight / whole if whole else total / len(weights)
            assert abs(share - exact) < quantum(currency)
            assert share.as_tuple().exponent == -minor_unit(currency)


@FAST
@given(st.sampled_from(CURRENCIES), st.lists(small_or_any(10**10), min_size=0, max_size=60), small_or_any(10**12))
def test_an_order_discount_sums_to_itself_and_never_exceeds_a_line(currency: str, amount_units: list[int],
                                                                   discount_units: int) -> None:
    amounts = [money(count, currency) for count in amount_units]
    discount = money(discount_units, currency)
    assert_spread(discount, amounts, spread_discount(discount, amounts, currency), currency)


@FAST
@given(baskets(), st.data())
def test_returning_everything_in_random_parts_credits_exactly_the_invoice(basket: Basket, data: Any) -> None:
    invoice = basket.price()
    cuts = data.draw(st.lists(st.lists(st.integers(0, 10**6), max_size=3), min_size=len(basket.quantities),
                              max_size=len(basket.quantities)))
    plans = [returns(quantity, raw) for quantity, raw in zip(basket.quantities, cuts, strict=True)]
    credits = []
    for step in range(max(len(plan) for plan in plans)):
        for item, quantity, plan in zip(invoice.items, basket.quantities, plans, strict=True):
            if step < len(plan):
                before = sum(plan[:step])
                credit = document_of([credit_for_quantity(item, quantity, before, plan[step], basket.currency)],
                                     basket.currency)
                assert_adds_up(credit, basket.currency)
                credits.append(credit)
    assert combine_documents(credits, basket.currency) == invoice


def returns(quantity: int, raw: list[int]) -> list[int]:
    """``quantity`` split into one to four returns, cut where ``raw`` says."""
    cuts = {1 + cut % (quantity - 1) for cut in raw} if quantity > 1 else set()
    points = [0, *sorted(cuts), quantity]
    return [after - before for before, after in pairwise(points)]


@FAST
@given(baskets(), st.data())
def test_credits_by_amount_never_pass_what_remains_and_the_rest_credits_everything(basket: Basket,
                                                                                   data: Any) -> None:
    invoice, currency = basket.price(), basket.currency
    # given some lines partly returned first
    returned = data.draw(st.lists(st.integers(-10**6, 10**6), min_size=len(basket.quantities),
                                  max_size=len(basket.quantities)))
    credited = document_of([
        credit_for_quantity(item, quantity, 0, count % (quantity + 1), currency)
        for item, quantity, count in zip(invoice.items, basket.quantities, returned, strict=True) if count >= 0
    ], currency)
    for _ in range(data.draw(st.integers(0, 3))):
        left = units(invoice.gross - credited.gross, currency)
        credit = credit_for_amount(invoice, credited, money(data.draw(small_or_any(left)), currency), currency)
        assert_adds_up(credit, currency)
        assert credit.gross <= invoice.gross - credited.gross
        remaining = {rate: tax - taxes_of(credited).get(rate, D(0)) for rate, tax in taxes_of(invoice).items()}
        assert all(tax <= remaining[rate] for rate, tax in taxes_of(credit).items())
        credited = combine_documents([credited, credit], currency)
    # when the whole remaining gross is credited; one minor unit more is refused
    left = invoice.gross - credited.gross
    with pytest.raises(CreditExceedsInvoice):
        credit_for_amount(invoice, credited, left + quantum(currency), currency)
    credited = combine_documents([credited, credit_for_amount(invoice, credited, left, currency)], currency)
    # then everything is credited exactly: each item's net and tax per rate, each rate's tax
    assert (credited.net, credited.tax, credited.gross) == (invoice.net, invoice.tax, invoice.gross)
    assert taxes_of(credited) == taxes_of(invoice)
    by_key = {item.key: item for item in credited.items}
    for item in invoice.items:
        if item.gross:
            assert (by_key[item.key].net, by_key[item.key].taxes) == (item.net, item.taxes)


def taxes_of(document: Document) -> dict[Rate, Decimal]:
    """Each rate's tax in the document, leaving out rates with no tax."""
    return {row.rate: row.tax for row in document.rows if row.tax}
