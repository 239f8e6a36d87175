"""The customers back-office: a customer's orders and invoices on their page, the address as postal fields.
Given / when / then."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from billing import services as billing
from billing.models import Invoice
from sales import services
from sales.models import Customer, OrderStatus
from tests.admin.helpers import management
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def url(customer: Customer) -> str:
    return f"/admin/sales/customer/{quote(customer.pk)}/change/"


def test_customer_page_shows_orders_and_invoices_with_amounts_due(sales_client: Client) -> None:
    # given a customer with a draft order, a confirmed one (draft invoice), an issued part-paid one,
    # a paid one and a cancelled one (void invoice); and another customer's order
    customer = CustomerFactory(name="Acme Retail")
    draft = OrderFactory(customer=customer)
    confirmed = OrderFactory(customer=customer, status=OrderStatus.CONFIRMED)
    part_paid = OrderFactory(customer=customer, status=OrderStatus.SHIPPED)
    paid = OrderFactory(customer=customer, status=OrderStatus.DELIVERED)
    cancelled = OrderFactory(customer=customer, status=OrderStatus.CONFIRMED)
    services.order_cancel(order_id=cancelled.pk, actor=None, reason="changed their mind")
    other = OrderFactory()
    part_invoice = billing.invoice_issue(invoice_id=Invoice.objects.get(order=part_paid).pk, actor=None)
    billing.payment_record(invoice_id=part_invoice.pk, amount=Decimal("59.98"), currency="USD",
                           payment_method="card", reference="AUTH-1", actor=None)
    paid_invoice = Invoice.objects.get(order=paid)
    billing.payment_record(invoice_id=paid_invoice.pk, amount=Decimal("259.98"), currency="USD",
                           payment_method="card", reference="AUTH-2", actor=None)
    paid_invoice.refresh_from_db()

    # when sales opens the customer
    response = sales_client.get(url(customer))

    # then all of their orders are listed, linked, with status and total; not the other customer's
    assert response.status_code == 200
    page = response.content.decode()
    for order in (draft, confirmed, part_paid, paid, cancelled):
        assert f'href="/admin/sales/order/{quote(order.pk)}/change/"' in page, order.status
        assert order.order_number in page
    assert other.order_number not in page
    orders_html = page.split('id="orders-group"')[1]
    for status in ("draft", "confirmed", "shipped", "delivered", "cancelled"):
        assert f">{status}<" in orders_html
    assert "259.98 USD" in orders_html

    # and every invoice with its number (or "Draft invoice"), order, status and what is due
    invoices_html = page.split('id="invoices-group"')[1]
    rows = {row_text for row_text in invoice_rows(invoices_html)}
    confirmed_invoice = Invoice.objects.get(order=confirmed)
    assert any(r.startswith(f"Draft invoice (Acme Retail) {confirmed.order_number} draft 259.98 USD 259.98 USD")
               for r in rows), rows
    assert any(r.startswith(f"{part_invoice.number} {part_paid.order_number} issued 259.98 USD 200.00 USD")
               for r in rows), rows
    assert any(r.startswith(f"{paid_invoice.number} {paid.order_number} paid 259.98 USD 0.00 USD") for r in rows)
    assert f'href="/admin/billing/invoice/{quote(confirmed_invoice.pk)}/change/"' in invoices_html
    assert other.order_number not in invoices_html


def invoice_rows(section: str) -> list[str]:
    """The text of each row of the customer page's invoices table."""
    body = section.split("</fieldset>")[0]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", "<tr" + row)).split()) for row in body.split("<tr")[1:]]


def test_customer_without_invoices_lists_none(sales_client: Client) -> None:
    customer = CustomerFactory()
    page = sales_client.get(url(customer)).content.decode()
    assert "Draft invoice" not in page.split('id="invoices-group"')[1]


def test_customer_orders_inline_is_read_only(sales_client: Client) -> None:
    # given a customer with an order
    customer = CustomerFactory(name="Acme Retail")
    order = OrderFactory(customer=customer)
    # when sales renames the customer, posting an order row as well
    response = sales_client.post(url(customer), {
        "name": "Acme Retail Inc", "email": customer.email, "phone": "", "ship_line1": "123 Commerce St",
        "ship_city": "Austin", "ship_country": "US", **management("invoices"),
        **management("orders", 1, 1), "orders-0-id": order.pk, "orders-0-customer": customer.pk,
        "orders-0-status": "closed", "_save": "Save",
    })
    # then the customer is renamed (through the service), the order untouched
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Acme Retail Inc"
    order.refresh_from_db()
    assert order.status == "draft"


def test_customer_list_and_search(sales_client: Client) -> None:
    CustomerFactory(name="Acme Retail", email="orders@acme.example")
    CustomerFactory(name="Globex GmbH", email="einkauf@globex.example")
    response = sales_client.get("/admin/sales/customer/", {"q": "globex"})
    assert [c.name for c in response.context["cl"].result_list] == ["Globex GmbH"]
    assert "einkauf@globex.example" in response.content.decode()
