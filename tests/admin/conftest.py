"""Admin test clients: a logged-in ``django.test.Client`` per role (staff user in that role's group); and a page of
Debian's Chromium for the click-only browser tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from billing.models import InvoiceStatus
from integrations import services as integrations
from inventory import services as inventory
from sales import services as sales
from sales.models import OrderStatus
from tests.admin.helpers import CHROMIUM, SCREENSHOTS, watch_error_pages
from tests.factories import (
    CreditNoteFactory,
    InvoiceFactory,
    OrderFactory,
    ProductFactory,
    RefundFactory,
    ReturnFactory,
    UserFactory,
)


@pytest.fixture
def login(db: None) -> Callable[..., Client]:
    """``login("warehouse")``: a client signed in as a new staff user with that role; ``login(superuser=True)``
    for a superuser. The user is ``client.user``."""

    def make(*roles: str, superuser: bool = False, username: str | None = None) -> Client:
        extra = {"username": username} if username else {}
        user = UserFactory(staff=True, superuser=superuser, roles=list(roles), **extra)
        client = Client()
        client.force_login(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def superuser_client(login: Callable[..., Client]) -> Client:
    return login(superuser=True)


@pytest.fixture
def sales_client(login: Callable[..., Client]) -> Client:
    return login("sales")


@pytest.fixture
def warehouse_client(login: Callable[..., Client]) -> Client:
    return login("warehouse")


@pytest.fixture
def finance_client(login: Callable[..., Client]) -> Client:
    return login("finance")


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A Chromium page (Playwright, no browser download) whose every navigation is watched: the helpers' steps
    (``sign_in``, ``sidebar``, ``open_row``, ``press``) fail on any page answering 400 or more and on any field
    that does not look like one; the test fails at the end too if an error page was reached at all."""
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
        error_pages = watch_error_pages(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        assert not error_pages, f"reached an error page: {error_pages}"


@pytest.fixture
def every_kind_of_page() -> None:
    """Orders in every state, a return received, an invoice paid with a credit note and a refund, a stock
    adjustment, a webhook endpoint with a delivery: each made by a named person, so history rows name an actor."""
    boss = UserFactory(username="boss", staff=True, superuser=True)
    for status in OrderStatus:
        OrderFactory(status=status, actor=boss)
    ReturnFactory(received=True, actor=boss)
    invoice = InvoiceFactory(status=InvoiceStatus.PAID, order_status=OrderStatus.DELIVERED, actor=boss)
    CreditNoteFactory(invoice=invoice, actor=boss)
    RefundFactory(payment=invoice.payments.get(), actor=boss)
    inventory.stock_adjust(product=ProductFactory(sku="ADJ-1", stock=5), quantity_delta=-1, reason="count", actor=boss)
    integrations.webhook_endpoint_create(url="http://127.0.0.1:9/hooks", events=["*"], actor=boss)
    sales.customer_create(actor=None, name="Initech", email="initech@example.com")
