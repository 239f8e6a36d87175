"""Returns in the back-office, reached by clicking from the admin index: the list filtered by status, the return
page with its lines and history, the buttons each role gets (receive, credit, reject with a reason), "Request
return…" on a delivered order's page with a quantity per line, the order's Returns tab, and the refusals shown
as messages that change nothing. Given / when / then."""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from inventory.models import Product, StockMovement
from sales import services
from sales.models import Order, OrderStatus, Return, ReturnEvent
from tests.admin.helpers import data_attrs, form_errors, hidden_form, messages_text, page_form
from tests.admin.navigation import object_link, sidebar_link
from tests.factories import OrderFactory, ProductFactory, ReturnFactory
from tests.sales.helpers import days_ago, delivered_order, returns_db_state, set_delivered_at

pytestmark = pytest.mark.django_db


def open_return(client: Client, return_: Return, sidebar: str = "Returns") -> object:
    """From the admin index: the sidebar's returns list, then the return's number."""
    listing = client.get(sidebar_link(client.get("/admin/"), sidebar))
    assert listing.status_code == 200
    page = client.get(object_link(listing, return_.return_number))
    assert page.status_code == 200
    return page


def open_order(client: Client, order: Order) -> object:
    listing = client.get(sidebar_link(client.get("/admin/"), "Orders"))
    page = client.get(object_link(listing, order.order_number))
    assert page.status_code == 200
    return page


def press(client: Client, page: object, move: str) -> object:
    """Press a one-step button (receive, credit) as the back-office's script does: POST with the CSRF token."""
    url, data = hidden_form(page, f"move-{move}")  # type: ignore[arg-type]
    return client.post(url, data, follow=True)


@pytest.mark.parametrize(("role", "status", "buttons"), [
    ("sales", "requested", {"rejected"}),
    ("warehouse", "requested", {"received"}),
    ("finance", "requested", {"rejected"}),
    ("finance", "received", {"credited"}),
    ("warehouse", "received", set()),
    ("sales", "credited", set()),
    ("finance", "rejected", set()),
])
def test_each_role_gets_the_buttons_of_its_moves(login: Callable[..., Client], role: str, status: str,
                                                 buttons: set[str]) -> None:
    return_ = ReturnFactory(**({} if status == "requested" else {status: True}))
    page = open_return(login(role), return_)
    assert data_attrs(page, "move") == buttons  # type: ignore[arg-type]


def test_the_list_filters_by_status_and_the_page_shows_lines_and_history(login: Callable[..., Client]) -> None:
    requested = ReturnFactory(reason="wrong colour")
    received = ReturnFactory(received=True)
    sales = login("sales")
    listing = sales.get(sidebar_link(sales.get("/admin/"), "Returns"))
    text = listing.content.decode()
    assert requested.return_number in text and received.return_number in text
    filtered = sales.get(listing.wsgi_request.path, {"status__exact": "received"}).content.decode()
    assert received.return_number in filtered and requested.return_number not in filtered
    page = open_return(sales, requested).content.decode()  # type: ignore[attr-defined]
    line = requested.lines.get()
    for shown in (requested.order.order_number, line.order_line.sku, "wrong colour", "129.99 USD", ">requested<"):
        assert shown in page, shown
    # and returns are neither added nor deleted in the admin
    assert sales.get("/admin/sales/return/add/").status_code == 403


def test_the_warehouse_receives_from_the_returns_to_receive_list(login: Callable[..., Client]) -> None:
    # given a requested return of 1 unit (restock)
    return_ = ReturnFactory()
    product_id = return_.lines.get().product_id
    stock = Product.objects.get(pk=product_id).stock_quantity
    warehouse = login("warehouse")
    # when the warehouse opens it from "Returns to receive" and presses Receive
    page = open_return(warehouse, return_, "Returns to receive")
    done = press(warehouse, page, "received")
    # then it is received, the unit back in stock with a ``return`` ledger row
    assert f"Return {return_.return_number} received" in messages_text(done, "success")  # type: ignore[arg-type]
    assert Return.objects.get(pk=return_.pk).status == "received"
    assert Product.objects.get(pk=product_id).stock_quantity == stock + 1
    assert StockMovement.objects.filter(kind="return", reference=return_.pk).count() == 1


def test_finance_credits_from_the_returns_to_credit_list(login: Callable[..., Client]) -> None:
    return_ = ReturnFactory(received=True)
    finance = login("finance", username="fay")
    page = open_return(finance, return_, "Returns to credit")
    done = press(finance, page, "credited")
    assert f"Return {return_.return_number} credited." in messages_text(done, "success")  # type: ignore[arg-type]
    assert list(ReturnEvent.objects.filter(sales_return=return_).order_by("id")
                .values_list("to_status", "actor__username"))[-1] == ("credited", "fay")


def test_reject_asks_for_a_reason(login: Callable[..., Client]) -> None:
    return_ = ReturnFactory()
    sales = login("sales")
    page = open_return(sales, return_)
    form_page = sales.get(object_link(page, "Reject"))
    before = returns_db_state()
    # an empty reason is refused by the form, changing nothing
    empty = sales.post(form_page.wsgi_request.path, {**page_form(form_page, "action-form"), "reason": ""})
    assert "This field is required" in form_errors(empty)
    assert returns_db_state() == before
    done = sales.post(form_page.wsgi_request.path, {**page_form(form_page, "action-form"), "reason": "worn"},
                      follow=True)
    assert f"Return {return_.return_number} rejected." in messages_text(done, "success")
    assert (Return.objects.get(pk=return_.pk).status, Return.objects.get(pk=return_.pk).rejection_reason) == (
        "rejected", "worn")


def test_a_stale_button_ends_in_a_message_that_changes_nothing(login: Callable[..., Client]) -> None:
    # given the warehouse's page of a requested return, which sales rejects meanwhile
    return_ = ReturnFactory()
    warehouse = login("warehouse")
    page = open_return(warehouse, return_)
    services.return_reject(return_id=return_.pk, reason="not ours", actor=None)
    before = returns_db_state()
    # when the warehouse presses Receive
    done = press(warehouse, page, "received")
    # then the refusal is shown and nothing changed
    assert "cannot move to 'received'" in messages_text(done, "error")  # type: ignore[arg-type]
    assert returns_db_state() == before


def request_form(client: Client, order: Order) -> tuple[str, dict[str, str]]:
    page = open_order(client, order)
    assert "request-return" in data_attrs(page, "action")  # type: ignore[arg-type]
    form_page = client.get(object_link(page, "Request return"))
    assert form_page.status_code == 200
    return form_page.wsgi_request.path, page_form(form_page, "action-form")


def test_sales_requests_a_return_from_the_order_page(login: Callable[..., Client]) -> None:
    # given a delivered order of 3 A and 2 B
    a = ProductFactory(sku="ADM-A", price=Decimal("10.00"), stock=10)
    b = ProductFactory(sku="ADM-B", price=Decimal("20.00"), stock=10)
    order = delivered_order(days_ago(1), lines=[(a, 3), (b, 2)])
    line_a, line_b = order.lines.order_by("position")
    sales = login("sales", username="sam")
    # when sales opens the order, presses "Request return…" and asks 2 A back (restock) and 1 B (scrap)
    path, data = request_form(sales, order)
    data.update({f"quantity_{line_a.pk}": "2", f"quantity_{line_b.pk}": "1", "reason": "too big"})
    data.pop(f"restock_{line_b.pk}", None)
    done = sales.post(path, data, follow=True)
    # then the return page opens with its number, and the return is as asked
    return_ = Return.objects.get()
    assert f"Return {return_.return_number}" in messages_text(done)
    assert done.wsgi_request.path.endswith(f"/admin/sales/return/{quote(return_.pk)}/change/")
    assert [(line.product_id, line.quantity, line.restock) for line in return_.lines.all()] == [
        (a.pk, 2, True), (b.pk, 1, False)]
    assert (return_.value, return_.reason, return_.created_by.username) == (Decimal("40.00"), "too big", "sam")
    # and the order's Returns tab links to it
    order_page = open_order(sales, order).content.decode()  # type: ignore[attr-defined]
    assert return_.return_number in order_page
    assert html.unescape(object_link(open_order(sales, order), return_.return_number)).endswith(
        f"/admin/sales/return/{quote(return_.pk)}/change/")


def test_a_refused_request_is_a_message_and_changes_nothing(login: Callable[..., Client],
                                                            settings: pytest.FixtureRequest) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30  # type: ignore[attr-defined]
    order = delivered_order(days_ago(1))
    line = order.lines.get()
    sales = login("sales")
    path, data = request_form(sales, order)
    before = returns_db_state()
    # too many
    done = sales.post(path, {**data, f"quantity_{line.pk}": "5"}, follow=True)
    assert "More than can still be returned" in messages_text(done, "error")
    # nothing asked
    assert "at least one line" in form_errors(sales.post(path, data))
    assert returns_db_state() == before
    # the window has passed meanwhile
    set_delivered_at(order, days_ago(40))
    before = returns_db_state()
    done = sales.post(path, {**data, f"quantity_{line.pk}": "1"}, follow=True)
    assert "return window ended" in messages_text(done, "error")
    assert returns_db_state() == before


def test_finance_may_waive_the_window_on_the_form(login: Callable[..., Client],
                                                  settings: pytest.FixtureRequest) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30  # type: ignore[attr-defined]
    order = delivered_order(days_ago(1))
    line = order.lines.get()
    _path, sales_data = request_form(login("sales"), order)
    assert "waive_return_window" not in sales_data
    set_delivered_at(order, days_ago(40))
    finance = login("finance")
    path, data = request_form(finance, order)
    done = finance.post(path, {**data, f"quantity_{line.pk}": "1", "waive_return_window": "on"}, follow=True)
    assert "Return requested" in messages_text(done, "success")
    assert Return.objects.get().return_window_waived is True


def test_request_return_is_offered_on_delivered_orders_to_sales_and_finance(login: Callable[..., Client]) -> None:
    delivered = OrderFactory(status=OrderStatus.DELIVERED)
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    for role, offered in (("sales", True), ("finance", True), ("warehouse", False)):
        client = login(role)
        assert ("request-return" in data_attrs(open_order(client, delivered), "action")) is offered, role  # type: ignore[arg-type]
        assert "request-return" not in data_attrs(open_order(client, shipped), "action")  # type: ignore[arg-type]


def test_closing_an_order_with_an_open_return_is_refused_in_the_admin(login: Callable[..., Client]) -> None:
    # given an old delivered order with a requested return
    order = delivered_order(days_ago(1))
    ReturnFactory(order=order)
    set_delivered_at(order, days_ago(60))
    finance = login("finance")
    open_order(finance, order)
    before = returns_db_state()
    # when finance closes it from its page
    done = finance.post(f"/admin/sales/order/{order.pk}/move/closed/", {"reason": ""}, follow=True)
    # then the refusal names the open return and nothing changed
    assert "open returns" in messages_text(done, "error"), messages_text(done)
    assert Order.objects.get(pk=order.pk).status == "delivered"
    assert returns_db_state() == before


def test_a_product_on_two_lines_is_one_row_taken_from_its_lines_in_order(login: Callable[..., Client]) -> None:
    # given a delivered order with the same product on two lines (2, then 3)
    a = ProductFactory(sku="ADM-TWICE", price=Decimal("10.00"), stock=10)
    order = delivered_order(days_ago(1), lines=[(a, 2), (a, 3)])
    first, second = order.lines.order_by("position")
    sales = login("sales")
    # when sales opens the form, then the product is one row: delivered 5, on lines 1 and 2
    path, data = request_form(sales, order)
    assert f"quantity_{first.pk}" in data and f"quantity_{second.pk}" not in data
    page = sales.get(path).content.decode()
    assert "Delivered 5, 5 left to return. On lines 1, 2" in html.unescape(page)
    # and asking 3 back takes 2 from the first line and 1 from the second
    done = sales.post(path, {**data, f"quantity_{first.pk}": "3", "reason": "too many"}, follow=True)
    assert "Return requested" in messages_text(done, "success")
    assert [(line.order_line_id, line.quantity) for line in Return.objects.get().lines.all()] == [
        (first.pk, 2), (second.pk, 1)]
