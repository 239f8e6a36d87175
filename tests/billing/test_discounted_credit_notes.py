"""Credit notes of returned discounted lines (issue 23): a returned unit credits what the customer paid for it,
its discounted net and its tax as invoiced, to the cent; returned in parts until all is returned, a line credits
exactly what was invoiced. Figures computed by hand. Given / when / then."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import CreditNote, Invoice
from tests.factories import PromotionCodeFactory
from tests.taxes.helpers import rate, tax_settings

from .discount_helpers import discounted_order, percent
from .tax_helpers import product, return_credited

pytestmark = pytest.mark.django_db
D = Decimal

# By hand, 19 % on both lines:
#   A: 3 x 33.33 = 99.99, its own 10 % = 9.999 -> 10.00, leaves 89.99;  B: 1 x 48.00
#   order discount 7 % of 137.99 = 9.6593 -> 9.66, over 89.99 : 48.00 = 6.2997 : 3.3602 -> 6.29 + 3.36 = 9.65,
#     the cent left to A's larger remainder: 6.30 and 3.36; leaves 83.69 and 44.64 (128.33)
#   code 10 % of 128.33 = 12.833 -> 12.83, over 83.69 : 44.64 = 8.3670 : 4.4629 -> 8.36 + 4.46, the cent to A:
#     8.37 and 4.46
#   nets: A 99.99 - 10.00 - 6.30 - 8.37 = 75.32, B 48.00 - 3.36 - 4.46 = 40.18 (115.50)
#   tax per line: A 14.3108 -> 14.31, B 7.6342 -> 7.63 (21.94);
#   per document: 115.50 x 19 % = 21.945 -> 21.95, A 14.31, the cent left to B's larger remainder: 7.64
EXPECTED = {"line": {"tax_a": D("14.31"), "tax_b": D("7.63"), "total": D("137.44")},
            "document": {"tax_a": D("14.31"), "tax_b": D("7.64"), "total": D("137.45")}}


@pytest.fixture
def invoice_of_a_discounted_order(request: pytest.FixtureRequest) -> tuple[Invoice, str, str]:
    rounding = request.param
    rate("19", name="USt 19%")
    tax_settings(rounding=rounding)
    a, b = product("33.33"), product("48.00")
    PromotionCodeFactory(code="WELCOME10")
    order = discounted_order([(a, 3, percent("10", "loyal")), (b, 1, None)], discount=percent("7"),
                             promotion_code="welcome10")
    return Invoice.objects.get(order=order), a.pk, b.pk


@pytest.mark.parametrize("invoice_of_a_discounted_order", ["line", "document"], indirect=True)
def test_the_invoice_keeps_the_discounted_net_and_tax_of_each_line(
        invoice_of_a_discounted_order: tuple[Invoice, str, str]) -> None:
    # given the invoice of the discounted order (by hand above)
    invoice, _, _ = invoice_of_a_discounted_order
    expected = EXPECTED[invoice.tax_rounding]
    line_a, line_b = invoice.lines.order_by("position")
    # then each line keeps its list price, its discounts, and its discounted net and tax
    assert (line_a.list_price, line_a.line_total, line_a.net_amount, line_a.tax_amount) == (
        D("33.33"), D("99.99"), D("75.32"), expected["tax_a"])
    assert line_a.discounts == {"discount": {"type": "percent", "value": "10", "reason": "loyal", "amount": "10.00"},
                                "order_discount_amount": "14.67"}
    assert (line_b.net_amount, line_b.tax_amount, line_b.discounts["order_discount_amount"]) == (
        D("40.18"), expected["tax_b"], "7.82")
    assert invoice.discounts["promotion_code"] == "WELCOME10"
    assert (invoice.discounts["discount"]["amount"], invoice.discounts["promotion_discount"],
            invoice.discounts["discount_total"]) == ("9.66", "12.83", "32.49")
    assert (invoice.subtotal, invoice.total) == (D("115.50"), expected["total"])


@pytest.mark.parametrize("invoice_of_a_discounted_order", ["line", "document"], indirect=True)
def test_returning_a_discounted_line_unit_by_unit_credits_exactly_what_was_paid(
        invoice_of_a_discounted_order: tuple[Invoice, str, str]) -> None:
    # given the invoice of the discounted order
    invoice, a, b = invoice_of_a_discounted_order
    expected = EXPECTED[invoice.tax_rounding]
    order = invoice.order
    # when A's three units are returned one by one, then B
    notes = [return_credited(order, [(a, 1)]).credit_note for _ in range(3)]
    notes.append(return_credited(order, [(b, 1)]).credit_note)
    # then each unit of A credits a third of its discounted net and tax, the last taking what is left:
    #   net 75.32 / 3 = 25.1067 -> 25.11; 2 x 25.1067 = 50.2133 -> 50.21, so 25.10; then 75.32 - 50.21 = 25.11
    #   tax 14.31 / 3 = 4.77 each
    assert [(n.net_total, n.tax_total, n.total) for n in notes[:3]] == [
        (D("25.11"), D("4.77"), D("29.88")), (D("25.10"), D("4.77"), D("29.87")),
        (D("25.11"), D("4.77"), D("29.88"))]
    # and B credits its discounted net and its tax
    assert (notes[3].net_total, notes[3].tax_total) == (D("40.18"), expected["tax_b"])
    # and together exactly what was invoiced: nothing is left due, nothing credited twice
    invoice.refresh_from_db()
    assert sum((n.total for n in notes), D(0)) == invoice.total == invoice.amount_credited == expected["total"]
    assert sum((n.tax_total for n in notes), D(0)) == invoice.tax_total
    assert CreditNote.objects.filter(invoice=invoice).count() == 4


@pytest.mark.parametrize("invoice_of_a_discounted_order", ["line", "document"], indirect=True)
def test_a_whole_discounted_line_returned_at_once_credits_its_invoiced_net_and_tax(
        invoice_of_a_discounted_order: tuple[Invoice, str, str]) -> None:
    invoice, a, _ = invoice_of_a_discounted_order
    # when A's three units come back in one return
    note = return_credited(invoice.order, [(a, 3)]).credit_note
    # then it credits A's invoiced net and tax, not its price before discounts (99.99)
    line = note.lines.get()
    assert (line.line_total, line.net_amount, line.tax_amount, line.gross_amount) == (
        D("99.99"), D("75.32"), D("14.31"), D("89.63"))


def test_returning_a_unit_given_away_credits_nothing_and_the_return_is_still_credited() -> None:
    # given an order whose first line was discounted by 100 % (given away) and a second line paid for
    rate("19", name="USt 19%")
    tax_settings()
    gift, paid = product("20.00"), product("10.00")
    order = discounted_order([(gift, 2, percent("100", "sample")), (paid, 1, None)])
    invoice = Invoice.objects.get(order=order)
    assert invoice.total == D("11.90")
    # when the given-away line comes back
    return_ = return_credited(order, [(gift.pk, 2)])
    # then the return is credited, with no credit note: the customer paid nothing for those units
    assert return_.status == "credited"
    assert not CreditNote.objects.filter(invoice=invoice).exists()
    invoice.refresh_from_db()
    assert invoice.amount_credited == 0
    # and the paid line, returned next, credits what was paid for it
    note = return_credited(order, [(paid.pk, 1)]).credit_note
    assert (note.net_total, note.tax_total, note.total) == (D("10.00"), D("1.90"), D("11.90"))
