"""Each role's day in a real browser (Debian's Chromium, driven by Playwright; no browser download), by clicking
only: after signing in, every page is reached from the admin index through links and buttons, never by typing a
URL (the admin's links quote ids, which is what staff meet). Screenshots at 1280 px go to tests/artifacts/.

- sales creates an order and confirms it, and meets a short-stock refusal naming the SKU and product;
- warehouse picks, ships with tracking number and carrier, delivers, and adjusts stock from the product page;
- sales also opens "Cancel order…" and goes back, reads the history (people are names, not links) and opens the
  time-zone page;
- finance issues an invoice, records a partial then the full payment, prints it and downloads the PDF, closes an
  order with the waiver and one without (its window passed), and voids an invoice;
- integrations finds a failing delivery, reads why it failed (each attempt's status, error, answer, duration) and
  resends it;
- anyone signs in from a bookmarked sign-in page and lands on the dashboard; "Return to site" leads to a page
  with the back-office, the API's documentation and the health probe.

Every step (helpers ``sign_in``, ``sidebar``, ``open_row``, ``press``, ``tab``) checks the page it reaches: no 403,
404 or 500 (any navigation answering 400 or more fails the test), and every input, select and textarea shown
looks like a field (a border, or a background distinct from the page).

`.ci/run` installs Chromium when it is missing; elsewhere the tests are skipped with the reason if it is absent.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from integrations.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from inventory.models import Product
from sales.models import Order, OrderStatus
from tests.admin.helpers import (
    BROWSER_TEST,
    PASSWORD,
    SCREENSHOTS,
    message,
    open_row,
    pick,
    press,
    shot,
    sidebar,
    sign_in,
    tab,
)
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory, UserFactory
from tests.integrations.helpers import failed_delivery

pytestmark = BROWSER_TEST


def test_bookmarked_sign_in_and_return_to_site(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    UserFactory(username="sam", staff=True, roles=["sales"], password=PASSWORD)

    # when staff follow "Return to site" from the bookmarked sign-in page
    page.goto(f"{live_server.url}/admin/login/")
    press(page, "a:has-text('Return to site')")

    # then a page with the back-office, the API's documentation and the health probe, each of which opens
    links = page.locator("[data-landing] a")
    assert links.all_inner_texts() == ["Back-office", "API documentation", "OpenAPI schema", "Health"]
    for name in ("API documentation", "Health"):
        press(page, f"[data-landing] a:has-text('{name}')")
        page.go_back()
        page.wait_for_load_state()

    # and "Back-office" asks to sign in; signing in lands on the dashboard; signing out offers the way back to the
    # site too
    press(page, "[data-landing] a:has-text('Back-office')")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    press(page, "button[type=submit]")
    assert page.locator("[data-dashboard]").count() == 1
    shot(page, "sign-in-01-dashboard")
    page.locator("div[x-on\\:click*='openUserLinks']").first.click()
    press(page, "#nav-sidebar-inner :is(a, button):has-text('Log out')")
    press(page, "a:has-text('Return to site')")
    assert page.locator("[data-landing] a").count() == 4


def test_sales_day(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given a customer, a desk with 10 in stock, a draft asking for more desks than there are, and a sales login
    CustomerFactory(name="Acme Retail")
    desk = ProductFactory(sku="DESK-STD", name="Standing desk", price=Decimal("129.99"), stock=10)
    too_many = OrderFactory(lines=[(desk, 25)], customer=CustomerFactory(name="Globex"))
    UserFactory(username="sam", staff=True, roles=["sales"], password=PASSWORD)

    # when sales signs in, opens the orders and adds one for Acme: 2 desks
    sign_in(page, live_server, "sam")
    shot(page, "sales-01-dashboard")
    sidebar(page, "Orders")
    press(page, "a.addlink")
    pick(page, "id_customer", "Acme Retail")
    pick(page, "id_currency", "usd")  # a searchable ISO 4217 choice: typed in lower case, it finds USD
    pick(page, "id_lines-0-product", "DESK-STD")
    page.fill("#id_lines-0-quantity", "2")
    shot(page, "sales-02-new-order")
    press(page, "button[name=_save]")
    assert "was added successfully" in message(page, "success")

    # and confirms it from its page
    order = Order.objects.exclude(pk=too_many.pk).get()
    shot(page, "sales-02b-orders")
    open_row(page, order.order_number)
    assert "sales can confirm it (reserving stock) or cancel it" in page.inner_text("[data-next-step]")
    press(page, "[data-move=confirmed]")
    assert f"Order {order.order_number} is now confirmed." in message(page, "success")
    shot(page, "sales-03-confirmed")

    # then it is confirmed and its stock reserved
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert Product.objects.get(pk=desk.pk).stock_quantity == 8

    # when sales confirms the draft that asks for 25 desks, from the list of drafts
    sidebar(page, "Drafts to confirm")
    open_row(page, too_many.order_number)
    tab(page, "Lines")  # its quantity and unit price inputs are checked visible once shown
    shot(page, "sales-03b-draft-lines")
    press(page, "[data-move=confirmed]")

    # then refused with the SKU and product name; nothing changed
    assert "DESK-STD Standing desk (requested 25, available 8)" in message(page, "error")
    shot(page, "sales-04-short-stock")
    assert Order.objects.get(pk=too_many.pk).status == OrderStatus.DRAFT
    assert Product.objects.get(pk=desk.pk).stock_quantity == 8

    # when sales opens "Cancel order…" on it: the form cancels with "Cancel order" and leaves with "Back"
    press(page, "[data-move=cancelled]")
    assert page.locator("[data-submit=action]").inner_text().strip() == "Cancel order"
    shot(page, "sales-05-cancel-form")
    press(page, "[data-back]")
    assert Order.objects.get(pk=too_many.pk).status == OrderStatus.DRAFT

    # and reads the confirmed order's history: who confirmed it is a name, not a link sales cannot follow
    sidebar(page, "Orders")
    open_row(page, order.order_number)
    assert page.locator("#submit-row button[name=_save]").count() == 0  # nothing to save on a confirmed order
    tab(page, "History")
    history = page.locator("#events-group")
    assert "sam" in history.inner_text()
    assert history.locator("a", has_text="sam").count() == 0

    # and sets the time zone from the account menu, then leaves with "Back"
    page.locator("div[x-on\\:click*='openUserLinks']").first.click()
    press(page, "a:has-text('Time zone:')")
    shot(page, "sales-06-time-zone")
    press(page, "[data-back]")


def test_warehouse_day(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given a confirmed order of 2 desks and a warehouse login
    desk = ProductFactory(sku="DESK-STD", name="Standing desk", stock=10)
    order = OrderFactory(status=OrderStatus.CONFIRMED, lines=[(desk, 2)])
    UserFactory(username="wes", staff=True, roles=["warehouse"], password=PASSWORD)

    # when the warehouse picks it from the dashboard's "To pick" figure
    sign_in(page, live_server, "wes")
    shot(page, "warehouse-01-dashboard")
    press(page, "[data-figure='To pick (confirmed)']")
    open_row(page, order.order_number)
    press(page, "[data-move=processing]")
    assert "is now processing" in message(page, "success")

    # and ships it with tracking number and carrier, then marks it delivered
    press(page, "[data-move=shipped]")
    page.fill("#id_tracking_number", "1Z999AA10123456784")
    page.fill("#id_carrier", "UPS")
    shot(page, "warehouse-02-ship-form")
    press(page, "[data-submit=action]")
    assert "is now shipped" in message(page, "success")
    press(page, "[data-move=delivered]")
    assert "is now delivered" in message(page, "success")
    assert "finance can close it after" in page.inner_text("[data-next-step]")
    shot(page, "warehouse-03-delivered")
    page.locator("#tabs-items a", has_text="History").click()
    shot(page, "warehouse-03b-history-tab")

    # then the order is delivered with its tracking, and the warehouse has no close button
    order.refresh_from_db()
    assert (order.status, order.tracking_number, order.carrier) == ("delivered", "1Z999AA10123456784", "UPS")
    assert page.locator("[data-move=closed]").count() == 0

    # when the warehouse adjusts the desk's stock from its product page
    sidebar(page, "Products")
    open_row(page, "DESK-STD")
    press(page, "[data-action=adjust-stock]")
    page.fill("#id_quantity_delta", "-3")
    page.fill("#id_reason", "damaged in transit")
    press(page, "[data-submit=action]")
    assert "Stock of DESK-STD Standing desk adjusted by -3." in message(page, "success")
    shot(page, "warehouse-04-stock-adjusted")
    assert Product.objects.get(pk=desk.pk).stock_quantity == 5


def test_finance_day(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given a delivered order with a draft invoice (window open), an order delivered 40 days ago, an issued
    # invoice to void, and a finance login
    invoice = InvoiceFactory(order_status=OrderStatus.DELIVERED, customer=CustomerFactory(name="Acme Retail"))
    old = OrderFactory(status=OrderStatus.DELIVERED, customer=CustomerFactory(name="Old Co"))
    Order.objects.filter(pk=old.pk).update(delivered_at=timezone.now() - timedelta(days=40))
    mistake = InvoiceFactory(status=InvoiceStatus.ISSUED, customer=CustomerFactory(name="Mistake Ltd"))
    UserFactory(username="fay", staff=True, roles=["finance"], password=PASSWORD)

    # when finance opens the invoices, issues Acme's draft, and records 100.00 then the rest
    sign_in(page, live_server, "fay")
    shot(page, "finance-01-dashboard")
    sidebar(page, "Invoices")
    shot(page, "finance-02-invoices")
    page.fill("input[name=q]", "Acme")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    open_row(page, "Draft (numbered when issued)")
    press(page, "[data-action=issue]")
    assert "Invoice issued." in message(page, "success")
    press(page, "[data-action=record-payment]")
    page.fill("#id_amount", "100.00")
    page.select_option("#id_payment_method", "bank_transfer")
    page.fill("#id_reference", "TXN-1")
    shot(page, "finance-03-payment-form")
    press(page, "[data-submit=action]")
    assert "Payment of 100.00 USD recorded." in message(page, "success")
    press(page, "[data-action=record-payment]")
    assert page.input_value("#id_amount") == "159.98"
    page.fill("#id_reference", "TXN-2")
    press(page, "[data-submit=action]")
    assert "Payment of 159.98 USD recorded." in message(page, "success")
    shot(page, "finance-04-paid")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("259.98"))

    # and prints it and downloads its PDF
    with page.expect_popup() as popup:
        page.locator("[data-action=print]").first.click()
    printable = popup.value
    printable.wait_for_load_state()
    assert invoice.number in printable.inner_text("body")
    printable.screenshot(path=str(SCREENSHOTS / "finance-05-printable.png"), full_page=True)
    printable.close()
    with page.expect_download() as download:
        page.locator("[data-action=pdf]").first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # and closes its order: refused without the waiver (window open), closed with it
    page.locator(".backoffice-link", has_text=invoice.order.order_number).first.click()
    page.wait_for_load_state()
    press(page, "[data-move=closed]")
    press(page, "[data-submit=action]")
    assert "tick “Waive the return window”" in message(page, "error")
    assert Order.objects.get(pk=invoice.order_id).status == OrderStatus.DELIVERED
    press(page, "[data-move=closed]")
    page.locator("label", has_text="Waive the return window").click()
    press(page, "[data-submit=action]")
    assert "is now closed" in message(page, "success")
    shot(page, "finance-06-closed")

    # and closes the order whose window has passed, from the dashboard's "waiting to close", without the waiver
    page.locator("#nav-sidebar-inner a", has_text="Dashboard").first.click()
    press(page, "[data-figure='Delivered, waiting to close']")
    open_row(page, old.order_number)
    press(page, "[data-move=closed]")
    press(page, "[data-submit=action]")
    assert "is now closed" in message(page, "success")

    # and voids the mistaken invoice
    sidebar(page, "Invoices")
    open_row(page, mistake.number)
    press(page, "[data-action=void]")
    page.fill("#id_reason", "issued by mistake")
    press(page, "[data-submit=action]")
    assert "Invoice voided." in message(page, "success")
    shot(page, "finance-07-voided")

    # then everything is as finance left it
    assert Order.objects.get(pk=invoice.order_id).status == OrderStatus.CLOSED
    assert Order.objects.get(pk=old.pk).status == OrderStatus.CLOSED
    assert Invoice.objects.get(pk=mistake.pk).status == InvoiceStatus.VOID


def test_integrations_day(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given an endpoint whose receiver answered 500, its delivery given up as failed, and an integrations login
    delivery = failed_delivery()
    attempt = WebhookAttempt.objects.get()
    UserFactory(username="ivy", staff=True, roles=["integrations"], password=PASSWORD)

    # when they open the failed deliveries from the dashboard, and the delivery
    sign_in(page, live_server, "ivy")
    shot(page, "integrations-01-dashboard")
    press(page, "[data-figure='Deliveries failed']")
    open_row(page, "customer.created")
    shot(page, "integrations-02-delivery")

    # then they see why it failed: the attempt with the receiver's status, its answer and how long it took;
    # the page only shows, so it offers no "Save", and leaves with "Back"
    attempts = page.locator("#attempt_log-group").inner_text()
    assert "500" in attempts and f"{attempt.duration_ms}" in attempts and "ok" in attempts
    assert page.locator("#submit-row button[name=_save]").count() == 0
    assert page.locator("#submit-row a", has_text="Back").count() == 1

    # when they resend it
    press(page, "[data-action=resend]")
    assert f"Delivery {delivery.pk} will be sent again." in message(page, "success")
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING


@pytest.mark.parametrize("role", ["sales", "warehouse", "finance", "integrations", "administrator"])
def test_every_page_a_role_reaches_from_the_sidebar_is_sound(browser_page: Any, live_server: Any,
                                                             every_kind_of_page: None, role: str) -> None:
    """Each sidebar entry, the first row of each list and its add page, each tab of that row's page and each form
    its buttons open (not the ones that act at once): reached by clicking, each checked by the steps (no error page,
    every field visible)."""
    page = browser_page
    if role == "administrator":
        UserFactory(username=f"{role}-tour", staff=True, superuser=True, password=PASSWORD)
    else:
        UserFactory(username=f"{role}-tour", staff=True, roles=[role], password=PASSWORD)
    sign_in(page, live_server, f"{role}-tour")
    links = page.locator("#nav-sidebar-inner a[href]:visible")
    entries = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(entries) > 2, entries
    seen = 0
    for entry in entries:
        press(page, f"#nav-sidebar-inner a[href='{entry}']:visible")
        seen += 1
        if page.locator("a.addlink").count():
            press(page, "a.addlink")
            seen += 1
            page.go_back()
        if not page.locator("#result_list tbody th a").count():
            continue
        press(page, "#result_list tbody th a")
        seen += 1
        for title in [t.strip() for t in page.locator("#tabs-items a").all_inner_texts() if t.strip()]:
            tab(page, title)
            seen += 1
        forms = page.locator("a[data-move]:not([data-post]), a[data-action]:not([data-post]):not([target])")
        for href in [forms.nth(i).get_attribute("href") for i in range(forms.count())]:
            if href and not href.endswith("/pdf/"):
                press(page, f"a[href='{href}']")
                seen += 1
                page.go_back()
                page.wait_for_load_state()
    assert seen > len(entries)
