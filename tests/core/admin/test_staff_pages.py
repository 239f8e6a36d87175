"""What staff meet on the working pages, reached by clicking from the admin index: a product picker that offers
only what can be sold, with price and stock; no red ✕ for the ordinary "not on hold" or "not overdue"; payment
exports in words and spreadsheet types; the pick list with its lines; a return's window in words.
Given / when / then."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client

from billing.models import InvoiceStatus
from inventory import services as inventory_services
from sales import services
from sales.models import OrderStatus
from tests.admin.navigation import click, link, open_from_index, readonly_fields, text_of
from tests.factories import InvoiceFactory, OrderFactory, ProductFactory, ReturnFactory
from tests.sales.helpers import days_ago, delivered_order, put_on_hold

pytestmark = pytest.mark.django_db
RED_CROSS = "close_small"  # the admin's boolean "False" icon, on a red background


def rows(response: Any) -> list[str]:
    """The change list's table rows, as HTML."""
    page = response.content.decode()
    return page[page.index("<tbody"):].split("<tr")[1:]


# --- the order-line product picker -----------------------------------------------------------------------


def test_the_product_picker_offers_what_can_be_sold_with_price_and_stock(sales_client: Client) -> None:
    # given a plain product, a parent with a variant, and an inactive product
    desk = ProductFactory(sku="DESK-STD", name="Standing desk", price=Decimal("19.00"), stock=5)
    tee = ProductFactory(sku="TEE", name="Logo T-shirt")
    tee_m = ProductFactory(sku="TEE-M", name="Logo T-shirt M", parent=tee, price=Decimal("1300"), currency="JPY")
    ProductFactory(sku="OLD-1", inactive=True)
    # when sales opens "Add order" and types in a line's product picker (the request the picker makes)
    page = click(sales_client, click(sales_client, sales_client.get("/admin/"), "Orders"), "Add order")
    picker = re.search(r'<select[^>]+name="lines-0-product"[^>]*>', page.content.decode())
    assert picker, "no product picker on the first line"
    url = html.unescape(re.search(r'data-ajax--url="([^"]+)"', picker.group(0)).group(1))  # type: ignore[union-attr]
    found = sales_client.get(url, {"term": "", "app_label": "sales", "model_name": "orderline",
                                   "field_name": "product"})
    assert found.status_code == 200
    offered = {item["id"]: item["text"] for item in found.json()["results"]}
    # then only sellable products are offered, each with its price and stock
    assert set(offered) == {desk.pk, tee_m.pk}
    assert offered[desk.pk] == "DESK-STD Standing desk · 19.00 USD · 5 in stock"
    assert offered[tee_m.pk] == "TEE-M Logo T-shirt M · 1300 JPY · 0 in stock"
    # and a search narrows it as before
    found = sales_client.get(url, {"term": "desk", "app_label": "sales", "model_name": "orderline",
                                   "field_name": "product"})
    assert [item["id"] for item in found.json()["results"]] == [desk.pk]


# --- flags, not red crosses ------------------------------------------------------------------------------


def test_not_on_hold_and_not_overdue_are_not_red_crosses(login: Any) -> None:
    # given an order on hold and one not; an overdue invoice and one not yet due
    held = OrderFactory(status=OrderStatus.CONFIRMED)
    put_on_hold(held)
    calm = OrderFactory(status=OrderStatus.CONFIRMED)
    finance = login("finance")
    listing = click(finance, finance.get("/admin/"), "Orders")
    held_row = next(row for row in rows(listing) if held.order_number in row)
    calm_row = next(row for row in rows(listing) if calm.order_number in row)
    # then the held order is flagged "On hold", the other shows nothing alarming
    assert "On hold" in text_of(held_row) and RED_CROSS not in held_row
    assert "On hold" not in text_of(calm_row) and RED_CROSS not in calm_row
    # and likewise "Overdue" on the invoices list
    overdue = InvoiceFactory(status=InvoiceStatus.ISSUED)
    overdue.__class__.objects.filter(pk=overdue.pk).update(due_at=days_ago(3))
    current = InvoiceFactory(status=InvoiceStatus.ISSUED)
    invoices = click(finance, finance.get("/admin/"), "Invoices")
    overdue_row = next(row for row in rows(invoices) if overdue.number in row)
    current_row = next(row for row in rows(invoices) if current.number in row)
    assert "Overdue" in text_of(overdue_row) and RED_CROSS not in overdue_row
    assert "Overdue" not in text_of(current_row) and RED_CROSS not in current_row


# --- payment exports ---------------------------------------------------------------------------------------


def export_xlsx(client: Client, listing: Any) -> Any:
    """Press "Export" on the list, choose XLSX, open the file as a spreadsheet."""
    form_page = client.get(link(listing, "Export"))
    assert form_page.status_code == 200
    choices = dict((label, value) for value, label in form_page.context["form"].fields["format"].choices)
    response = client.post(form_page.wsgi_request.get_full_path(), {"format": choices["xlsx"], "resource": "0"})
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def test_payment_exports_read_as_staff_expect(finance_client: Client) -> None:
    # given a payment in USD (by bank transfer) and one in JPY
    InvoiceFactory(status=InvoiceStatus.PAID)
    InvoiceFactory(status=InvoiceStatus.PAID, currency="JPY", lines=None)
    # when finance opens "Payments" from the index and exports it to XLSX
    sheet = export_xlsx(finance_client, click(finance_client, finance_client.get("/admin/"), "Payments"))
    header = [cell.value for cell in sheet[1]]
    body = {row[header.index("currency")].value: row for row in sheet.iter_rows(min_row=2)}
    usd, jpy = body["USD"], body["JPY"]
    # then the method is in words, amounts are numbers with the currency's decimals, times are date-times
    assert usd[header.index("method")].value == "Bank transfer"
    amount = usd[header.index("amount")]
    assert isinstance(amount.value, int | float) and amount.number_format == "#,##0.00"
    assert Decimal(str(amount.value)) == Decimal("259.98")
    assert jpy[header.index("amount")].number_format == "#,##0"
    received = usd[header.index("received")]
    assert isinstance(received.value, datetime) and received.number_format == "yyyy-mm-dd hh:mm"


def test_stock_ledger_exports_quantities_as_numbers(login: Any) -> None:
    # given a desk with 10 in stock, 3 of them written off
    desk = ProductFactory(sku="DESK-STD", stock=10)
    inventory_services.stock_adjust(product=desk, quantity_delta=-3, reason="damaged", actor=None)
    warehouse = login("warehouse")
    # when the warehouse opens "Stock ledger" from the index and exports it to XLSX
    sheet = export_xlsx(warehouse, click(warehouse, warehouse.get("/admin/"), "Stock ledger"))
    header = [cell.value for cell in sheet[1]]
    body = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    # then changes and balances are numbers, times are date-times
    assert [(row[header.index("change")], row[header.index("balance after")]) for row in body] == [(10, 10), (-3, 7)]
    assert all(isinstance(row[header.index("when")], datetime) for row in body)


# --- the pick list -------------------------------------------------------------------------------------------


def test_the_pick_list_shows_the_lines_to_pick(login: Any) -> None:
    # given a confirmed order of 2 DESK-STD and 1 LAMP-1
    desk = ProductFactory(sku="DESK-STD", name="Standing desk", stock=5)
    lamp = ProductFactory(sku="LAMP-1", name="Desk lamp", stock=5)
    order = OrderFactory(status=OrderStatus.CONFIRMED, lines=[(desk, 2), (lamp, 1)])
    warehouse = login("warehouse")
    # when the warehouse opens "To pick" from the index
    listing = click(warehouse, warehouse.get("/admin/"), "To pick")
    row = text_of(next(row for row in rows(listing) if order.order_number in row))
    # then the order's row lists what to pick
    assert "2 × DESK-STD Standing desk" in row and "1 × LAMP-1 Desk lamp" in row  # noqa: RUF001


# --- a return's window ---------------------------------------------------------------------------------------


def test_a_return_page_says_in_words_whether_the_window_was_waived(login: Any) -> None:
    finance = login("finance")
    # given a return asked within the window, and one after it that finance waived
    within = ReturnFactory()
    late_order = delivered_order(days_ago(400))
    line = late_order.lines.get()
    waived = services.return_request(order_id=late_order.pk, reason="late", actor=finance.user,
                                     waive_return_window=True,
                                     lines=[services.ReturnLineInput(product_id=line.product_id, quantity=1,
                                                                     restock=False)])
    # when finance opens each from the returns list
    for return_, words, on_receipt in (
            (within, "Requested within the return window", "Back to stock"),
            (waived, "Waived: requested after the return window had ended, which finance waived", "Not restocked")):
        page = open_from_index(finance, "Returns", return_.return_number)
        # then the window, and what becomes of each line on receipt, read in words, with no red cross
        assert readonly_fields(page)["Return window"] == words
        assert on_receipt in text_of(page.content.decode())
        assert RED_CROSS not in page.content.decode()
