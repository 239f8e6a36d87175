"""The invoice and credit note as documents with taxes: the PDF (its text extracted as a reader would) and the
printable page show each line's rate, the charges, the breakdown per rate (taxable amount, rate, tax), the
seller's and the customer's tax ids, and the exemption reason of an exempt customer. Given / when / then."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from billing.documents import invoice_html
from billing.models import Invoice
from tests.admin.navigation import text_of
from tests.factories import CreditNoteFactory, CustomerFactory
from tests.taxes.helpers import AUSTIN

from .tax_helpers import ensure_german_rates, product, tax_settings, taxed_order
from .test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db
SELLER = {"name": "SynthesQ Sales Demo Ltd", "address": ["1 Market Street"], "email": "billing@synthesq.example",
          "tax_id": "DE999999999"}


def german_invoice(*, customer: Any = None) -> Invoice:
    """2 desks at 100.00 (19 %), 3 books at 10.00 (7 %), shipping 5.00 (19 %), to Berlin, issued by a payment."""
    ensure_german_rates()
    tax_settings()
    order = taxed_order([(product("100.00"), 2), (product("10.00", tax_class="reduced"), 3)], status="confirmed",
                        charges=[{"kind": "shipping", "amount": "5.00", "description": "DHL Paket"}],
                        customer=customer or CustomerFactory(tax_id="DE123456789"))
    return Invoice.objects.get(order=order)


BREAKDOWN = ["Tax breakdown", "USt 19% (DE) 19.00% 205.00 USD 38.95 USD", "USt 7% (DE) 7.00% 30.00 USD 2.10 USD"]


@override_settings(SELLER=SELLER)
def test_the_invoice_pdf_shows_rates_charges_breakdown_and_tax_ids(finance_api: APIClient) -> None:
    # given a German invoice with a standard and a reduced line and shipping, to a customer with a VAT number
    invoice = german_invoice()
    # when finance downloads its PDF
    response = finance_api.get(f"/api/v1/sales/invoices/{invoice.pk}/pdf")
    # then it shows each line's rate, the shipping charge, the totals, the breakdown and both tax ids
    assert response.status_code == 200
    text = " ".join(pdf_text(response.content).split())
    for expected in ("19.00% 200.00 USD", "7.00% 30.00 USD", "DHL Paket", "Shipping", "Subtotal (net) 230.00 USD",
                     "Charges (net) 5.00 USD", "Tax 41.05 USD", "Total 276.05 USD", *BREAKDOWN,
                     "Tax ID DE999999999", "Tax ID DE123456789"):
        assert expected.lower() in text.lower(), (expected, text)  # the labels are printed in capitals


@override_settings(SELLER=SELLER)
def test_the_printable_invoice_shows_the_same_figures() -> None:
    invoice = german_invoice()
    text = text_of(invoice_html(invoice))
    for expected in ("19.00% 200.00 USD", "DHL Paket", "Tax 41.05 USD", *BREAKDOWN, "Tax ID DE999999999",
                     "Tax ID DE123456789"):
        assert expected in text, (expected, text)


def test_an_exempt_customer_s_invoice_prints_the_reason_and_no_tax(finance_api: APIClient) -> None:
    # given an exempt customer's German order
    customer = CustomerFactory(tax_exempt=True, tax_exempt_reason="Intra-community supply, Art. 138 VAT Directive")
    invoice = german_invoice(customer=customer)
    # when its PDF is read
    text = " ".join(pdf_text(finance_api.get(f"/api/v1/sales/invoices/{invoice.pk}/pdf").content).split())
    # then the reason is printed, and the lines are untaxed
    assert "TAX EXEMPT Intra-community supply, Art. 138 VAT Directive" in text
    assert "Tax 0.00 USD" in text and "Total 235.00 USD" in text


def test_a_credit_note_pdf_shows_its_net_tax_and_breakdown(finance_api: APIClient) -> None:
    # given 27.61 credited on the German invoice (a tenth of its gross)
    invoice = german_invoice()
    note = CreditNoteFactory(invoice=invoice, amount=Decimal("27.61"))
    # when its PDF is read
    response = finance_api.get(f"/api/v1/sales/credit-notes/{note.pk}/pdf")
    text = " ".join(pdf_text(response.content).split())
    # then it shows the net, the tax and the breakdown it stored
    assert (note.net_total + note.tax_total, note.total) == (Decimal("27.61"), Decimal("27.61"))
    for row in note.taxes:
        assert f"{row['name']} (DE)" in text and f"{row['taxable_amount']} USD {row['tax_amount']} USD" in text
    assert f"Net credited {note.net_total:.2f} USD" in text and f"Tax credited {note.tax_total:.2f} USD" in text


def test_an_untaxed_invoice_prints_no_breakdown() -> None:
    # given an order to Austin, TX, where no rate is configured
    ensure_german_rates()
    tax_settings()
    invoice = Invoice.objects.get(order=taxed_order([(product("129.99"), 2)], status="confirmed", address=AUSTIN))
    # then its printable page shows the untaxed line and no breakdown table
    text = text_of(invoice_html(invoice))
    assert "0.00% 259.98 USD" in text and "Tax 0.00 USD" in text and "Total 259.98 USD" in text
    assert "Tax breakdown" not in text
