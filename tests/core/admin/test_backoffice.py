"""The back-office as staff meet it: pages reached through the admin's own (quoted) links keep their buttons,
every button shown can be used, times are in the staff member's time zone, amounts in the currency's minor unit,
no raw ids or JSON, refusals in staff's words, navigation both ways, what comes next on every order, and a
sidebar per role."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from inventory.models import Product
from sales import services
from sales.models import Order, OrderStatus
from synthesq.core.models import StaffPreferences
from tests.admin.helpers import button_link, data_attrs, messages_text, move_buttons, page_form
from tests.factories import InvoiceFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def visible_text(response: Any) -> str:
    page = response.content.decode()
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def change_link(changelist: Any, text: str) -> str:
    """The link of the changelist row showing ``text`` (what a click on it opens)."""
    page = changelist.content.decode()
    found = re.search(rf'<a href="([^"]+/change/)[^"]*"[^>]*>\s*{re.escape(text)}\s*</a>', page)
    assert found, f"no link to {text!r}"
    return html.unescape(found.group(1))


# --- the quoting bug: pages reached by clicking keep their buttons ---------------------------------------------


def test_order_reached_from_the_list_has_its_buttons(sales_client: Client) -> None:
    # given a draft order
    order = OrderFactory()
    # when sales clicks it in the list (the admin quotes its id: ord_01… is ord_5F01…)
    link = change_link(sales_client.get("/admin/sales/order/"), order.order_number)
    assert f"/{quote(order.pk)}/" in link and "_5F" in link
    page = sales_client.get(link)
    # then the page has its move buttons, and pressing "Confirm" confirms it
    assert move_buttons(page) == {"confirmed", "cancelled"}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = sales_client.post(button_link(page, "move", "confirmed"), {"csrfmiddlewaretoken": token}, follow=True)
    assert f"Order {order.order_number} is now confirmed." in messages_text(response, "success")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_invoice_and_product_reached_from_their_lists_have_their_buttons(login: Callable[..., Client]) -> None:
    invoice = InvoiceFactory(status=InvoiceStatus.ISSUED)
    finance = login("finance")
    page = finance.get(change_link(finance.get("/admin/billing/invoice/"), invoice.number))
    assert {"record-payment", "void", "print", "pdf"} <= data_attrs(page, "action")
    assert finance.get(button_link(page, "action", "record-payment")).status_code == 200

    product = ProductFactory(sku="DESK-STD", stock=4)
    warehouse = login("warehouse")
    page = warehouse.get(change_link(warehouse.get("/admin/inventory/product/"), "DESK-STD"))
    adjust = warehouse.get(button_link(page, "action", "adjust-stock"))
    assert adjust.status_code == 200 and "Adjust stock of DESK-STD" in adjust.content.decode()
    assert Product.objects.get(pk=product.pk).stock_quantity == 4


# --- every button shown is one the user may use ----------------------------------------------------------------

FORM_DATA = {"shipped": {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"},
             "closed": {"waive_return_window": "on"}, "cancelled": {"reason": "customer asked"},
             "hold": {"reason": "dispute"}}


@pytest.mark.parametrize("role", ["sales", "warehouse", "finance"])
@pytest.mark.parametrize("status", [s for s in OrderStatus if s != OrderStatus.CLOSED])
def test_every_order_button_shown_works(login: Callable[..., Client], role: str, status: str) -> None:
    client = login(role)
    probe = OrderFactory(status=status)
    for button in move_buttons(client.get(f"/admin/sales/order/{quote(probe.pk)}/change/")) | (
            {"hold"} & data_attrs(client.get(f"/admin/sales/order/{quote(probe.pk)}/change/"), "move")):
        # given a fresh order in that status, when the user presses the button (and fills its form)
        order = OrderFactory(status=status)
        page = client.get(f"/admin/sales/order/{quote(order.pk)}/change/")
        response = client.post(button_link(page, "move", button), FORM_DATA.get(button, {}), follow=True)
        # then it succeeds: a success message and the order moved (or held)
        assert messages_text(response, "error") == "", (role, status, button)
        order.refresh_from_db()
        assert order.on_hold if button == "hold" else order.status == button, (role, status, button)


@pytest.mark.parametrize("role", ["sales", "finance"])
def test_every_invoice_button_shown_works(login: Callable[..., Client], role: str) -> None:
    client = login(role)
    for state in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED):
        invoice = InvoiceFactory(status=state)
        page = client.get(f"/admin/billing/invoice/{quote(invoice.pk)}/change/")
        for button in data_attrs(page, "action"):
            response = client.get(button_link(page, "action", button))
            assert response.status_code == 200, (role, state, button)
    assert Invoice.objects.filter(status=InvoiceStatus.VOID).count() == 0


def test_a_stale_button_is_refused_with_a_message_and_changes_nothing(sales_client: Client) -> None:
    # given a draft whose page sales has open, and which someone else confirms meanwhile
    order = OrderFactory()
    page = sales_client.get(f"/admin/sales/order/{quote(order.pk)}/change/")
    services.order_confirm(order_id=order.pk, actor=None)
    events = order.events.count()
    # when sales presses the stale "Confirm" button, then a message, not an error page; nothing changes
    response = sales_client.post(button_link(page, "move", "confirmed"), follow=True)
    assert response.status_code == 200
    assert "cannot move to 'confirmed'" in messages_text(response, "error")
    assert order.events.count() == events


# --- readable everywhere ---------------------------------------------------------------------------------------


def test_times_are_shown_in_the_staff_members_time_zone_to_the_minute(login: Callable[..., Client]) -> None:
    # given an order created at 23:30 UTC on 28 Nov, and a staff member in Tokyo (UTC+9)
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 11, 28, 23, 30, 15, tzinfo=ZoneInfo("UTC")))
    client = login("sales")
    StaffPreferences.objects.create(user=client.user, time_zone="Asia/Tokyo")
    # then the list shows it on the 29th at 08:30, Tokyo time
    assert "29 Nov 2026, 08:30" in visible_text(client.get("/admin/sales/order/"))
    # when they switch to New York on their preferences page
    response = client.post("/admin/core/staffpreferences/mine/", {"time_zone": "America/New_York"}, follow=True)
    assert "Dates are now shown in America/New_York." in messages_text(response, "success")
    # then it is 28 Nov, 18:30, and the day filter follows the same time zone
    text = visible_text(client.get("/admin/sales/order/"))
    assert "28 Nov 2026, 18:30" in text and "Time zone: America/New_York" in text
    narrowed = client.get("/admin/sales/order/?created_at_from=2026-11-28&created_at_to=2026-11-28")
    assert [o.pk for o in narrowed.context["cl"].result_list] == [order.pk]


def test_amounts_in_the_currencys_minor_unit_in_lists_and_inputs(superuser_client: Client) -> None:
    desk = ProductFactory(sku="DESK-STD", price=Decimal("129.99"), stock=10)
    order = OrderFactory(lines=[(desk, 2)])
    ProductFactory(sku="JP-1", currency="JPY", price=Decimal("1300"))
    products = visible_text(superuser_client.get("/admin/inventory/product/"))
    assert "129.99 USD" in products and "1300 JPY" in products and "129.9900" not in products
    data = page_form(superuser_client.get(f"/admin/sales/order/{quote(order.pk)}/change/"), "order_form")
    assert data["lines-0-unit_price"] == "129.99"
    assert page_form(superuser_client.get(f"/admin/inventory/product/{quote(desk.pk)}/change/"),
                     "product_form")["price"] == "129.99"


def test_order_page_has_no_raw_ids_nor_json_and_labels_its_history(finance_client: Client) -> None:
    # given a shipped order with a part-paid invoice
    order = OrderFactory(status=OrderStatus.SHIPPED)
    text = visible_text(finance_client.get(f"/admin/sales/order/{quote(order.pk)}/change/"))
    # then no id, no JSON; the address is postal text; history data and lines are labelled
    assert order.pk not in text and "inv_" not in text and "prod_" not in text and '{"' not in text
    assert "123 Commerce St Austin, TX 78701 US" in text
    assert "Tracking number: 1Z999AA10123456784" in text and "Carrier: UPS" in text
    assert "confirmed → processing" in text


def test_a_short_stock_refusal_names_the_sku_and_the_product(sales_client: Client) -> None:
    desk = ProductFactory(sku="DESK-XL", name="XL desk", stock=1)
    order = OrderFactory(lines=[(desk, 3)])
    response = sales_client.post(f"/admin/sales/order/{quote(order.pk)}/move/confirmed/", follow=True)
    assert "Not enough stock for: DESK-XL XL desk (requested 3, available 1)" in messages_text(response, "error")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT


# --- what comes next, and navigation ---------------------------------------------------------------------------


def test_every_order_says_what_comes_next_and_who_takes_it(login: Callable[..., Client]) -> None:
    order = OrderFactory(status=OrderStatus.DELIVERED)
    delivered = timezone.localtime(order.delivered_at)
    closable = timezone.localtime(order.delivered_at + timedelta(days=30))
    text = visible_text(login("warehouse").get(f"/admin/sales/order/{quote(order.pk)}/change/"))
    assert f"Delivered {delivered.day} {delivered:%b} — finance can close it after {closable.day} {closable:%b %Y}" \
        in text
    draft = OrderFactory()
    text = visible_text(login("warehouse").get(f"/admin/sales/order/{quote(draft.pk)}/change/"))
    assert "sales can confirm it (reserving stock) or cancel it." in text


def test_navigation_runs_both_ways_between_order_invoice_payment_and_customer(finance_client: Client) -> None:
    invoice = InvoiceFactory(status=InvoiceStatus.ISSUED, paid=Decimal("100.00"))
    order, payment = invoice.order, invoice.payments.get()
    links = {
        "order": f"/admin/sales/order/{quote(order.pk)}/change/",
        "invoice": f"/admin/billing/invoice/{quote(invoice.pk)}/change/",
        "payment": f"/admin/billing/payment/{quote(payment.pk)}/change/",
        "customer": f"/admin/sales/customer/{quote(invoice.customer_id)}/change/",
    }
    reaches = {"order": ("invoice", "payment", "customer"), "invoice": ("order", "payment", "customer"),
               "payment": ("order", "invoice", "customer"), "customer": ("order", "invoice")}
    for page, targets in reaches.items():
        content = finance_client.get(links[page]).content.decode()
        for target in targets:
            assert f'href="{links[target]}"' in content or f'href="{links[target][:-len("change/")]}' in content, \
                (page, target)
    order_page = finance_client.get(links["order"])
    assert "159.98 USD" in visible_text(order_page)  # the amount due, in the summary
    assert button_link(order_page, "action", "record-payment").endswith(f"/{quote(order.pk)}/record-payment/")
    form = finance_client.get(button_link(order_page, "action", "record-payment"), follow=True)
    assert f"Record a payment on {invoice.number}" in form.content.decode()


@pytest.mark.parametrize(("role", "sees", "does_not_see"), [
    ("sales", {"Orders", "Drafts to confirm", "Customers"}, {"Payments", "Stock ledger", "API tokens"}),
    ("warehouse", {"To pick", "To ship", "In transit", "Products", "Low stock", "Stock ledger"},
     {"Invoices", "Payments", "Drafts to confirm"}),
    ("finance", {"Invoices", "Overdue invoices", "Payments", "Orders to close"}, {"Stock ledger", "To ship"}),
])
def test_the_sidebar_is_the_roles_own(login: Callable[..., Client], role: str, sees: set[str],
                                      does_not_see: set[str]) -> None:
    page = login(role).get("/admin/").content.decode()
    sidebar = page.split('id="nav-sidebar-inner"')[1]
    titles = {html.unescape(t).strip() for t in re.findall(r"</span>\s*<span>([^<]+)</span>", sidebar)}
    assert sees <= titles, titles
    assert not (does_not_see & titles), titles
