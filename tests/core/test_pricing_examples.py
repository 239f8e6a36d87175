"""The pricing engine on the reports other systems shipped wrong, each figure worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from synthesq.core.pricing import (
    UNTAXED,
    CreditExceedsInvoice,
    Document,
    Item,
    Rate,
    RateRow,
    allocate,
    credit_for_amount,
    credit_for_quantity,
    line_discount_amount,
    price_document,
    spread_discount,
)

D = Decimal
VAT_IT = Rate(name="IVA 22%", percent=D("22.0000"), country="IT", region="")
VAT_FR = Rate(name="TVA 20%", percent=D("20.0000"), country="FR", region="")
TEN = Rate(name="Tax 10%", percent=D("10.0000"), country="AU", region="")
VENDURE = Rate(name="Tax 2.6%", percent=D("2.6000"), country="US", region="")
FIVE = Rate(name="VAT 5%", percent=D("5.0000"), country="AE", region="")
JCT = Rate(name="JCT 8%", percent=D("8.0000"), country="JP", region="")
BH_VAT = Rate(name="VAT 10%", percent=D("10.0000"), country="BH", region="")
TEXAS = Rate(name="Texas 6.25%", percent=D("6.2500"), country="US", region="TX")
AUSTIN = Rate(name="Austin 2%", percent=D("2.0000"), country="US", region="TX")
DE_19 = Rate(name="USt 19%", percent=D("19.0000"), country="DE", region="")


@pytest.mark.parametrize("rounding", ["line", "document"])
def test_saleor_6720_inclusive_22_percent_taxes_8_22_in_both_modes(rounding: str) -> None:
    # given 112 x 0.05 = 5.60 and 2 x 20.00 = 40.00, both gross, at 22 % included
    items = [Item("pens", D("5.60"), (VAT_IT,)), Item("books", D("40.00"), (VAT_IT,))]
    # when
    document = price_document(items, currency="USD", prices_include_tax=True, rounding=rounding)  # type: ignore[arg-type]
    # then line: 5.60 x 22/122 = 1.00983.. -> 1.01 and 40.00 x 22/122 = 7.21311.. -> 7.21, 1.01 + 7.21 = 8.22;
    # document: 45.60 x 22/122 = 8.22295.. -> 8.22, shared 1.00983.. / 7.21311..: floors 1.00 + 7.21, the cent left
    # to the larger remainder (0.983 against 0.311) -> 1.01 and 7.21
    assert [item.tax for item in document.items] == [D("1.01"), D("7.21")]
    assert (document.net, document.tax, document.gross) == (D("37.38"), D("8.22"), D("45.60"))
    assert document.rows == (RateRow(VAT_IT, taxable=D("37.38"), tax=D("8.22")),)


@pytest.mark.parametrize(("rounding", "tax", "item_taxes"), [
    # 0.15 x 10 % = 0.015 -> 0.02 per line, three lines 0.06
    ("line", D("0.06"), [D("0.02")] * 3),
    # 0.45 x 10 % = 0.045 -> 0.05 once; shared 1.5 / 1.5 / 1.5 cents: floors 1 + 1 + 1, the 2 cents left to the
    # first two (equal remainders, earlier first)
    ("document", D("0.05"), [D("0.02"), D("0.02"), D("0.01")]),
])
def test_three_lines_of_0_15_at_10_percent_per_line_and_per_document(rounding: str, tax: Decimal,
                                                                     item_taxes: list[Decimal]) -> None:
    items = [Item(f"line-{n}", D("0.15"), (TEN,)) for n in range(3)]
    document = price_document(items, currency="USD", prices_include_tax=False, rounding=rounding)  # type: ignore[arg-type]
    assert document.tax == tax
    assert [item.tax for item in document.items] == item_taxes
    assert document.gross == D("0.45") + tax


def test_vendure_2662_164_02_at_2_6_percent_taxes_4_26() -> None:
    # 164.02 x 2.6 / 100 = 4.26452 -> 4.26 (4.27 was a float rounding up)
    document = price_document([Item("line", D("164.02"), (VENDURE,))], currency="USD", prices_include_tax=False,
                              rounding="line")
    assert (document.tax, document.gross) == (D("4.26"), D("168.28"))


@pytest.mark.parametrize("rounding", ["line", "document"])
def test_erpnext_42523_145_gross_at_an_inclusive_5_percent_stays_145(rounding: str) -> None:
    # 145.00 x 5/105 = 6.90476.. -> 6.90; net = 145.00 - 6.90 = 138.10; gross stays 145.00 (not 144.99)
    document = price_document([Item("line", D("145.00"), (FIVE,))], currency="USD", prices_include_tax=True,
                              rounding=rounding)  # type: ignore[arg-type]
    assert (document.net, document.tax, document.gross) == (D("138.10"), D("6.90"), D("145.00"))


@pytest.mark.parametrize(("rounding", "tax"), [
    # 50.42 x 20 % = 10.084 -> 10.08, 154.56 x 20 % = 30.912 -> 30.91: 40.99
    ("line", D("40.99")),
    # 204.98 x 20 % = 40.996 -> 41.00
    ("document", D("41.00")),
])
def test_prestashop_25145_an_8_percent_order_discount_before_20_percent_tax(rounding: str, tax: Decimal) -> None:
    # given 20 x 2.74 = 54.80 and 50 x 3.36 = 168.00 (222.80); 8 % of 222.80 = 17.824 -> 17.82
    discount = line_discount_amount(D("222.80"), "percent", D("8"), "USD")
    assert discount == D("17.82")
    # spread: 17.82 x 54.80/222.80 = 4.38301.. and 17.82 x 168.00/222.80 = 13.43698..; floors 4.38 + 13.43 = 17.81,
    # the cent left to the larger remainder (0.698) -> 4.38 and 13.44; nets 50.42 and 154.56 (204.98)
    shares = spread_discount(discount, [D("54.80"), D("168.00")], "USD")
    assert shares == [D("4.38"), D("13.44")]
    items = [Item("a", D("54.80"), (VAT_FR,), shares[0]), Item("b", D("168.00"), (VAT_FR,), shares[1])]
    # when
    document = price_document(items, currency="USD", prices_include_tax=False, rounding=rounding)  # type: ignore[arg-type]
    # then
    assert [item.net for item in document.items] == [D("50.42"), D("154.56")]
    assert (document.net, document.tax, document.gross) == (D("204.98"), tax, D("204.98") + tax)
    assert document.rows == (RateRow(VAT_FR, taxable=D("204.98"), tax=tax),)


@pytest.mark.parametrize(("rounding", "item_taxes", "tax"), [
    # 105 x 8 % = 8.4 -> 8 yen per line, 24
    ("line", [D("8")] * 3, D("24")),
    # 315 x 8 % = 25.2 -> 25; shared 8.4 each: floors 8 + 8 + 8, the yen left to the first (equal remainders)
    ("document", [D("9"), D("8"), D("8")], D("25")),
])
def test_yen_have_no_decimals(rounding: str, item_taxes: list[Decimal], tax: Decimal) -> None:
    items = [Item(f"line-{n}", D("105"), (JCT,)) for n in range(3)]
    document = price_document(items, currency="JPY", prices_include_tax=False, rounding=rounding)  # type: ignore[arg-type]
    assert [item.tax for item in document.items] == item_taxes
    assert (document.net, document.tax, document.gross) == (D("315"), tax, D("315") + tax)
    assert str(document.gross) == str(315 + tax)  # no decimals shown


@pytest.mark.parametrize(("rounding", "item_taxes", "tax"), [
    # 3.765 x 10 % = 0.3765 -> 0.377; 0.105 x 10 % = 0.0105 -> 0.011: 0.388
    ("line", [D("0.377"), D("0.011")], D("0.388")),
    # 3.870 x 10 % = 0.387 exactly; shared 376.5 / 10.5 fils: floors 376 + 10, the fil left to the first
    # (equal remainders) -> 0.377 and 0.010
    ("document", [D("0.377"), D("0.010")], D("0.387")),
])
def test_bahraini_dinars_have_three_decimals(rounding: str, item_taxes: list[Decimal], tax: Decimal) -> None:
    items = [Item("3 x 1.255", D("3.765"), (BH_VAT,)), Item("sample", D("0.105"), (BH_VAT,))]
    document = price_document(items, currency="BHD", prices_include_tax=False, rounding=rounding)  # type: ignore[arg-type]
    assert [item.tax for item in document.items] == item_taxes
    assert (document.net, document.tax, document.gross) == (D("3.870"), tax, D("3.870") + tax)
    assert str(document.tax) == str(tax) and document.tax.as_tuple().exponent == -3


@pytest.mark.parametrize("rounding", ["line", "document"])
def test_texas_6_25_percent_and_a_local_2_percent_stack(rounding: str) -> None:
    # given 3 x 19.99 = 59.97 and 2 x 4.99 = 9.98 taxed by Texas and Austin, and 12.00 of an untaxed charge
    items = [Item("shirts", D("59.97"), (TEXAS, AUSTIN)), Item("socks", D("9.98"), (TEXAS, AUSTIN)),
             Item("gift wrap", D("12.00"))]
    # when
    document = price_document(items, currency="USD", prices_include_tax=False, rounding=rounding)  # type: ignore[arg-type]
    # then line: shirts 59.97 x 8.25 % = 4.947525 -> 4.95, shared 374.8125 / 119.94 cents: floors 374 + 119, the 2
    # cents left to both -> 3.75 + 1.20; socks 9.98 x 8.25 % = 0.82335 -> 0.82, shared 62.375 / 19.96: floors
    # 62 + 19, the cent to the larger remainder (0.96) -> 0.62 + 0.20.
    # document: Texas 374.8125 + 62.375 = 437.1875 -> 4.37, shared: floors 374 + 62, the cent to 0.8125 -> 3.75 +
    # 0.62; Austin 119.94 + 19.96 = 139.9 -> 1.40, shared: floors 119 + 19, both get one -> 1.20 + 0.20. The same.
    assert [item.taxes for item in document.items] == [
        ((TEXAS, D("3.75")), (AUSTIN, D("1.20"))), ((TEXAS, D("0.62")), (AUSTIN, D("0.20"))), (),
    ]
    assert [item.rate_percent for item in document.items] == [D("8.2500"), D("8.2500"), D("0.0000")]
    assert document.rows == (
        RateRow(TEXAS, taxable=D("69.95"), tax=D("4.37")),
        RateRow(AUSTIN, taxable=D("69.95"), tax=D("1.40")),
        RateRow(UNTAXED, taxable=D("12.00"), tax=D("0.00")),
    )
    # the net of the stacked items is taxable under both rates: 69.95 + 69.95 + 12.00 = 81.95 + 69.95
    assert (document.net, document.tax, document.gross) == (D("81.95"), D("5.77"), D("87.72"))
    assert sum(row.taxable for row in document.rows) == document.net + D("69.95")


def test_a_line_credited_in_three_parts_credits_exactly_its_tax() -> None:
    # given 3 units for 10.00 net at 19 %: tax 1.90
    invoice = price_document([Item("line", D("10.00"), (DE_19,))], currency="EUR", prices_include_tax=False,
                             rounding="line")
    line = invoice.items[0]
    # when the units come back one at a time
    parts = [credit_for_quantity(line, 3, before, 1, "EUR") for before in range(3)]
    # then net: round(10.00 x 1/3) = 3.33; round(10.00 x 2/3) = 6.67 - 3.33 = 3.34; 10.00 - 6.67 = 3.33.
    # tax: round(1.90 x 1/3) = 0.63; round(1.90 x 2/3) = 1.27 - 0.63 = 0.64; 1.90 - 1.27 = 0.63 (0.63 x 3 = 1.89
    # would lose a cent)
    assert [part.net for part in parts] == [D("3.33"), D("3.34"), D("3.33")]
    assert [part.taxes for part in parts] == [((DE_19, D("0.63")),), ((DE_19, D("0.64")),), ((DE_19, D("0.63")),)]
    assert [part.gross for part in parts] == [D("3.96"), D("3.98"), D("3.96")]
    assert sum(part.tax for part in parts) == line.tax == D("1.90")


def test_returning_more_than_was_invoiced_is_refused() -> None:
    invoice = price_document([Item("line", D("10.00"), (DE_19,))], currency="EUR", prices_include_tax=False,
                             rounding="line")
    with pytest.raises(CreditExceedsInvoice):
        credit_for_quantity(invoice.items[0], 3, 2, 2, "EUR")


def test_a_credit_by_amount_is_shared_over_the_rates_by_gross_and_never_passes_what_remains() -> None:
    # given 100.00 net at 19 % (gross 119.00) and 81.00 untaxed: 200.00 gross
    invoice = price_document([Item("taxed", D("100.00"), (DE_19,)), Item("untaxed", D("81.00"))], currency="EUR",
                             prices_include_tax=False, rounding="line")
    # when 50.00 is credited: 50.00 x 119/200 = 29.75 to the taxed line, 20.25 to the untaxed one; 29.75 over net
    # 100.00 and tax 19.00: 29.75 x 100/119 = 25.00 and 29.75 x 19/119 = 4.75
    credit = credit_for_amount(invoice, None, D("50.00"), "EUR")
    # then
    assert [(item.key, item.net, item.tax) for item in credit.items] == [
        ("taxed", D("25.00"), D("4.75")), ("untaxed", D("20.25"), D("0.00")),
    ]
    assert credit.rows == (RateRow(DE_19, taxable=D("25.00"), tax=D("4.75")),
                           RateRow(UNTAXED, taxable=D("20.25"), tax=D("0.00")))
    # and the 150.00 left credits the rest exactly; one cent more is refused
    with pytest.raises(CreditExceedsInvoice):
        credit_for_amount(invoice, credit, D("150.01"), "EUR")
    rest = credit_for_amount(invoice, credit, D("150.00"), "EUR")
    assert [(item.net, item.tax) for item in rest.items] == [(D("75.00"), D("14.25")), (D("60.75"), D("0.00"))]


def test_credits_given_without_their_items_are_refused() -> None:
    invoice = price_document([Item("taxed", D("100.00"), (DE_19,))], currency="EUR", prices_include_tax=False,
                             rounding="line")
    # given credits passed as their totals and rows, without the items they credited
    totals_only = Document(items=(), rows=invoice.rows, net=invoice.net, tax=invoice.tax, gross=invoice.gross)
    with pytest.raises(ValueError, match="must list its items"):
        credit_for_amount(invoice, totals_only, D("1.00"), "EUR")


def test_allocate_uses_the_largest_remainder_and_ties_go_first() -> None:
    # 100 yen over 1:1:1 = 33.3 each: floors 33 x 3, the yen left to the first
    assert allocate(D("100"), [D(1), D(1), D(1)], "JPY") == [D("34"), D("33"), D("33")]
    # 10.00 over 2:1 = 6.666.. and 3.333..: floors 6.66 + 3.33, the cent to the larger remainder (0.666)
    assert allocate(D("10.00"), [D(2), D(1)], "USD") == [D("6.67"), D("3.33")]


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("percent", D("12.5"), D("1.25")),  # 9.99 x 12.5 % = 1.24875 -> 1.25
    ("percent", D("150"), D("9.99")),  # capped at the line
    ("amount", D("5.00"), D("5.00")),
    ("amount", D("12.00"), D("9.99")),  # capped at the line
])
def test_a_line_discount_is_rounded_half_up_and_capped(kind: str, value: Decimal, expected: Decimal) -> None:
    assert line_discount_amount(D("9.99"), kind, value, "USD") == expected  # type: ignore[arg-type]


def test_an_order_discount_never_takes_a_line_below_zero() -> None:
    # 10.00 over lines of 0.01, 0.02 and 3.00: capped at their 3.03
    assert spread_discount(D("10.00"), [D("0.01"), D("0.02"), D("3.00")], "USD") == [D("0.01"), D("0.02"),
                                                                                       D("3.00")]


@pytest.mark.parametrize("item", [
    Item("too fine", D("1.005"), (DE_19,)),
    Item("discount above the amount", D("1.00"), (DE_19,), D("1.01")),
    Item("negative discount", D("1.00"), (DE_19,), D("-0.01")),
    Item("rate twice", D("1.00"), (DE_19, DE_19)),
    Item("five decimals", D("1.00"), (Rate("odd", D("19.00001"), "DE", ""),)),
    Item("negative rate", D("1.00"), (Rate("odd", D("-1"), "DE", ""),)),
])
def test_input_a_document_cannot_have_is_a_programming_error(item: Item) -> None:
    with pytest.raises(ValueError):
        price_document([item], currency="USD", prices_include_tax=False, rounding="line")


def test_no_item_takes_more_tax_than_its_gross_when_rows_round_up() -> None:
    # given 28 items of 0.01 gross under Texas + Austin (8.25 % included), document rounding: per item the exact
    # Texas tax is 1 x 6.25/108.25 = 0.0577 cents and Austin's 1 x 2/108.25 = 0.0185 cents; the rows are
    # 28 x 0.0577 = 1.617 -> 2 cents and 28 x 0.0185 = 0.517 -> 1 cent. All remainders are equal, so Texas's two
    # cents go to the first two items; Austin's cent would go to the first as well (2 cents of tax on 1 cent of
    # gross, a net of -0.01): it goes to the first item with room, the third
    items = [Item(f"item-{n}", D("0.01"), (TEXAS, AUSTIN)) for n in range(28)]
    # when
    document = price_document(items, currency="USD", prices_include_tax=True, rounding="document")
    # then
    assert [item.taxes for item in document.items[:4]] == [
        ((TEXAS, D("0.01")), (AUSTIN, D("0.00"))), ((TEXAS, D("0.01")), (AUSTIN, D("0.00"))),
        ((TEXAS, D("0.00")), (AUSTIN, D("0.01"))), ((TEXAS, D("0.00")), (AUSTIN, D("0.00"))),
    ]
    assert min(item.net for item in document.items) == D("0.00")
    assert (document.net, document.tax, document.gross) == (D("0.25"), D("0.03"), D("0.28"))
