"""Finance reads the tax report in the back-office: "Tax report" in the sidebar, this month's figures per rate
and a total per currency, another period by the form, and the same rows as CSV. Given / when / then."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import Invoice
from billing.tax_report import tax_report
from tests.admin.navigation import click, link, text_of
from tests.billing.tax_helpers import ensure_german_rates, product, tax_settings, taxed_order
from tests.factories import CreditNoteFactory

pytestmark = pytest.mark.django_db


def german_invoices() -> None:
    """This month: a USD invoice of 2 desks (19 %) and 3 books (7 %) less a credit of 27.01; an EUR invoice of
    one desk (19 %); all issued by a credit note or by a status change."""
    ensure_german_rates()
    tax_settings()
    usd = Invoice.objects.get(order=taxed_order([(product("100.00"), 2), (product("10.00", tax_class="reduced"), 3)],
                                                status="confirmed"))
    CreditNoteFactory(invoice=usd, amount=Decimal("27.01"))
    eur = Invoice.objects.get(order=taxed_order([(product("50.00", currency="EUR"), 1)], currency="EUR",
                                                status="confirmed"))
    CreditNoteFactory(invoice=eur, amount=Decimal("0.01"))


def rows_of(page: str) -> list[str]:
    table = re.search(r"<table class=\"tax-report\".*?</table>", page, re.S)
    assert table, "no report table"
    return [text_of(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)][1:]


def test_finance_opens_the_tax_report_from_the_sidebar_and_exports_it(finance_client: Client) -> None:
    # given this month's German invoices in USD and EUR, each partly credited
    german_invoices()
    # when finance clicks "Tax report" from the admin index
    page = click(finance_client, finance_client.get("/admin/"), "Tax report")
    # then this month's rows show per currency and rate, with a total per currency (23.00 net and 4.01 of tax
    # were credited on the USD invoice, 0.01 gross on the EUR one: 0.01 net, nothing of its tax)
    assert rows_of(page.content.decode()) == [
        "EUR DE USt 19% 19.00% 49.99 9.50", "EUR Total EUR 49.99 9.50",
        "USD DE USt 19% 19.00% 180.00 34.20", "USD DE USt 7% 7.00% 27.00 1.89", "USD Total USD 207.00 36.09",
    ]
    # when finance downloads it as CSV
    export = finance_client.get(link(page, "Export CSV"))
    # then the file has the same rows, amounts as decimals
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == ["currency", "country", "region", "tax", "rate", "taxable amount", "tax amount"]
    assert rows[1:] == [["EUR", "DE", "", "USt 19%", "19.00%", "49.99", "9.50"],
                        ["EUR", "", "", "Total EUR", "", "49.99", "9.50"],
                        ["USD", "DE", "", "USt 19%", "19.00%", "180.00", "34.20"],
                        ["USD", "DE", "", "USt 7%", "7.00%", "27.00", "1.89"],
                        ["USD", "", "", "Total USD", "", "207.00", "36.09"]]
    # and they are the API's figures
    today = timezone.localdate()
    report = tax_report(first_day=today.replace(day=1), last_day=today)
    assert [(t.currency, str(t.tax_amount)) for t in report.totals] == [("EUR", "9.50"), ("USD", "36.09")]


def test_another_period_is_chosen_by_the_form(finance_client: Client) -> None:
    german_invoices()
    page = click(finance_client, finance_client.get("/admin/"), "Tax report")
    # when finance asks for last year
    last_year = timezone.localdate() - timedelta(days=366)
    other = finance_client.get(page.request["PATH_INFO"], {"from": last_year.replace(day=1).isoformat(),
                                                           "to": last_year.isoformat()})
    # then nothing was issued then
    assert "No invoice or credit note was issued in this period." in other.content.decode()
    # and a period that ends before it starts is refused on the form
    wrong = finance_client.get(page.request["PATH_INFO"], {"from": "2026-12-31", "to": "2026-12-01"})
    assert "Must not be before From." in wrong.content.decode()


def test_sales_neither_sees_nor_opens_the_tax_report(sales_client: Client, finance_client: Client) -> None:
    url = link(finance_client.get("/admin/"), "Tax report")
    assert "Tax report" not in text_of(sales_client.get("/admin/").content.decode())
    assert sales_client.get(url).status_code == 403
