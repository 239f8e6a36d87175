"""Refusals and references as staff read them, reached by clicking from the admin index: invoice and payment
numbers, SKUs, order numbers and plain words, linked where useful, never the API's ids (``inv_…``, ``pay_…``,
``prod_…``, ``ord_…``) or field names (``amount_refundable``). Given / when / then."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from billing import services as billing_services
from billing.models import Payment, Refund
from inventory.models import StockMovement
from sales.models import Order, OrderStatus, Return
from tests.admin.helpers import button_link, messages_text, page_form
from tests.admin.navigation import click, link, open_from_index, text_of
from tests.factories import InvoiceFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
RAW_ID = re.compile(r"\b(inv|pay|prod|ord|ret|cn|ref)_[0-9A-Z]{10,}")


def message_area(response: Any) -> str:
    """The HTML of the page's messages (links kept)."""
    page = response.content.decode()
    found = re.search(r'<ul class="messagelist[^"]*"[^>]*>(.*?)</ul>', page, re.S) or re.search(
        r'id="messages"[^>]*>(.*?)</div>\s*</div>', page, re.S)
    assert found, "no messages on the page"
    return found.group(1)


def test_a_reused_payment_reference_names_the_invoice_and_payment(finance_client: Client) -> None:
    # given an issued invoice with a payment of 100.00 under reference TXN-A
    invoice = InvoiceFactory(status="issued")
    billing_services.payment_record(invoice_id=invoice.pk, amount=Decimal("100.00"), currency="USD",
                                    payment_method="bank_transfer", reference="TXN-A", actor=None)
    payment = Payment.objects.get()
    # when finance clicks through to the invoice, presses "Record payment…" and gives TXN-A again
    page = open_from_index(finance_client, "Invoices", invoice.number)
    form_page = finance_client.get(button_link(page, "action", "record-payment"))
    form = {**page_form(form_page, "action-form"), "amount": "50.00", "reference": "TXN-A",
            "payment_method": "bank_transfer"}
    refused = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    # then the message names the invoice by its number and the payment by its amount and day, both linked
    message = messages_text(refused, "error")
    assert f"A payment with reference 'TXN-A' is already recorded on invoice {invoice.number}: the payment of " \
           "100.00 USD on" in message
    assert not RAW_ID.search(message), message
    payment_page = click(finance_client, refused, "the payment of 100.00 USD")
    assert payment_page.wsgi_request.path.endswith(f"/billing/payment/{payment.pk.replace('_', '_5F')}/change/")
    assert Payment.objects.count() == 1


def test_returning_too_much_names_the_sku(login: Any) -> None:
    # given a delivered order of 1 unit of SKU RET-1
    product = ProductFactory(sku="RET-1", stock=5)
    order = OrderFactory(status=OrderStatus.DELIVERED, lines=[(product, 1)])
    line = order.lines.get()
    sales = login("sales")
    # when sales opens the order, presses "Request return…" and asks 3 back
    form_page = click(sales, open_from_index(sales, "Orders", order.order_number), "Request return")
    form = {**page_form(form_page, "action-form"), f"quantity_{line.pk}": "3", "reason": "too big"}
    refused = sales.post(form_page.wsgi_request.path, form, follow=True)
    # then the message names the SKU, not the product's id, and nothing is returned
    message = messages_text(refused, "error")
    assert "More than can still be returned: RET-1: 3 asked back, 1 returnable." in message
    assert not RAW_ID.search(message), message
    assert not Return.objects.exists()


def test_refunding_too_much_says_it_in_plain_words(finance_client: Client) -> None:
    # given a paid invoice with no credit note (nothing owed back)
    invoice = InvoiceFactory(status="paid")
    payment = invoice.payments.get()
    # when finance clicks through to the payment and refunds 10.00
    invoice_page = open_from_index(finance_client, "Invoices", invoice.number)
    payment_page = click(finance_client, invoice_page, payment.reference)
    form_page = finance_client.get(button_link(payment_page, "action", "refund"))
    form = {**page_form(form_page, "action-form"), "amount": "10.00", "reason": "asked", "reference": "RF-X"}
    refused = finance_client.post(form_page.wsgi_request.path, form, follow=True)
    # then the message says what is owed back in words, not the API's field name
    message = messages_text(refused, "error")
    assert "A refund of 10.00 is more than the invoice owes back to the customer, 0.00" in message
    assert "amount_refundable" not in message
    assert not Refund.objects.exists()


def test_the_stock_ledger_names_orders_by_number_linked(login: Any) -> None:
    # given a confirmed order (its confirmation reserved stock)
    product = ProductFactory(sku="LED-1", stock=5)
    order = OrderFactory(status=OrderStatus.CONFIRMED, lines=[(product, 2)])
    assert StockMovement.objects.filter(reference=order.pk).exists()
    warehouse = login("warehouse")
    # when the warehouse opens "Stock ledger" from the index
    ledger = click(warehouse, warehouse.get("/admin/"), "Stock ledger")
    rows = [text_of(row) for row in ledger.content.decode().split("<tr")[1:]]
    # then the reservation's reference reads as the order's number, never its id, and links to the order
    assert any(f"Order {order.order_number}" in row for row in rows), rows
    assert not any(RAW_ID.search(row) for row in rows), rows
    order_page = warehouse.get(link(ledger, order.order_number))
    assert order_page.status_code == 200 and order.order_number in order_page.content.decode()
    # and so does the product's own ledger
    product_page = open_from_index(warehouse, "Products", "LED-1")
    assert f"Order {order.order_number}" in text_of(product_page.content.decode())
    # and so does the ledger's export
    export_page = click(warehouse, ledger, "Export")
    formats = {label: value for value, label in export_page.context["form"].fields["format"].choices}
    exported = warehouse.post(export_page.wsgi_request.get_full_path(), {"format": formats["csv"], "resource": "0"})
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    reference = lines[0].index("reference")
    assert f"Order {order.order_number}" in [line[reference] for line in lines[1:]]
    assert not RAW_ID.search(exported.content.decode())
    assert Order.objects.count() == 1


def test_the_product_ledger_names_its_references_in_one_look_up(
        login: Any, django_assert_max_num_queries: Any) -> None:
    # given a product reserved by three orders and one more (one reference each)
    product = ProductFactory(sku="MANY-1", stock=50)
    orders = [OrderFactory(status=OrderStatus.CONFIRMED, lines=[(product, 1)]) for _ in range(4)]
    warehouse = login("warehouse")
    page = open_from_index(warehouse, "Products", "MANY-1")
    shown = text_of(page.content.decode())
    assert all(f"Order {order.order_number}" in shown for order in orders)
    # then opening it again costs the same whatever the number of orders named (no query per row)
    url = page.wsgi_request.path
    with django_assert_max_num_queries(len(orders) + 25) as captured:
        warehouse.get(url)
    named = [query["sql"] for query in captured.captured_queries if '"sales_order"' in query["sql"]]
    assert len(named) == 1, named
