"""Each role's day in a real browser (Debian's Chromium, driven by Playwright; no browser download), by clicking
only: after signing in, every page is reached from the admin index through links and buttons, never by typing a
URL (the admin's links quote ids, which is what staff meet). Screenshots at 1280 px go to tests/artifacts/.

- sales creates an order and confirms it, and meets a short-stock refusal naming the SKU and product;
- warehouse picks, ships with tracking number and carrier, delivers, and adjusts stock from the product page;
- finance issues an invoice, records a partial then the full payment, prints it and downloads the PDF, closes an
  order with the waiver and one without (its window passed), and voids an invoice.

`.ci/run` installs Chromium when it is missing; elsewhere the tests are skipped with the reason if it is absent.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from inventory.models import Product
from sales.models import Order, OrderStatus
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "browser-test-pw"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the live server's DB work is in its own threads.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, live_server: Any, username: str) -> None:
    """The only typed URL: the admin's index, which asks to sign in and then shows the dashboard."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    try:
        page.wait_for_selector("[data-dashboard]", state="attached")
    except Exception:
        shot(page, f"sign-in-failed-{username}")
        raise


def sidebar(page: Any, title: str) -> None:
    page.locator("#nav-sidebar-inner a", has_text=title).first.click()
    page.wait_for_load_state()


def open_row(page: Any, text: str) -> None:
    page.locator("#result_list a", has_text=text).first.click()
    page.wait_for_load_state()


def press(page: Any, selector: str) -> None:
    page.locator(selector).first.click()
    page.wait_for_load_state()


def message(page: Any, level: str) -> str:
    return page.locator(f".messagelist li.{level}").first.inner_text()


def pick(page: Any, select_id: str, text: str) -> None:
    """Choose ``text`` in an autocomplete (select2) field, as a person does: open, type, click the option."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


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
    press(page, "[data-move=confirmed]")

    # then refused with the SKU and product name; nothing changed
    assert "DESK-STD Standing desk (requested 25, available 8)" in message(page, "error")
    shot(page, "sales-04-short-stock")
    assert Order.objects.get(pk=too_many.pk).status == OrderStatus.DRAFT
    assert Product.objects.get(pk=desk.pk).stock_quantity == 8


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
