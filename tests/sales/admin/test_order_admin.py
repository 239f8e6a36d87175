"""The orders back-office: change list, change page, transitions (buttons, forms, refusals), creating and
editing drafts through the services, and the bulk actions. Given / when / then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.utils import timezone

from billing.models import Invoice
from billing.services import payment_record
from inventory import services as inventory_services
from inventory.models import Product, StockMovement
from sales import services
from sales.models import Order, OrderEvent, OrderLine, OrderStatus
from tests.admin.helpers import form_errors, hidden_form, management, messages_text, move_buttons, page_form
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.helpers import rows_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sales/order/"
ADD = "/admin/sales/order/add/"


def url(order: Order, suffix: str = "change/") -> str:
    """The admin's own link to the order: its id quoted the admin's way (``ord_01…`` is ``ord_5F01…``)."""
    return f"/admin/sales/order/{quote(order.pk)}/{suffix}"


def listed(response: Any) -> set[str]:
    """Order numbers on the change list page."""
    return {order.order_number for order in response.context["cl"].result_list}


# What a refused action must leave alone: the orders, their lines and history, stock and its ledger.
ORDER_ROWS = (Order, OrderLine, OrderEvent, Product, StockMovement)


def row(response: Any, order_number: str) -> str:
    """The change list's table row of that order."""
    rows = [r for r in response.content.decode().split("<tr") if order_number in r]
    assert len(rows) == 1, rows
    return rows[0]


def page_form_fields(response: Any) -> list[str]:
    """The fields of the form an action page (move, hold) asks for."""
    return list(response.context["form"].fields)


# --- change list -------------------------------------------------------------------------------------


def test_change_list_shows_number_customer_status_total_invoice_and_amount_due(superuser_client: Client) -> None:
    # given a confirmed order (it has a draft invoice) and a draft (no invoice yet)
    confirmed = OrderFactory(status=OrderStatus.CONFIRMED, customer=CustomerFactory(name="Acme Retail"))
    draft = OrderFactory(customer=CustomerFactory(name="Globex GmbH"))

    # when staff open the orders list
    response = superuser_client.get(CHANGELIST)

    # then each row shows the number, customer, status badge, total with currency, invoice and amount due
    assert response.status_code == 200
    assert listed(response) == {confirmed.order_number, draft.order_number}
    confirmed_row, draft_row = row(response, confirmed.order_number), row(response, draft.order_number)
    for text in ("Acme Retail", 'class="status-badge"', ">confirmed<", ">draft<"):  # order and invoice badges
        assert text in confirmed_row, text
    assert confirmed_row.count("259.98 USD") == 2  # the total and the invoice's amount due
    assert "Globex GmbH" in draft_row and ">draft<" in draft_row and "259.98 USD" in draft_row
    assert draft_row.count("—") == 2  # no invoice yet: no invoice status, no amount due
    headers = response.content.decode().split("<thead>")[1].split("</thead>")[0].lower()
    for column in ("order number", "customer", "status", "total", "invoice", "amount due", "created at"):
        assert column in headers, column


def test_change_list_filters_by_status_currency_hold_and_created_date(superuser_client: Client) -> None:
    # given orders in different statuses and currencies, one on hold, one created 40 days ago
    draft = OrderFactory()
    confirmed_jpy = OrderFactory(status=OrderStatus.CONFIRMED, currency="JPY")
    held = OrderFactory(status=OrderStatus.PROCESSING)
    services.order_hold(order_id=held.pk, actor=None, reason="customer dispute")
    old = OrderFactory(status=OrderStatus.CONFIRMED)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    week_ago, tomorrow = midnight - timedelta(days=7), midnight + timedelta(days=1)  # the "Past 7 days" link

    # when filtering the list, then only the matching orders are shown
    cases = {
        "status__exact=confirmed": {confirmed_jpy, old},
        "status__exact=draft": {draft},
        "currency__exact=JPY": {confirmed_jpy},
        "on_hold=yes": {held},
        "on_hold=no": {draft, confirmed_jpy, old},
        urlencode({"created_at__gte": str(week_ago), "created_at__lt": str(tomorrow)}): {draft, confirmed_jpy, held},
    }
    for query, expected in cases.items():
        response = superuser_client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200, query
        assert listed(response) == {o.order_number for o in expected}, query


def test_change_list_filters_by_creation_days_in_the_staff_time_zone(superuser_client: Client) -> None:
    # given an order created on 15 March 2021 and one today
    old, new = OrderFactory(), OrderFactory()
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now().replace(year=2021, month=3, day=15, hour=12))

    # when narrowing the list to that day (both ends of the range included)
    response = superuser_client.get(f"{CHANGELIST}?created_at_from=2021-03-15&created_at_to=2021-03-15")

    # then only that day's order is listed, and the page offers the date range filter
    assert listed(response) == {old.order_number}
    page = response.content.decode()
    assert 'name="created_at_from"' in page and 'name="created_at_to"' in page
    # and from that day on, both are listed
    response = superuser_client.get(f"{CHANGELIST}?created_at_from=2021-03-15")
    assert listed(response) == {old.order_number, new.order_number}


@pytest.mark.parametrize("field", ["order_number", "customer_name", "customer_email", "tracking_number"])
def test_change_list_search(superuser_client: Client, field: str) -> None:
    # given a shipped order of a known customer, and another order
    target = OrderFactory(status=OrderStatus.SHIPPED,
                          customer=CustomerFactory(name="Zebra Imports", email="buyer@zebra.example"))
    other = OrderFactory(customer=CustomerFactory(name="Acme Retail", email="orders@acme.example"))
    assert other.order_number
    term = {"order_number": target.order_number, "customer_name": "zebra", "customer_email": "buyer@zebra",
            "tracking_number": "1Z999AA10123456784"}[field]

    # when searching by that field
    response = superuser_client.get(CHANGELIST, {"q": term})

    # then only the target is found
    assert listed(response) == {target.order_number}


@pytest.mark.parametrize("count", [5, 60])
def test_change_list_runs_a_constant_number_of_queries(
    superuser_client: Client, django_assert_max_num_queries: Callable[..., Any], count: int
) -> None:
    # given orders each with its invoice, of different customers
    for _ in range(count):
        OrderFactory(status=OrderStatus.CONFIRMED)
    assert Invoice.objects.count() == count

    # when the list is shown, then the same query budget holds for 5 and for 60 rows (the promotion-code
    # filter's choices are one of them)
    with django_assert_max_num_queries(11):
        response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(listed(response)) == count


# --- change page -------------------------------------------------------------------------------------


def test_draft_page_has_editable_lines_and_address_and_read_only_history(sales_client: Client) -> None:
    # given a draft
    order = OrderFactory()

    # when a sales user opens it
    response = sales_client.get(url(order))

    # then lines and address are inputs, history rows are shown but not editable, status is not an input
    data = page_form(response, "order_form")
    assert {"lines-0-product", "lines-0-quantity", "lines-0-unit_price"} <= set(data)
    assert data["ship_line1"] == "123 Commerce St"
    assert data["lines-0-quantity"] == "2"
    assert not any(name.startswith("events-0-") and name not in ("events-0-id", "events-0-order") for name in data)
    assert "status" not in data and "total" not in data
    history = response.content.decode().split('id="events-group"')[1]
    assert "Created" in history and ">draft<" in history


def test_confirmed_page_shows_read_only_lines_address_invoice_and_payments(finance_client: Client) -> None:
    # given a shipped order with a part payment on its invoice
    product = ProductFactory(sku="DESK-STD", stock=10)
    order = OrderFactory(status=OrderStatus.SHIPPED, lines=[(product, 2)])
    invoice = Invoice.objects.get(order=order)
    payment_record(invoice_id=invoice.pk, amount=Decimal("100.00"), currency="USD", payment_method="card",
                   reference="AUTH-1", actor=None)

    # when finance opens the order
    response = finance_client.get(url(order))

    # then lines are text (no inputs), with the address, the invoice (paid and due) and the payment
    assert response.status_code == 200
    data = page_form(response, "order_form")
    assert not any(name.startswith("lines-0-") and name not in ("lines-0-id", "lines-0-order") for name in data)
    assert not any(name.startswith("ship_") for name in data)
    page = response.content.decode()
    invoice.refresh_from_db()
    for text in ("DESK-STD", "123 Commerce St<br>Austin, TX 78701<br>US", invoice.number, "paid 100.00", "due 159.98",
                 "AUTH-1", "1Z999AA10123456784", "UPS", 'data-action="invoice"'):
        assert text in page, text


# which transition buttons each role gets, per status (hold buttons left out)
BUTTONS = {
    OrderStatus.DRAFT: {"sales": {"confirmed", "cancelled"}, "warehouse": set(), "finance": set()},
    OrderStatus.CONFIRMED: {"sales": {"cancelled"}, "warehouse": {"processing"}, "finance": set()},
    OrderStatus.PROCESSING: {"sales": set(), "warehouse": {"shipped"}, "finance": set()},
    OrderStatus.SHIPPED: {"sales": set(), "warehouse": {"delivered"}, "finance": set()},
    OrderStatus.DELIVERED: {"sales": set(), "warehouse": set(), "finance": {"closed"}},
    OrderStatus.CLOSED: {"sales": set(), "warehouse": set(), "finance": set()},
    OrderStatus.CANCELLED: {"sales": set(), "warehouse": set(), "finance": set()},
}


@pytest.mark.parametrize("status", list(BUTTONS))
def test_each_role_sees_one_button_per_transition_it_may_make_now(login: Callable[..., Client], status: str) -> None:
    # given an order in that status
    order = OrderFactory(status=status)
    for role, expected in BUTTONS[status].items():
        # when a user of the role opens it
        response = login(role).get(url(order))
        # then exactly the moves it may make now are buttons
        assert response.status_code == 200, role
        assert move_buttons(response) == expected, (status, role)
    # and a superuser sees every move possible now
    superuser_moves = set().union(*BUTTONS[status].values())
    assert move_buttons(login(superuser=True).get(url(order))) == superuser_moves


def test_hold_buttons_follow_the_hold_permission_and_state(login: Callable[..., Client]) -> None:
    # given a confirmed order
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    sales, finance, warehouse = login("sales"), login("finance"), login("warehouse")
    # then sales and finance may put it on hold, warehouse may not
    assert 'data-move="hold"' in sales.get(url(order)).content.decode()
    assert 'data-move="hold"' in finance.get(url(order)).content.decode()
    assert 'data-move="hold"' not in warehouse.get(url(order)).content.decode()
    # when it is on hold, then "release" replaces "hold"
    services.order_hold(order_id=order.pk, actor=None, reason="dispute")
    page = sales.get(url(order)).content.decode()
    assert 'data-move="release-hold"' in page and 'data-move="hold"' not in page and "On hold since" in page


def test_delivered_order_on_hold_shows_no_close_button(finance_client: Client) -> None:
    order = OrderFactory(status=OrderStatus.DELIVERED)
    services.order_hold(order_id=order.pk, actor=None, reason="dispute")
    assert move_buttons(finance_client.get(url(order))) == set()


# --- transitions that need data ----------------------------------------------------------------------


def test_ship_asks_for_tracking_and_carrier(warehouse_client: Client) -> None:
    # given a processing order
    order = OrderFactory(status=OrderStatus.PROCESSING)
    before = rows_of(*ORDER_ROWS)

    # when the warehouse opens the ship form
    response = warehouse_client.get(url(order, "move/shipped/"))
    # then it asks for tracking number and carrier
    assert set(page_form_fields(response)) >= {"tracking_number", "carrier"}

    # when it is posted without them
    response = warehouse_client.post(url(order, "move/shipped/"), {"reason": ""})
    # then the form comes back with errors and nothing changed
    assert response.status_code == 200
    assert "This field is required." in form_errors(response)
    assert rows_of(*ORDER_ROWS) == before

    # when posted with them
    response = warehouse_client.post(url(order, "move/shipped/"),
                                     {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}, follow=True)
    # then the order is shipped with its tracking, and the history says so
    assert response.status_code == 200
    assert f"Order {order.order_number} is now shipped." in messages_text(response, "success")
    order.refresh_from_db()
    assert (order.status, order.tracking_number, order.carrier) == ("shipped", "1Z999AA10123456784", "UPS")
    event = order.events.latest("id")
    assert (event.from_status, event.to_status, event.actor) == ("processing", "shipped", warehouse_client.user)


def test_cancel_asks_for_a_reason_and_releases_stock(sales_client: Client) -> None:
    # given a confirmed order holding 2 of a product with stock 10 (8 left)
    product = ProductFactory(stock=10)
    order = OrderFactory(status=OrderStatus.CONFIRMED, lines=[(product, 2)])
    before = rows_of(*ORDER_ROWS)
    assert "reason" in page_form_fields(sales_client.get(url(order, "move/cancelled/")))

    # when cancelling without a reason, then the form is shown again and nothing changed
    response = sales_client.post(url(order, "move/cancelled/"), {"reason": ""})
    assert response.status_code == 200
    assert "This field is required." in form_errors(response)
    assert rows_of(*ORDER_ROWS) == before

    # when cancelling with a reason
    response = sales_client.post(url(order, "move/cancelled/"), {"reason": "customer changed their mind"},
                                 follow=True)
    # then the order is cancelled with the reason, the stock comes back, the invoice is void
    assert response.status_code == 200
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.cancellation_reason) == ("cancelled", "customer changed their mind")
    assert product.stock_quantity == 10
    assert Invoice.objects.get(order=order).status == "void"


def test_close_form_offers_the_waiver_to_finance(finance_client: Client) -> None:
    # given a delivered order (its return window is open)
    order = OrderFactory(status=OrderStatus.DELIVERED)
    before = rows_of(*ORDER_ROWS)

    # when finance opens the close form, then it offers the waiver
    response = finance_client.get(url(order, "move/closed/"))
    assert "waive_return_window" in page_form_fields(response)

    # when finance closes without the waiver, then refused with the reason, order unchanged
    response = finance_client.post(url(order, "move/closed/"), {"reason": ""}, follow=True)
    assert response.status_code == 200
    refusal = messages_text(response, "error")
    assert "The return window is open until" in refusal and "“Waive the return window”" in refusal
    assert rows_of(*ORDER_ROWS) == before

    # when finance closes waiving the window, then closed, the waiver recorded and the invoice issued
    response = finance_client.post(url(order, "move/closed/"), {"waive_return_window": "on"}, follow=True)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "closed"
    assert order.events.latest("id").data["return_window_waived"] is True
    assert Invoice.objects.get(order=order).status == "issued"


# --- refusals are messages, never error pages -----------------------------------------------------------


def test_confirm_refused_for_insufficient_stock(sales_client: Client) -> None:
    # given a draft of 2 units whose product has only 1 left
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 2)])
    inventory_services.stock_adjust(product=product, quantity_delta=-9, reason="damaged", actor=None)
    before = rows_of(*ORDER_ROWS)

    # when confirming it
    response = sales_client.post(url(order, "move/confirmed/"), follow=True)

    # then the page shows why, and nothing changed: status, stock, ledger, no invoice
    assert response.status_code == 200
    assert "Not enough stock" in messages_text(response, "error")
    assert rows_of(*ORDER_ROWS) == before
    assert not Invoice.objects.filter(order=order).exists()


@pytest.mark.parametrize(
    ("status", "target", "message"),
    [
        (OrderStatus.DRAFT, "delivered", "cannot move to 'delivered'"),
        (OrderStatus.SHIPPED, "confirmed", "cannot move to 'confirmed'"),
        (OrderStatus.CLOSED, "cancelled", "cannot move to 'cancelled'"),
    ],
)
def test_invalid_move_is_refused_with_a_message(
    superuser_client: Client, status: str, target: str, message: str
) -> None:
    order = OrderFactory(status=status)
    before = rows_of(*ORDER_ROWS)
    response = superuser_client.post(url(order, f"move/{target}/"),
                                     {"reason": "x"} if target == "cancelled" else {}, follow=True)
    assert response.status_code == 200
    assert message in messages_text(response, "error")
    assert rows_of(*ORDER_ROWS) == before


@pytest.mark.parametrize("target", ["draft", "bogus"])
def test_a_move_the_lifecycle_does_not_have_is_not_a_page(superuser_client: Client, target: str) -> None:
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    before = rows_of(*ORDER_ROWS)
    response = superuser_client.post(url(order, f"move/{target}/"), {})
    # then no move runs: Django's admin sends the unknown URL to its catch-all (the change page of no object)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/move/{target}/change/")
    assert rows_of(*ORDER_ROWS) == before


def test_close_refused_while_on_hold_even_with_the_waiver(finance_client: Client) -> None:
    # given a delivered order on hold
    order = OrderFactory(status=OrderStatus.DELIVERED)
    services.order_hold(order_id=order.pk, actor=None, reason="customer dispute")
    before = rows_of(*ORDER_ROWS)

    # when finance tries to close it
    response = finance_client.post(url(order, "move/closed/"), {"waive_return_window": "on"}, follow=True)

    # then the hold is the reason shown; nothing changed
    assert response.status_code == 200
    assert "on hold (customer dispute)" in messages_text(response, "error")
    assert rows_of(*ORDER_ROWS) == before
    assert Invoice.objects.get(order=order).status == "draft"


def test_hold_and_release(sales_client: Client, warehouse_client: Client) -> None:
    # given a confirmed order
    order = OrderFactory(status=OrderStatus.CONFIRMED)

    # when sales puts it on hold without a reason, then the form asks for one
    response = sales_client.post(url(order, "hold/"), {"reason": ""})
    assert response.status_code == 200 and "This field is required." in form_errors(response)
    assert not Order.objects.get(pk=order.pk).on_hold

    # when with a reason, then it is on hold, with a history row
    response = sales_client.post(url(order, "hold/"), {"reason": "payment dispute"}, follow=True)
    assert "is on hold" in messages_text(response, "success")
    order.refresh_from_db()
    assert (order.on_hold, order.hold_reason) == (True, "payment dispute")
    assert order.events.latest("id").kind == OrderEvent.Kind.HELD

    # when holding again, then refused with a message
    response = sales_client.post(url(order, "hold/"), {"reason": "again"}, follow=True)
    assert "already on hold" in messages_text(response, "error")

    # and the warehouse may neither hold nor release (403)
    assert warehouse_client.get(url(order, "hold/")).status_code == 403
    assert warehouse_client.post(url(order, "release-hold/")).status_code == 403
    assert Order.objects.get(pk=order.pk).on_hold

    # when sales releases it
    response = sales_client.post(url(order, "release-hold/"), follow=True)
    assert "no longer on hold" in messages_text(response, "success")
    order.refresh_from_db()
    assert not order.on_hold
    assert order.events.latest("id").kind == OrderEvent.Kind.HOLD_RELEASED

    # when releasing again, then refused with a message
    response = sales_client.post(url(order, "release-hold/"), follow=True)
    assert "not on hold" in messages_text(response, "error")


def test_hold_refused_on_a_closed_order(finance_client: Client) -> None:
    order = OrderFactory(status=OrderStatus.CLOSED)
    response = finance_client.post(url(order, "hold/"), {"reason": "late dispute"}, follow=True)
    assert response.status_code == 200
    assert "cannot be put on hold" in messages_text(response, "error")
    assert not Order.objects.get(pk=order.pk).on_hold


# --- creating and editing drafts ----------------------------------------------------------------------


def add_data(customer: Any, lines: list[tuple[Any, Any, Any]], currency: str = "USD",
             **address: str) -> dict[str, Any]:
    data: dict[str, Any] = {"customer": customer.pk, "currency": currency, "_save": "Save",
                            **management("lines", total=len(lines)), **management("events")}
    for index, (product, quantity, unit_price) in enumerate(lines):
        data.update({f"lines-{index}-product": product.pk, f"lines-{index}-quantity": quantity,
                     f"lines-{index}-unit_price": "" if unit_price is None else unit_price})
    data.update({f"ship_{name}": value for name, value in address.items()})
    return data


def test_creating_an_order_goes_through_the_service(sales_client: Client) -> None:
    # given a customer with a default address and a product at 129.99 USD
    customer = CustomerFactory(name="Acme Retail")
    desk = ProductFactory(sku="DESK-STD", price=Decimal("129.99"), stock=50)
    assert sales_client.get(ADD).status_code == 200

    # when sales adds an order of 2 desks without an address
    response = sales_client.post(ADD, add_data(customer, [(desk, 2, None)]))

    # then it is created by the service: number, history "created", totals, the customer's address
    assert response.status_code == 302, form_errors(response)
    order = Order.objects.get()
    assert order.order_number.startswith("SO-")
    assert (order.status, order.currency, order.total, order.subtotal) == (
        "draft", "USD", Decimal("259.98"), Decimal("259.98"))
    assert order.shipping_address == customer.default_shipping_address
    assert order.created_by == sales_client.user
    assert list(order.events.values_list("kind", flat=True)) == ["created"]
    assert list(order.lines.values_list("sku", "quantity", "unit_price")) == [("DESK-STD", 2, Decimal("129.99"))]
    # and no stock moved for a draft
    desk.refresh_from_db()
    assert desk.stock_quantity == 50


def test_creating_an_order_with_an_address_and_a_price_in_another_currency(superuser_client: Client) -> None:
    # given a JPY-priced mug and a customer without a default address
    customer = CustomerFactory(no_address=True)
    mug = ProductFactory(jpy=True, stock=5)

    # when an order in USD gives the mug a USD unit price and an address
    response = superuser_client.post(ADD, add_data(
        customer, [(mug, 3, "9.50")], line1="1 Main St", city="Boston", state="MA", postal_code="02101",
        country="us"))

    # then the order has that price and that address
    assert response.status_code == 302, form_errors(response)
    order = Order.objects.get()
    assert order.total == Decimal("28.50")
    assert order.shipping_address == {"line1": "1 Main St", "city": "Boston", "state": "MA",
                                      "postal_code": "02101", "country": "US"}


def _variant_parent() -> Any:
    parent = ProductFactory(sku="TEE")
    ProductFactory(sku="TEE-M", parent=parent, stock=5)
    return parent


@pytest.mark.parametrize(
    ("make_line", "error"),
    [
        (lambda: (ProductFactory(inactive=True), 1, None), "is inactive"),
        (lambda: (_variant_parent(), 1, None), "has variants; order one of its variants"),
        (lambda: (ProductFactory(jpy=True), 1, None), "Priced in JPY: give a unit price in USD."),
        (lambda: (ProductFactory(), 1, "10.005"), "USD amounts have at most 2 decimal places."),
        # caught by the line's model constraint before the service's check (a technical message)
        (lambda: (ProductFactory(), 0, None), "Ensure this value is greater than or equal to 1."),
    ],
    ids=["inactive", "has-variants", "other-currency", "too-many-decimals", "zero-quantity"],
)
def test_invalid_lines_reshow_the_form_and_create_nothing(
    superuser_client: Client, make_line: Callable[[], tuple[Any, Any, Any]], error: str
) -> None:
    # given a customer and one valid line plus an invalid one
    customer = CustomerFactory()
    good, bad = (ProductFactory(), 1, None), make_line()

    # when the order is added
    response = superuser_client.post(ADD, add_data(customer, [good, bad]))

    # then the add form comes back with the error, and nothing was written
    assert response.status_code == 200
    assert error in form_errors(response)
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


@pytest.mark.parametrize(
    ("lines", "currency", "address", "error"),
    [
        ([], "USD", {}, "An order needs at least one line item."),
        ("one", "XYZ", {}, "'XYZ' is not an ISO 4217 currency code."),
        ("one", "USD", {"line1": "1 Main St"}, "This field is required."),  # city and country missing
        ("one", "USD", {"line1": "1 Main St", "city": "Boston", "country": "U1"}, "ISO 3166-1 alpha-2"),
    ],
    ids=["no-lines", "unknown-currency", "incomplete-address", "bad-country"],
)
def test_adding_an_invalid_order_reshows_the_form(
    superuser_client: Client, lines: Any, currency: str, address: dict[str, str], error: str
) -> None:
    line_items = [(ProductFactory(), 1, None)] if lines == "one" else lines
    response = superuser_client.post(ADD, add_data(CustomerFactory(), line_items, currency=currency, **address))
    assert response.status_code == 200
    assert error in form_errors(response)
    assert not Order.objects.exists()


def test_adding_an_order_without_any_address_asks_for_one(superuser_client: Client) -> None:
    # given a customer without a default address
    customer = CustomerFactory(no_address=True)
    # when the order is added without an address
    response = superuser_client.post(ADD, add_data(customer, [(ProductFactory(), 1, None)]))
    # then the add form comes back asking for one (the entered lines are kept), and nothing was written
    assert response.status_code == 200
    assert "The customer has no default shipping address: enter one." in form_errors(response)
    assert not Order.objects.exists()


def test_editing_a_drafts_lines_goes_through_the_service(sales_client: Client) -> None:
    # given a draft of 2 x 129.99 and another product at 39.50
    order = OrderFactory()
    lamp = ProductFactory(sku="LAMP-LED", price=Decimal("39.50"), stock=3)
    data = page_form(sales_client.get(url(order)), "order_form")

    # when the quantity becomes 3 and a lamp line is added
    data.update({"lines-0-quantity": "3", "lines-TOTAL_FORMS": "2", "lines-1-product": lamp.pk,
                 "lines-1-quantity": "1", "lines-1-unit_price": "", "_save": "Save"})
    response = sales_client.post(url(order), data)

    # then the service replaced the lines, recomputed totals and wrote an "updated" history row
    assert response.status_code == 302, form_errors(response)
    order.refresh_from_db()
    assert order.total == Decimal("429.47")  # 3 x 129.99 + 39.50
    assert list(order.lines.order_by("position").values_list("quantity", "sku")) == [
        (3, order.lines.get(position=1).sku), (1, "LAMP-LED")]
    event = order.events.latest("id")
    assert (event.kind, event.actor, event.data["total"]) == ("updated", sales_client.user, "429.47")


def test_editing_a_drafts_address_goes_through_the_service(sales_client: Client) -> None:
    order = OrderFactory()
    data = page_form(sales_client.get(url(order)), "order_form")
    data.update({"ship_line1": "500 Warehouse Rd", "ship_city": "Dallas", "_save": "Save"})
    response = sales_client.post(url(order), data)
    assert response.status_code == 302, form_errors(response)
    order.refresh_from_db()
    assert order.shipping_address["line1"] == "500 Warehouse Rd"
    assert order.shipping_address["city"] == "Dallas"
    assert order.total == Decimal("259.98")
    event = order.events.latest("id")
    assert event.kind == "updated" and "lines" not in event.data and "shipping_address" in event.data


def test_editing_a_draft_with_an_invalid_line_changes_nothing(sales_client: Client) -> None:
    order = OrderFactory()
    data = page_form(sales_client.get(url(order)), "order_form")
    data.update({"lines-0-product": ProductFactory(inactive=True).pk, "_save": "Save"})
    response = sales_client.post(url(order), data)
    assert response.status_code == 200
    assert "is inactive" in form_errors(response)
    assert list(order.events.values_list("kind", flat=True)) == ["created"]


def test_status_totals_and_timestamps_cannot_be_posted(sales_client: Client) -> None:
    # given a draft
    order = OrderFactory()
    data = page_form(sales_client.get(url(order)), "order_form")
    created_at = order.created_at

    # when the form is posted with status, totals, number and timestamps
    data.update({"status": "closed", "total": "0.01", "subtotal": "0.01", "order_number": "SO-HACKED",
                 "created_at": "2001-01-01 00:00", "closed_at": "2001-01-01 00:00", "on_hold": "on",
                 "_save": "Save"})
    sales_client.post(url(order), data)

    # then none of them changed
    order.refresh_from_db()
    assert (order.status, order.total, order.on_hold, order.closed_at) == ("draft", Decimal("259.98"), False, None)
    assert order.order_number != "SO-HACKED" and order.created_at == created_at


def test_a_non_draft_order_is_read_only(sales_client: Client) -> None:
    # given a confirmed order
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    lines_before = list(order.lines.values_list("product_id", "quantity", "unit_price"))
    response = sales_client.get(url(order))
    data = page_form(response, "order_form")
    assert not any(name.startswith("ship_") for name in data)

    # when the page's form is saved with a new status, address and line quantity slipped in
    data.update({"status": "closed", "ship_line1": "Elsewhere 1", "lines-0-quantity": "99",
                 "lines-0-product": ProductFactory().pk, "_save": "Save"})
    response = sales_client.post(url(order), data, follow=True)

    # then it is not an error page, and nothing changed
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert order.shipping_address["line1"] == "123 Commerce St"
    assert list(order.lines.values_list("product_id", "quantity", "unit_price")) == lines_before
    assert not order.events.filter(kind="updated").exists()


def test_a_non_draft_order_can_be_saved_without_a_spurious_line_error(sales_client: Client) -> None:
    # given a confirmed order, when its page is saved as shown
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    data = page_form(sales_client.get(url(order)), "order_form")
    response = sales_client.post(url(order), {**data, "_save": "Save"})
    # then the admin accepts it (the read-only lines are not re-validated) and the order is unchanged
    assert response.status_code == 302, form_errors(response)
    assert Order.objects.get(pk=order.pk).status == "confirmed"


def test_orders_cannot_be_deleted(superuser_client: Client) -> None:
    order = OrderFactory()
    assert superuser_client.get(url(order, "delete/")).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


# --- bulk actions -------------------------------------------------------------------------------------


def bulk(client: Client, action: str, orders: list[Order]) -> Any:
    return client.post(CHANGELIST, {"action": action, "_selected_action": [o.pk for o in orders]}, follow=True)


def test_bulk_confirm_reports_each_order(sales_client: Client) -> None:
    # given two drafts with stock and one whose product ran short
    ok1, ok2 = OrderFactory(), OrderFactory()
    short_product = ProductFactory(stock=1)
    short = OrderFactory(lines=[(short_product, 2)])

    # when sales confirms all three
    response = bulk(sales_client, "confirm_selected", [ok1, ok2, short])

    # then two moved, one refused with its number and reason
    assert response.status_code == 200
    success, warning = messages_text(response, "success"), messages_text(response, "warning")
    assert success.startswith("2 order(s) moved to confirmed:")
    assert ok1.order_number in success and ok2.order_number in success
    assert f"1 refused — {short.order_number}: Not enough stock" in warning
    statuses = dict(Order.objects.values_list("order_number", "status"))
    assert statuses == {ok1.order_number: "confirmed", ok2.order_number: "confirmed", short.order_number: "draft"}
    short_product.refresh_from_db()
    assert short_product.stock_quantity == 1


def test_bulk_processing_and_delivered_refuse_orders_in_the_wrong_status(warehouse_client: Client) -> None:
    # given a confirmed order and a draft
    confirmed, draft = OrderFactory(status=OrderStatus.CONFIRMED), OrderFactory()

    # when the warehouse marks both processing
    response = bulk(warehouse_client, "process_selected", [confirmed, draft])
    assert f"1 order(s) moved to processing: {confirmed.order_number}." in messages_text(response, "success")
    assert f"{draft.order_number}: An order in status 'draft' cannot move to 'processing'" in \
        messages_text(response, "warning")

    # when marking both delivered (the processing one is not shipped yet)
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    response = bulk(warehouse_client, "deliver_selected", [shipped, confirmed])
    assert f"1 order(s) moved to delivered: {shipped.order_number}." in messages_text(response, "success")
    assert f"1 refused — {confirmed.order_number}:" in messages_text(response, "warning")
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {confirmed.pk: "processing", draft.pk: "draft", shipped.pk: "delivered"}


def test_bulk_actions_are_offered_only_to_roles_that_may_make_them(
    warehouse_client: Client, sales_client: Client
) -> None:
    # given a draft order
    draft = OrderFactory()
    # then warehouse is not offered "confirm" (and posting it anyway is not an action it has), sales is
    assert "confirm_selected" not in warehouse_client.get("/admin/sales/order/").content.decode()
    assert "confirm_selected" in sales_client.get("/admin/sales/order/").content.decode()
    response = bulk(warehouse_client, "confirm_selected", [draft])
    assert "No action selected." in messages_text(response, "warning")
    assert Order.objects.get(pk=draft.pk).status == "draft"


def test_bulk_cancel_releases_stock_and_refuses_shipped_orders(sales_client: Client) -> None:
    # given a confirmed order (2 reserved of 10) and a shipped one
    product = ProductFactory(stock=10)
    confirmed = OrderFactory(status=OrderStatus.CONFIRMED, lines=[(product, 2)])
    shipped = OrderFactory(status=OrderStatus.SHIPPED)

    # when sales cancels both
    response = bulk(sales_client, "cancel_selected", [confirmed, shipped])

    # then the confirmed one is cancelled with its stock back, the shipped one refused and unchanged
    assert f"1 order(s) moved to cancelled: {confirmed.order_number}." in messages_text(response, "success")
    assert f"1 refused — {shipped.order_number}: An order in status 'shipped' cannot move to 'cancelled'" in \
        messages_text(response, "warning")
    confirmed.refresh_from_db()
    product.refresh_from_db()
    assert (confirmed.status, confirmed.cancellation_reason) == ("cancelled", "cancelled from the admin")
    assert product.stock_quantity == 10
    assert Order.objects.get(pk=shipped.pk).status == "shipped"
    assert OrderLine.objects.filter(order=shipped).exists()


# --- the buttons post real forms (CSRF enforced, as in a browser) --------------------------------------------


def test_move_and_release_buttons_submit_forms_with_a_csrf_token(login: Callable[..., Client]) -> None:
    # given a draft on hold, and a sales user whose client enforces CSRF like a browser
    order = OrderFactory()
    services.order_hold(order_id=order.pk, actor=None, reason="check address")
    client = Client(enforce_csrf_checks=True)
    client.force_login(login("sales").user)  # type: ignore[attr-defined]

    # when the release-hold button's form is submitted as rendered
    action, data = hidden_form(client.get(url(order)), "release-hold")
    assert "csrfmiddlewaretoken" in data
    assert client.post(action, data).status_code == 302
    # then the hold is released
    assert not Order.objects.get(pk=order.pk).on_hold

    # when the confirm button's form is submitted as rendered, then the order is confirmed
    action, data = hidden_form(client.get(url(order)), "move-confirmed")
    assert action == url(order, "move/confirmed/")
    assert client.post(action, data).status_code == 302
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    # and a post without the token is refused
    assert client.post(url(order, "move/cancelled/"), {"reason": "no token"}).status_code == 403
    assert Order.objects.get(pk=order.pk).status == "confirmed"
