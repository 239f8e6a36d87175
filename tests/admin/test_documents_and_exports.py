"""Finance sends a PDF invoice from the admin, and every list exports what it shows: orders, invoices, payments
and the stock ledger to CSV and XLSX, honouring the list's filters, amounts as decimals next to their currency."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from pypdf import PdfReader

from billing.models import InvoiceStatus, Payment
from inventory import services as inventory
from sales.models import Order, OrderStatus
from tests.factories import InvoiceFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"  # the export form's format choices, in IMPORT_EXPORT_FORMATS order


def export(client: Client, changelist: str, query: str, file_format: str) -> list[list[str]]:
    """Press "Export" on the list (with its filters in the query), choose a format, read the file's rows."""
    response = client.post(f"{changelist}export/?{query}", {"format": file_format, "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    if file_format == CSV:
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def listed_numbers(client: Client, changelist: str, query: str) -> set[str]:
    return {str(obj) for obj in client.get(f"{changelist}?{query}").context["cl"].result_list}


def test_the_admins_pdf_button_downloads_the_invoice(login: Callable[..., Client]) -> None:
    # given an issued invoice
    invoice = InvoiceFactory(status=InvoiceStatus.ISSUED)
    finance = login("finance")

    # when finance presses "Download PDF" on the invoice page (the admin's quoted link)
    page = finance.get(f"/admin/billing/invoice/{quote(invoice.pk)}/change/").content.decode()
    link = f"/admin/billing/invoice/{quote(invoice.pk)}/pdf/"
    assert f'href="{link}"' in page
    response = finance.get(link)

    # then it is the invoice's PDF
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice.number in text and "259.98 USD" in text and "Amount due" in text


@pytest.mark.parametrize("file_format", [CSV, XLSX], ids=["csv", "xlsx"])
def test_orders_export_the_filtered_list(superuser_client: Client, file_format: str) -> None:
    # given confirmed USD orders, a confirmed JPY one and a draft
    usd = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(2)]
    jpy = OrderFactory(status=OrderStatus.CONFIRMED, currency="JPY")
    OrderFactory()
    query = "status__exact=confirmed&currency__exact=USD"

    # when the list is filtered to confirmed USD orders and exported
    rows = export(superuser_client, "/admin/sales/order/", query, file_format)

    # then the file has the list's rows, no others, and amounts as decimals next to their currency
    header, body = rows[0], rows[1:]
    assert header == ["order number", "customer", "status", "currency", "subtotal", "total", "on hold", "created",
                      "tracking number", "carrier"]
    assert {row[0] for row in body} == listed_numbers(superuser_client, "/admin/sales/order/", query) \
        == {order.order_number for order in usd}
    assert jpy.order_number not in {row[0] for row in body}
    for row in body:
        assert row[2:4] == ["confirmed", "USD"]
        assert Decimal(str(row[5])) == Decimal("259.98") and str(row[5]) in ("259.98", "259.98")


def test_jpy_amounts_export_without_decimals(superuser_client: Client) -> None:
    OrderFactory(currency="JPY")
    rows = export(superuser_client, "/admin/sales/order/", "currency__exact=JPY", CSV)
    assert rows[1][5] == "2600"


@pytest.mark.parametrize("file_format", [CSV, XLSX], ids=["csv", "xlsx"])
def test_payments_of_the_month_export_for_finance(login: Callable[..., Client], file_format: str) -> None:
    # given two payments on one invoice and one on another, in USD
    part = InvoiceFactory(status=InvoiceStatus.ISSUED, paid=Decimal("100.00"))
    InvoiceFactory(status=InvoiceStatus.PAID)
    finance = login("finance")
    today = Payment.objects.first().created_at.date().isoformat()
    query = f"created_at_from={today}&created_at_to={today}&amount_to=150"

    # when finance filters this month's payments up to 150 and exports them
    rows = export(finance, "/admin/billing/payment/", query, file_format)

    # then only the listed payment is in the file, with its invoice, order and amount
    header, body = rows[0], rows[1:]
    assert header == ["received", "invoice", "order", "customer", "method", "reference", "currency", "amount"]
    listed = finance.get(f"/admin/billing/payment/?{query}").context["cl"].result_list
    assert [row[5] for row in body] == [p.reference for p in listed]
    assert len(body) == 1
    assert body[0][1:3] == [part.number, part.order.order_number]
    assert body[0][6] == "USD" and Decimal(str(body[0][7])) == Decimal("100.00")


def test_invoices_export_honours_the_ageing_filter(login: Callable[..., Client]) -> None:
    issued = InvoiceFactory(status=InvoiceStatus.ISSUED)
    InvoiceFactory()
    finance = login("finance")
    rows = export(finance, "/admin/billing/invoice/", "status__exact=issued", CSV)
    assert rows[0] == ["number", "order", "customer", "status", "currency", "total", "amount paid", "amount due",
                       "issued", "due"]
    assert [row[0] for row in rows[1:]] == [issued.number]
    assert rows[1][5:8] == ["259.98", "0.00", "259.98"]


def test_stock_ledger_exports_one_products_movements(login: Callable[..., Client]) -> None:
    # given a product with an initial stock and an adjustment, and another product
    desk = ProductFactory(sku="DESK-STD", stock=10)
    inventory.stock_adjust(product=desk, quantity_delta=-3, reason="damaged", actor=None)
    ProductFactory(stock=4)
    warehouse = login("warehouse")

    # when the warehouse filters the ledger to the desk and exports it
    rows = export(warehouse, "/admin/inventory/stockmovement/", f"product__id__exact={desk.pk}", CSV)

    # then the desk's movements, oldest first, with their warehouse and balance
    assert rows[0] == ["when", "SKU", "product", "warehouse", "kind", "change", "balance after", "reason",
                       "reference", "by"]
    assert [(r[1], r[3], r[4], r[5], r[6]) for r in rows[1:]] == [("DESK-STD", "MAIN", "initial", "10", "10"),
                                                                    ("DESK-STD", "MAIN", "adjustment", "-3", "7")]


def test_sales_cannot_export_payments(sales_client: Client) -> None:
    assert sales_client.post("/admin/billing/payment/export/", {"format": CSV}).status_code == 403
    assert Order.objects.count() == 0
