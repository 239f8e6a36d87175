"""What staff met by clicking (issue 20), with Django's test client following links from the admin index: the site's
front page and sign-in from a bookmark, buttons named by what they do, read-only pages that offer nothing to save."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from sales.models import OrderStatus
from tests.admin.helpers import button_link
from tests.admin.navigation import object_link, sidebar_link
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Buttons(HTMLParser):
    """Collects the text of each link and button (icons left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.open: list[str] = []
        self.icon = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "button"):
            self.open.append("")
        elif tag == "span" and (self.icon or "material-symbols-outlined" in (dict(attrs).get("class") or "")):
            self.icon += 1  # an icon's name (and anything inside it) is not read

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "button") and self.open:
            text = " ".join(self.open.pop().split())
            if text:
                self.texts.append(text)
        elif tag == "span" and self.icon:
            self.icon -= 1

    def handle_data(self, data: str) -> None:
        if self.open and not self.icon:
            self.open[-1] += " " + data


def buttons(response: Any) -> list[str]:
    """The text of every link and button on the page, as a person reads it."""
    reader = _Buttons()
    reader.feed(response.content.decode())
    return reader.texts


def save_buttons(response: Any) -> set[str]:
    return set(re.findall(r'name="(_save|_continue|_addanother|_saveasnew)"', response.content.decode()))


def open_order(client: Client, sidebar: str, order_number: str) -> Any:
    orders = client.get(sidebar_link(client.get("/admin/"), sidebar))
    return client.get(object_link(orders, order_number))


def test_signing_in_without_next_lands_on_the_admin_index(db: None) -> None:
    # given staff who bookmarked the sign-in page
    UserFactory(username="sam", staff=True, roles=["sales"], password="pw-for-sam")
    client = Client()
    # when they sign in from it (the page's form has no "next")
    response = client.post("/admin/login/", {"username": "sam", "password": "pw-for-sam"}, follow=True)
    # then they land on the admin index, the dashboard
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200 and b"data-dashboard" in response.content


def test_return_to_site_leads_to_a_page_with_the_admin_the_api_docs_and_health(db: None) -> None:
    client = Client()
    login = client.get("/admin/login/")
    site = re.search(r'<a href="([^"]+)"[^>]*>\s*<span[^>]*>arrow_back</span> Return to site', login.content.decode())
    assert site, "no 'Return to site' link"
    landing = client.get(site.group(1))
    assert landing.status_code == 200
    links = dict((text, href) for href, text in
                 re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', landing.content.decode()))
    assert list(links) == ["Back-office", "API documentation", "OpenAPI schema", "Health"]
    for text, href in links.items():
        assert client.get(href, follow=True).status_code == 200, text


def test_cancelling_an_order_names_both_buttons_by_what_they_do(login: Callable[..., Client]) -> None:
    # given a draft, and sales on its page (from "Orders")
    sales = login("sales")
    order = OrderFactory()
    page = open_order(sales, "Orders", order.order_number)
    assert "Cancel order…" in buttons(page)
    # when they press "Cancel order…"
    form = sales.get(button_link(page, "move", OrderStatus.CANCELLED))
    # then the form cancels with "Cancel order" and goes back with "Back": no button says only "Cancel"
    shown = buttons(form)
    assert "Cancel order" in shown and "Back" in shown and "Cancel" not in shown
    back = re.search(r'<a href="([^"]+)"[^>]*data-back>Back</a>', form.content.decode())
    assert back and sales.get(html.unescape(back.group(1))).status_code == 200


def test_closing_an_order_is_not_confused_with_leaving_the_page(login: Callable[..., Client]) -> None:
    # given a delivered order, and finance on its page (from "Orders to close")
    finance = login("finance")
    order = OrderFactory(status=OrderStatus.DELIVERED)
    page = open_order(finance, "Orders to close", order.order_number)
    shown = buttons(page)
    # then the order's action says "Close order…"; the way out says "Back"; nothing says only "Close"
    assert "Close order…" in shown and "Back" in shown and "Close" not in shown
    form = finance.get(button_link(page, "move", OrderStatus.CLOSED))
    assert "Close order" in buttons(form) and "Back" in buttons(form)


def test_a_page_with_nothing_to_save_offers_no_save(login: Callable[..., Client]) -> None:
    # given a confirmed order (read-only) and a draft (editable), and sales
    sales = login("sales")
    confirmed = OrderFactory(status=OrderStatus.CONFIRMED)
    draft = OrderFactory()
    # then the confirmed order's page offers no "Save" buttons, only "Back"; the draft's offers them
    page = open_order(sales, "Orders", confirmed.order_number)
    assert save_buttons(page) == set() and "Back" in buttons(page)
    assert save_buttons(open_order(sales, "Drafts to confirm", draft.order_number)) >= {"_save", "_continue"}


# -- a link a role cannot follow is not a link ---------------------------------------------------------------------

_LINK = re.compile(r'<a\b[^>]*?\bhref="(/[^"#]*)', re.S)
_NOT_PAGES = ("/admin/logout/", "/static/", "/media/")


def crawl(client: Client, limit: int = 400) -> tuple[int, list[str]]:
    """Follow every link from the admin index, each path once (its first query string), never typing one: the
    pages seen and the links that answer 400 or more, as "<status> <url> (linked from <page>)"."""
    queue: list[tuple[str, str]] = [("/admin/", "sign-in")]
    seen: set[str] = set()
    broken: list[str] = []
    while queue and len(seen) < limit:
        url, origin = queue.pop(0)
        path = url.split("?")[0]
        if path in seen:
            continue
        seen.add(path)
        response = client.get(url, follow=True)
        if response.status_code >= 400:
            broken.append(f"{response.status_code} {url} (linked from {origin})")
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        for href in _LINK.findall(response.content.decode()):
            link = html.unescape(href)
            if not link.startswith(_NOT_PAGES) and link.split("?")[0] not in seen:
                queue.append((link, url))
    return len(seen), broken


@pytest.mark.parametrize("role", ["sales", "warehouse", "finance", "integrations"])
def test_every_link_a_role_is_shown_leads_to_a_page(login: Callable[..., Client], every_kind_of_page: None,
                                                    role: str) -> None:
    pages, broken = crawl(login(role))
    assert pages > 10
    assert broken == [], "\n".join(broken)


def test_a_payment_is_a_link_for_finance_and_text_for_sales(login: Callable[..., Client]) -> None:
    # given a paid invoice, recorded by a named person
    from tests.factories import InvoiceFactory

    boss = UserFactory(username="boss", staff=True, superuser=True)
    invoice = InvoiceFactory(status="paid", actor=boss)
    payment = invoice.payments.get()
    for role, linked in (("finance", True), ("sales", False)):
        # when each opens the invoice from "Invoices"
        staff = login(role)
        page = staff.get(object_link(staff.get(sidebar_link(staff.get("/admin/"), "Invoices")), invoice.number))
        content = page.content.decode()
        # then finance may follow the payment's reference, sales reads it; nobody gets a link to the user
        assert payment.reference in content
        assert (f"{payment.reference}</a>" in content) is linked, role
        assert "/admin/auth/user/" not in content and "boss" in content
