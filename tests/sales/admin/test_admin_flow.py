"""The guide's whole flow in the admin alone: 2 x 129.99 USD, confirmed, processing, shipped with tracking
1Z999AA10123456784 / UPS, delivered, closed waiving the return window, paid 259.98. Given / when / then."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from billing.models import Invoice
from inventory.models import Product, StockMovement
from sales.models import Order
from tests.admin.helpers import data_attrs, form_errors, management, messages_text, move_buttons
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

TRACKING, CARRIER = "1Z999AA10123456784", "UPS"


@pytest.fixture
def guide() -> tuple[object, Product]:
    """The guide's customer and the standing desk at 129.99 USD with 50 in stock."""
    return (CustomerFactory(name="Acme Retail", email="orders@acme.example"),
            ProductFactory(sku="DESK-STD", name="Standing desk", price=Decimal("129.99"), stock=50))


def create_order(client: Client, customer: object, desk: Product) -> Order:
    response = client.post("/admin/sales/order/add/", {
        "customer": customer.pk, "currency": "USD", **management("lines", total=1), **management("events"),
        "lines-0-product": desk.pk, "lines-0-quantity": "2", "lines-0-unit_price": "", "_save": "Save",
    })
    assert response.status_code == 302, form_errors(response)
    return Order.objects.get()


def move(client: Client, order: Order, status: str, data: dict[str, str] | None = None) -> None:
    """Press the order's button for ``status`` (it must be offered), fill its form if it has one, and check
    the success message."""
    page = client.get(f"/admin/sales/order/{order.pk}/change/")
    assert status in move_buttons(page), (status, move_buttons(page))
    path = f"/admin/sales/order/{order.pk}/move/{status}/"
    if data is not None:
        assert client.get(path).status_code == 200  # the form
    response = client.post(path, data or {}, follow=True)
    assert response.status_code == 200
    assert f"Order {order.order_number} is now {status}." in messages_text(response, "success"), \
        messages_text(response)


def record_payment(client: Client, invoice: Invoice) -> None:
    page = client.get(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert "record-payment" in data_attrs(page, "action")
    form = client.get(f"/admin/billing/invoice/{invoice.pk}/record-payment/")
    assert form.context["form"].initial["amount"] == "259.98"
    response = client.post(f"/admin/billing/invoice/{invoice.pk}/record-payment/", {
        "amount": "259.98", "currency": "USD", "payment_method": "bank_transfer", "reference": "TXN-20260128-001",
    }, follow=True)
    assert "Payment of 259.98 USD recorded." in messages_text(response, "success")


def assert_the_guides_outcome(order: Order, desk: Product, users: dict[str, object]) -> None:
    order.refresh_from_db()
    assert (order.status, order.total, order.tracking_number, order.carrier) == (
        "closed", Decimal("259.98"), TRACKING, CARRIER)
    invoice = Invoice.objects.get(order=order)
    assert (invoice.status, invoice.total, invoice.amount_paid, invoice.amount_due) == (
        "paid", Decimal("259.98"), Decimal("259.98"), Decimal("0.00"))
    assert invoice.number.startswith("INV-")
    desk.refresh_from_db()
    assert desk.stock_quantity == 48
    assert list(StockMovement.objects.filter(product=desk).order_by("id").values_list("kind", "quantity_delta")) \
        == [("initial", 50), ("reservation", -2)]
    history = list(order.events.order_by("id").values_list("kind", "to_status", "actor__username"))
    assert history == [
        ("created", "draft", users["create"]),
        ("status_changed", "confirmed", users["confirmed"]),
        ("status_changed", "processing", users["processing"]),
        ("status_changed", "shipped", users["shipped"]),
        ("status_changed", "delivered", users["delivered"]),
        ("status_changed", "closed", users["closed"]),
    ]
    assert order.events.order_by("id").last().data["return_window_waived"] is True


def test_superuser_runs_the_whole_flow_in_the_admin(login: Callable[..., Client], guide: tuple) -> None:
    # given the guide's customer and desk, and a superuser
    customer, desk = guide
    admin = login(superuser=True, username="boss")

    # when the superuser creates the order and moves it through every step, then records the payment
    order = create_order(admin, customer, desk)
    assert (order.total, order.order_number[:3]) == (Decimal("259.98"), "SO-")
    move(admin, order, "confirmed")
    move(admin, order, "processing")
    move(admin, order, "shipped", {"tracking_number": TRACKING, "carrier": CARRIER})
    move(admin, order, "delivered")
    move(admin, order, "closed", {"waive_return_window": "on"})
    assert move_buttons(admin.get(f"/admin/sales/order/{order.pk}/change/")) == set()
    record_payment(admin, Invoice.objects.get(order=order))

    # then the order is closed and its invoice paid, with stock, ledger and history as the guide says
    assert_the_guides_outcome(order, desk, {step: "boss" for step in (
        "create", "confirmed", "processing", "shipped", "delivered", "closed")})


def test_the_role_users_run_the_flow_in_turn(login: Callable[..., Client], guide: tuple) -> None:
    # given the guide's customer and desk, and one staff user per role
    customer, desk = guide
    sales = login("sales", username="sam-sales")
    warehouse = login("warehouse", username="wes-warehouse")
    finance = login("finance", username="fay-finance")

    # when sales creates and confirms the order
    order = create_order(sales, customer, desk)
    move(sales, order, "confirmed")
    # and the warehouse processes, ships and delivers it
    move(warehouse, order, "processing")
    move(warehouse, order, "shipped", {"tracking_number": TRACKING, "carrier": CARRIER})
    move(warehouse, order, "delivered")
    # and finance closes it, waiving the return window, and records the payment
    move(finance, order, "closed", {"waive_return_window": "on"})
    record_payment(finance, Invoice.objects.get(order=order))

    # then the order is closed and paid, each step recorded with who did it
    assert_the_guides_outcome(order, desk, {
        "create": "sam-sales", "confirmed": "sam-sales", "processing": "wes-warehouse", "shipped": "wes-warehouse",
        "delivered": "wes-warehouse", "closed": "fay-finance"})
    # and the printable invoice shows it paid
    invoice = Invoice.objects.get(order=order)
    page = finance.get(f"/admin/billing/invoice/{invoice.pk}/print/").content.decode()
    assert "TXN-20260128-001" in page and "Paid" in page and "0.00 USD" in page
