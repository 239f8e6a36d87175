"""The printable invoice and credit note, page and PDF, of a discounted order (issue 23): per line the list price,
the line's own discount and its share of the order's discounts, then net and tax; the order's discount and the
promotion code; then net, tax and total. The figures are those computed by hand in
``test_discounted_credit_notes``. Given / when / then."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from billing.documents import credit_note_html, invoice_html
from billing.models import Invoice
from tests.admin.navigation import text_of
from tests.factories import PromotionCodeFactory
from tests.taxes.helpers import rate, tax_settings

from .discount_helpers import discounted_order, percent
from .tax_helpers import product, return_credited
from .test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db

# 3 x 33.33 with 10 % off (10.00) and 14.67 of the order's discounts: net 75.32, tax 14.31;
# 1 x 48.00 with no discount of its own and 7.82 of the order's: net 40.18, tax 7.63 (line rounding)
INVOICE_LINES = ["3 33.33 33.33 USD 19.00% 99.99 USD -10.00 10% (loyal) -14.67 75.32 14.31",
                 "1 48.00 48.00 USD 19.00% 48.00 USD -0.00 -7.82 40.18 7.63"]
INVOICE_TOTALS = ["Lines before discounts 147.99 USD", "Order discount 7% -9.66 USD",
                  "Promotion code WELCOME10 -12.83 USD", "Discounts total -32.49 USD", "Subtotal (net) 115.50 USD",
                  "Tax 21.94 USD", "Total 137.44 USD", "USt 19% (DE) 19.00% 115.50 USD 21.94 USD"]
# one unit of the first line returned: 33.33, its own discount 10.00 / 3 -> 3.33, net 75.32 / 3 -> 25.11, so
# 33.33 - 3.33 - 25.11 = 4.89 of the order's discounts; tax 14.31 / 3 = 4.77; gross 29.88
CREDIT_LINE = "1 33.33 33.33 33.33 -3.33 -4.89 19.00% 25.11 USD 4.77 USD 29.88 USD"
CREDIT_TOTALS = ["Net credited 25.11 USD", "Tax credited 4.77 USD", "Total credited 29.88 USD",
                 "promotion code WELCOME10"]


def words(text: str) -> str:
    """The text's words, one space apart, amounts taken off with an ASCII minus (printed with U+2212)."""
    return " ".join(text.split()).replace("\N{MINUS SIGN}", "-")


@pytest.fixture
def invoice() -> Invoice:
    rate("19", name="USt 19%")
    tax_settings()
    PromotionCodeFactory(code="WELCOME10")
    order = discounted_order([(product("33.33"), 3, percent("10", "loyal")), (product("48.00"), 1, None)],
                             discount=percent("7"), promotion_code="welcome10")
    return Invoice.objects.get(order=order)


def test_the_invoice_pdf_and_page_show_list_prices_discounts_the_code_net_tax_and_total(
        finance_api: APIClient, invoice: Invoice) -> None:
    # when finance downloads the PDF of the discounted order's invoice, and the printable page is rendered
    response = finance_api.get(f"/api/v1/sales/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    pdf = words(pdf_text(response.content))
    page = words(text_of(invoice_html(invoice)))
    # then both show each line's list price, discounts, net and tax, and the order's discounts with the code
    for text in (pdf, page):
        for expected in (*INVOICE_LINES, *INVOICE_TOTALS):
            assert expected.lower() in text.lower(), (expected, text)


def test_the_credit_note_of_a_returned_discounted_unit_shows_what_it_takes_back(
        finance_api: APIClient, invoice: Invoice) -> None:
    # given one unit of the discounted line returned and credited
    first = invoice.lines.order_by("position").first()
    assert first is not None
    note = return_credited(invoice.order, [(first.product_id, 1)]).credit_note
    # when its PDF is downloaded and its printable page rendered
    response = finance_api.get(f"/api/v1/sales/credit-notes/{note.pk}/pdf")
    assert response.status_code == 200
    # then both show the unit's list price, the discounts it takes back, and what it credits
    for text in (words(pdf_text(response.content)), words(text_of(credit_note_html(note)))):
        for expected in (CREDIT_LINE, *CREDIT_TOTALS):
            assert expected.lower() in text.lower(), (expected, text)


def test_the_units_of_a_line_returned_one_by_one_show_discounts_adding_up_to_the_line_s(invoice: Invoice) -> None:
    # given the discounted line's three units returned one at a time
    first = invoice.lines.order_by("position").first()
    assert first is not None
    notes = [return_credited(invoice.order, [(first.product_id, 1)]).credit_note for _ in range(3)]
    # then the printed discounts: own 3.33 + 3.34 + 3.33 = 10.00; the order's 4.89 + 4.89 + 4.89 = 14.67
    # (amounts 33.33 each, nets 25.11, 25.10, 25.11)
    printed = [words(text_of(credit_note_html(note))) for note in notes]
    for text, expected in zip(printed, ["33.33 -3.33 -4.89 19.00% 25.11", "33.33 -3.34 -4.89 19.00% 25.10",
                                        "33.33 -3.33 -4.89 19.00% 25.11"], strict=True):
        assert expected in text, (expected, text)
