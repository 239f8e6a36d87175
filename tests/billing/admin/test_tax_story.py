"""The issue's "done when" story: a German customer's order with a standard and a reduced line plus shipping,
confirmed, invoiced, half paid, one line returned and credited, shows the same figures, to the cent, in the API,
the admin's printable invoice, the PDFs, the events and the tax report, under both rounding modes.

The prices are chosen so that the modes differ: the desk (2.55) and the shipping (2.55) each carry 0.4845 of tax
at 19 %; rounded per line that is 0.48 + 0.48 = 0.96, rounded once for the document 0.969 = 0.97, whose extra cent
goes to the earlier item (the desk: 0.49). The books (2 x 10.00 at 7 %) carry 1.40 either way."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from billing.models import Invoice
from integrations.models import Event
from tests.admin.navigation import click, open_from_index, readonly_fields, text_of
from tests.billing.helpers import CREDIT_NOTES_URL, PAYMENTS_URL, invoice_url
from tests.billing.tax_helpers import BERLIN, ensure_german_rates, product, tax_settings
from tests.billing.test_invoice_pdf import pdf_text
from tests.factories import CustomerFactory
from tests.sales.helpers import ORDERS_URL, TRACKING, order_returns_url, return_body, return_url, status_url

pytestmark = pytest.mark.django_db
D = Decimal
# rounding -> (invoice tax, invoice total, desk's tax credited)
EXPECTED = {"line": ("2.36", "27.46", "0.48"), "document": ("2.37", "27.47", "0.49")}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return dict(response.json())


def the_story(api: APIClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Order, confirm, pay half, deliver, return the desk and credit it; the invoice and credit note after."""
    desk, books = product("2.55"), product("10.00", tax_class="reduced")
    customer = CustomerFactory(default_shipping_address=BERLIN, tax_id="DE123456789")
    order = ok(api.post(ORDERS_URL, {
        "customer_id": customer.pk, "currency": "USD", "shipping_address": BERLIN,
        "line_items": [{"product_id": desk.pk, "quantity": 1}, {"product_id": books.pk, "quantity": 2}],
        "charges": [{"kind": "shipping", "description": "DHL", "amount": "2.55", "tax_class": "standard"}],
    }, format="json"), 201)
    ok(api.patch(status_url(order["id"]), {"status": "confirmed"}, format="json"))
    invoice = Invoice.objects.get(order_id=order["id"])
    half = (invoice.total / 2).quantize(D("0.01"), rounding="ROUND_DOWN")
    ok(api.post(PAYMENTS_URL, {"invoice_id": invoice.pk, "amount": str(half), "currency": "USD",
                               "payment_method": "card", "reference": "half"}, format="json"), 201)
    for target, extra in (("processing", {}), ("shipped", TRACKING), ("delivered", {})):
        ok(api.patch(status_url(order["id"]), {"status": target, **extra}, format="json"))
    return_ = ok(api.post(order_returns_url(order["id"]), return_body((desk.pk, 1)), format="json"), 201)
    for target in ("received", "credited"):
        ok(api.patch(return_url(return_["id"], "/status"), {"status": target}, format="json"))
    [note] = ok(api.get(f"{CREDIT_NOTES_URL}?invoice_id={invoice.pk}"))["results"]
    return ok(api.get(invoice_url(invoice.pk))), note


def printed_rows(rows: list[dict[str, Any]]) -> list[str]:
    """Breakdown rows as the documents print them."""
    return [f"{row['name']} (DE) {D(row['rate']).quantize(D('0.01'))}% {row['taxable_amount']} USD "
            f"{row['tax_amount']} USD" for row in rows]


@pytest.mark.parametrize("rounding", ["line", "document"])
def test_the_same_figures_everywhere(client_for: Callable[..., APIClient], login: Callable[..., Client],
                                     rounding: str) -> None:
    # given German rates under this rounding mode, and the story played through the API
    ensure_german_rates()
    tax_settings(rounding=rounding)
    api = client_for("sales", "finance", "warehouse")
    invoice, note = the_story(api)
    tax, total, desk_tax = EXPECTED[rounding]
    # then the API's figures are the hand-computed ones
    assert (invoice["tax_total"], invoice["total"], invoice["tax_rounding"]) == (tax, total, rounding)
    assert (note["net_total"], note["tax_total"], note["total"]) == ("2.55", desk_tax, str(D("2.55") + D(desk_tax)))
    assert [(r["name"], r["tax_amount"]) for r in note["taxes"]] == [("USt 19%", desk_tax)]
    assert D(invoice["amount_due"]) == D(total) - D(invoice["amount_paid"]) - D(note["total"])
    # and the printable invoice, reached by clicking in the admin, and the PDF print the same breakdown
    finance = login("finance")
    page = click(finance, open_from_index(finance, "Invoices", invoice["number"]), "Printable invoice")
    printed = text_of(page.content.decode())
    pdf = " ".join(pdf_text(api.get(invoice_url(invoice["id"], "/pdf")).content).split())
    note_pdf = " ".join(pdf_text(api.get(f"{CREDIT_NOTES_URL}/{note['id']}/pdf").content).split())
    for row in printed_rows(invoice["taxes"]):
        assert row in printed and row in pdf, row
    for text in (printed, pdf):
        assert f"Tax {tax} USD" in text and f"Total {total} USD" in text
    assert printed_rows(note["taxes"])[0] in note_pdf and f"Tax credited {desk_tax} USD" in note_pdf
    note_page = readonly_fields(open_from_index(finance, "Credit notes", note["number"]))
    assert note_page["Net and tax"] == f"net 2.55 USD · tax {desk_tax} USD (USt 19% {desk_tax})"
    # and the events carry the same documents
    created = Event.objects.get(type="invoice.created", object_id=invoice["id"]).data["object"]
    issued = Event.objects.get(type="credit_note.issued", object_id=note["id"]).data["object"]
    assert (created["taxes"], created["tax_total"], created["total"]) == (invoice["taxes"], tax, total)
    assert (issued["taxes"], issued["net_total"], issued["tax_total"], issued["total"]) == (
        note["taxes"], note["net_total"], note["tax_total"], note["total"])
    # and the tax report of the month is the invoice less the credit note, rate by rate
    period = invoice["issued_at"][:8] + "01"
    report = ok(api.get(f"/api/v1/sales/reports/tax?from={period}&to={invoice['issued_at'][:10]}"))
    credited = {row["name"]: row for row in note["taxes"]}
    assert [(r["name"], r["taxable_amount"], r["tax_amount"]) for r in report["rows"]] == [
        (row["name"], str(D(row["taxable_amount"]) - D(credited.get(row["name"], {}).get("taxable_amount", 0))),
         str(D(row["tax_amount"]) - D(credited.get(row["name"], {}).get("tax_amount", 0))))
        for row in sorted(invoice["taxes"], key=lambda r: r["name"])]
