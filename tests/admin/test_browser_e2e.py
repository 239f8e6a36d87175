"""End to end in a real browser: Debian's Chromium, driven by Playwright (no browser download).

A warehouse user ships an order through the admin with a tracking number; a finance user records the
payment. Screenshots go to tests/artifacts/screenshots/ (kept out of git). `.ci/run` installs Chromium when
it is missing; elsewhere the test is skipped with the reason if /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from billing.models import Invoice
from sales.models import Order, OrderStatus
from tests.factories import OrderFactory, ProductFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "browser-test-pw"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                       reason="needs Debian's chromium (apt-get install chromium); CI installs it"),
]


@pytest.fixture
def browser_page() -> Iterator[object]:
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
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_warehouse_ships_and_finance_records_payment_in_the_browser(browser_page, live_server) -> None:
    page = browser_page
    # given a processing order of 2 x 129.99 and staff logins for warehouse and finance
    product = ProductFactory(sku="DESK-STD", price=Decimal("129.99"), stock=10)
    order = OrderFactory(status=OrderStatus.PROCESSING, lines=[(product, 2)])
    UserFactory(username="wh", staff=True, roles=["warehouse"], password=PASSWORD)
    UserFactory(username="fin", staff=True, roles=["finance"], password=PASSWORD)

    # when the warehouse user opens the order and ships it with a tracking number
    _login(page, live_server, "wh")
    page.goto(f"{live_server.url}/admin/sales/order/{order.pk}/change/")
    page.screenshot(path=str(SCREENSHOTS / "01-warehouse-order.png"), full_page=True)
    page.click("[data-move=shipped]")
    page.fill("#id_tracking_number", "1Z999AA10123456784")
    page.fill("#id_carrier", "UPS")
    page.screenshot(path=str(SCREENSHOTS / "02-ship-form.png"), full_page=True)
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=str(SCREENSHOTS / "03-shipped.png"), full_page=True)

    # then the order is shipped with its tracking number, and the warehouse sees no payment form
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert (order.tracking_number, order.carrier) == ("1Z999AA10123456784", "UPS")
    invoice = Invoice.objects.get(order=order)
    page.goto(f"{live_server.url}/admin/billing/invoice/{invoice.pk}/change/")
    assert page.locator("[data-action=record-payment]").count() == 0

    # when the finance user records the full payment on the invoice
    _login(page, live_server, "fin")
    page.goto(f"{live_server.url}/admin/billing/invoice/{invoice.pk}/change/")
    page.click("[data-action=record-payment]")
    page.fill("#id_amount", "259.98")
    page.select_option("#id_payment_method", "bank_transfer")
    page.fill("#id_reference", "TXN-20260128-001")
    page.screenshot(path=str(SCREENSHOTS / "04-payment-form.png"), full_page=True)
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    page.screenshot(path=str(SCREENSHOTS / "05-paid.png"), full_page=True)

    # then the invoice is paid in full
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.amount_paid == Decimal("259.98")
    assert invoice.number and invoice.number.startswith("INV-")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
