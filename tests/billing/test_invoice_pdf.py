"""The invoice as a PDF: from the API (sales and finance roles) and from the admin's button, the same document as
the printable page. The PDF parses (pypdf) and says the number, the total, the payments and the amount due."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.models import InvoiceStatus
from tests.factories import InvoiceFactory
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_finance_downloads_an_issued_part_paid_invoice_as_pdf(finance_api) -> None:
    # given an issued invoice of 259.98 USD with 100.00 paid
    invoice = InvoiceFactory(status=InvoiceStatus.ISSUED, paid=Decimal("100.00"))

    # when finance asks for its PDF
    response = finance_api.get(f"/api/v1/sales/invoices/{invoice.pk}/pdf")

    # then a PDF with the issuer, number, order, total, payment and amount due
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    text = pdf_text(response.content)
    for expected in (invoice.number, invoice.order.order_number, "SynthesQ Sales Demo Ltd", "259.98 USD",
                     "100.00 USD", "159.98 USD", "Amount due", invoice.customer_name):
        assert expected in text, expected


def test_sales_may_download_a_draft_invoice(sales_api) -> None:
    invoice = InvoiceFactory()
    response = sales_api.get(f"/api/v1/sales/invoices/{invoice.pk}/pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert "DRAFT" in pdf_text(response.content)


def test_warehouse_may_not_and_unknown_invoices_are_404_as_problem_details(warehouse_api, finance_api) -> None:
    invoice = InvoiceFactory()
    refused = warehouse_api.get(f"/api/v1/sales/invoices/{invoice.pk}/pdf")
    assert_problem(refused, 403, "permission_denied")
    missing = finance_api.get("/api/v1/sales/invoices/inv_01JNABCDEFGHJKMNPQRSTVWXYZ/pdf")
    assert_problem(missing, 404, "not_found")
