"""The customers back-office: a customer's orders and open invoices on their page. Given / when / then."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from billing import services as billing
from billing.models import Invoice
from sales import services
from sales.models import Customer, OrderStatus
from tests.admin.helpers import management
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def url(customer: Customer) -> str:
    return f"/admin/sales/customer/{customer.pk}/change/"


def test_customer_page_shows_orders_and_open_invoices(sales_client: Client) -> None:
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
        assert f'href="/admin/sales/order/{order.pk}/change/"' in page, order.status
        assert order.order_number in page
    assert other.order_number not in page
    orders_html = page.split('id="orders-group"')[1]
    for status in ("draft", "confirmed", "shipped", "delivered", "cancelled"):
        assert f">{status}<" in orders_html
    assert "259.98 USD" in orders_html

    # and the open invoices (draft or issued) with what is due; paid and void ones are not open
    open_invoices = open_invoices_field(page)
    confirmed_invoice = Invoice.objects.get(order=confirmed)
    assert f'href="/admin/billing/invoice/{confirmed_invoice.pk}/change/">draft</a> (259.98 USD due)' in open_invoices
    assert f'href="/admin/billing/invoice/{part_invoice.pk}/change/">{part_invoice.number}</a> (200.00 USD due)' \
        in open_invoices
    assert paid_invoice.number not in open_invoices
    assert Invoice.objects.get(order=cancelled).pk not in open_invoices


def test_customer_without_invoices_shows_none(sales_client: Client) -> None:
    customer = CustomerFactory()
    assert open_invoices_field(sales_client.get(url(customer)).content.decode()) == "none"


def open_invoices_field(page: str) -> str:
    """The read-only "open invoices" value on the customer page."""
    field = page.split('class="form-row field-open_invoices"')[1]
    return field.split('<div class="readonly">')[1].split("</div>")[0].strip()


def test_customer_orders_inline_is_read_only(sales_client: Client) -> None:
    # given a customer with an order
    customer = CustomerFactory(name="Acme Retail")
    order = OrderFactory(customer=customer)
    # when sales renames the customer, posting an order row as well
    response = sales_client.post(url(customer), {
        "name": "Acme Retail Inc", "email": customer.email, "phone": "", "default_shipping_address":
        '{"line1": "123 Commerce St", "city": "Austin", "country": "US"}',
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
