"""The tax report (GET /api/v1/sales/reports/tax, finance): per currency, country, region, rate name and percent,
the invoices issued in the period less the credit notes issued in it, a total per currency; it equals the sum of
the documents it covers. Given / when / then."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services
from billing.api.serializers import TaxReportSerializer
from billing.models import CreditNote, Invoice
from billing.representations import tax_report_representation
from billing.selectors import month_so_far
from billing.tax_report import tax_report
from tests.factories import CreditNoteFactory
from tests.representation_parity import assert_renders_as_declared

from .helpers import assert_problem
from .tax_helpers import ensure_german_rates, product, return_credited, tax_settings, taxed_order

pytestmark = pytest.mark.django_db
D = Decimal
REPORT_URL = "/api/v1/sales/reports/tax"
SHIPPING = [{"kind": "shipping", "amount": "5.00", "description": "DHL"}]


def issued(order: Any) -> Invoice:
    invoice = Invoice.objects.get(order=order)
    if invoice.status == "draft":
        services.invoice_transition(invoice_id=invoice.pk, status="issued", actor=None)
    return Invoice.objects.get(pk=invoice.pk)


def documents_period() -> dict[str, Any]:
    """Invoices and credit notes in and out of this month, in USD and EUR (German rates, one untaxed product)."""
    ensure_german_rates()
    tax_settings()
    desk, book, gift = product("100.00"), product("10.00", tax_class="reduced"), product("3.00", tax_class="zero")
    in_usd = issued(taxed_order([(desk, 2), (book, 3), (gift, 1)], charges=SHIPPING))
    in_eur = issued(taxed_order([(product("50.00", currency="EUR"), 1)], currency="EUR", charges=SHIPPING))
    last_month = issued(taxed_order([(product("80.00"), 1)]))
    Invoice.objects.filter(pk=last_month.pk).update(issued_at=timezone.now() - timedelta(days=40))
    draft = Invoice.objects.get(order=taxed_order([(product("70.00"), 1)], status="confirmed"))
    void = issued(taxed_order([(product("60.00"), 1)], status="confirmed"))
    services.invoice_transition(invoice_id=void.pk, status="void", reason="mistake", actor=None)
    # credit notes this month: a returned desk of this month's USD invoice, 27.01 on last month's invoice
    return_credited(in_usd.order, [(desk.pk, 1)])
    CreditNoteFactory(invoice=last_month, amount=D("27.01"))
    old_note = CreditNoteFactory(invoice=in_eur, amount=D("5.00"))
    CreditNote.objects.filter(pk=old_note.pk).update(issued_at=timezone.now() - timedelta(days=40))
    return {"covered_invoices": [in_usd, in_eur], "draft": draft,
            "covered_notes": list(CreditNote.objects.exclude(pk=old_note.pk))}


def summed(invoices: Iterable[Invoice], notes: Iterable[CreditNote]) -> dict[tuple[str, ...], tuple[D, D]]:
    """What the report must say: the documents' stored breakdowns, invoices less credit notes."""
    sums: dict[tuple[str, ...], list[D]] = defaultdict(lambda: [D(0), D(0)])
    for sign, documents in ((1, invoices), (-1, notes)):
        for document in documents:
            document.refresh_from_db()
            for row in document.taxes:
                key = (document.currency, row["country"], row["region"], row["name"], row["rate"])
                sums[key][0] += sign * D(row["taxable_amount"])
                sums[key][1] += sign * D(row["tax_amount"])
    return {key: (taxable, tax) for key, (taxable, tax) in sums.items()}


def as_figures(body: dict[str, Any]) -> dict[tuple[str, ...], tuple[D, D]]:
    return {(row["currency"], row["country"], row["region"], row["name"], row["rate"]):
            (D(row["taxable_amount"]), D(row["tax_amount"])) for row in body["rows"]}


def this_month() -> str:
    first, _ = month_so_far()
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return f"from={first.isoformat()}&to={last.isoformat()}"


def test_the_report_is_the_period_s_invoices_less_its_credit_notes(finance_api: APIClient) -> None:
    # given invoices and credit notes in and out of this month, in two currencies
    given = documents_period()
    # when finance asks for this month's tax report
    response = finance_api.get(f"{REPORT_URL}?{this_month()}")
    # then it is the sum of the documents it covers: the month's issued invoices less the month's credit notes
    assert response.status_code == 200, response.content
    body = response.json()
    assert as_figures(body) == summed(given["covered_invoices"], given["covered_notes"])
    # and by hand, USD at 19 %: 2 desks, shipping 5.00 (205.00, 38.95), less a returned desk (100.00, 19.00) and
    # the 19 % part of 27.01 on last month's 80.00 + 15.20 invoice (22.70, 4.31): 82.30 and 15.64
    assert as_figures(body)[("USD", "DE", "", "USt 19%", "19.0000")] == (D("82.30"), D("15.64"))
    assert as_figures(body)[("USD", "", "", "", "0.0000")] == (D("3.00"), D("0.00"))
    # and one total per currency, summing its rows
    assert [(t["currency"], t["tax_amount"]) for t in body["totals"]] == [("EUR", "10.45"), ("USD", "17.74")]
    for total in body["totals"]:
        rows = [row for row in body["rows"] if row["currency"] == total["currency"]]
        assert D(total["taxable_amount"]) == sum(D(row["taxable_amount"]) for row in rows)
        assert D(total["tax_amount"]) == sum(D(row["tax_amount"]) for row in rows)


def test_a_period_without_documents_is_empty(finance_api: APIClient) -> None:
    body = finance_api.get(f"{REPORT_URL}?from=2020-01-01&to=2020-01-31").json()
    assert body == {"from": "2020-01-01", "to": "2020-01-31", "rows": [], "totals": []}


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-12-01", "to"), ("from=2026-13-01&to=2026-12-31", "from"), ("from=2026-12-01&to=31.12.2026", "to"),
    ("from=2026-12-31&to=2026-12-01", "to"),
])
def test_bad_dates_are_400_naming_them(finance_api: APIClient, query: str, field: str) -> None:
    response = finance_api.get(f"{REPORT_URL}?{query}")
    assert_problem(response, 400, "validation_error")
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize("role", ["sales", "warehouse", "integrations"])
def test_only_finance_reads_the_tax_report(client_for: Any, role: str) -> None:
    assert_problem(client_for(role).get(f"{REPORT_URL}?{this_month()}"), 403, "permission_denied")


def test_the_report_renders_as_its_schema_declares() -> None:
    documents_period()
    first, last = month_so_far()
    assert_renders_as_declared(TaxReportSerializer, tax_report_representation(tax_report(first_day=first,
                                                                                      last_day=last)))


def test_the_schema_documents_the_report_as_one_object_not_an_array() -> None:
    # given the served OpenAPI document
    schema = Client().get("/api/v1/schema/?format=json").json()
    # when the tax report's 200 is read
    success = schema["paths"][REPORT_URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    # then it is the report itself, as the API answers it
    assert success == {"$ref": "#/components/schemas/TaxReport"}
