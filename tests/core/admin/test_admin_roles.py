"""Each role sees and can do exactly its work in the back-office; API tokens are for superusers; the demo
data's staff logins per role work. Given / when / then."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from billing.models import Invoice, Payment
from inventory.models import Product
from sales.management.commands.load_demo_data import DEMO_PASSWORD
from sales.models import Order, OrderStatus
from synthesq.core.models import ApiToken, token_digest
from synthesq.core.roles import ROLE_NAMES
from tests.admin.helpers import data_attrs, messages_text, move_buttons
from tests.factories import ApiTokenFactory, OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def order_url(order: Order, suffix: str = "change/") -> str:
    return f"/admin/sales/order/{quote(order.pk)}/{suffix}"


def invoice_url(invoice: Invoice, suffix: str = "change/") -> str:
    return f"/admin/billing/invoice/{quote(invoice.pk)}/{suffix}"


def admin_models(client: Client) -> set[str]:
    """The models the admin index offers (app_label.model)."""
    response = client.get("/admin/")
    assert response.status_code == 200
    return {f"{app['app_label']}.{model['object_name'].lower()}"
            for app in response.context["app_list"] for model in app["models"]}


# --- what each role sees ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "models"),
    [
        ("sales", {"sales.customer", "sales.order", "sales.return", "sales.shipment", "sales.pricelist",
                   "sales.promotioncode", "inventory.product",
                   "inventory.warehouse", "billing.invoice", "billing.creditnote", "taxes.taxclass", "taxes.taxrate",
                   "taxes.taxsettings"}),
        ("warehouse", {"sales.customer", "sales.order", "sales.return", "sales.shipment", "inventory.product",
                       "inventory.warehouse", "inventory.stockmovement", "taxes.taxclass", "taxes.taxrate",
                       "taxes.taxsettings"}),
        ("finance", {"sales.customer", "sales.order", "sales.return", "sales.shipment", "sales.pricelist",
                     "sales.promotioncode", "inventory.product",
                     "inventory.warehouse", "billing.invoice", "billing.payment", "billing.creditnote",
                     "billing.refund", "taxes.taxclass", "taxes.taxrate", "taxes.taxsettings"}),
    ],
)
def test_admin_index_offers_each_role_its_models(login: Callable[..., Client], role: str, models: set[str]) -> None:
    assert admin_models(login(role)) == models


def test_staff_without_a_role_sees_nothing(login: Callable[..., Client]) -> None:
    client = login()
    assert admin_models(client) == set()
    assert client.get("/admin/sales/order/").status_code == 403


def test_non_staff_users_are_sent_to_the_login_page() -> None:
    client = Client()
    client.force_login(UserFactory(roles=["sales"]))  # in the group, but not staff
    response = client.get("/admin/sales/order/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- warehouse: no invoices, no payments ----------------------------------------------------------------


def test_warehouse_cannot_see_invoices_at_all(warehouse_client: Client) -> None:
    # given a shipped order with its invoice
    order = OrderFactory(status=OrderStatus.SHIPPED)
    invoice = Invoice.objects.get(order=order)

    # then every invoice page is forbidden to the warehouse, and nothing is written
    for path in ("/admin/billing/invoice/", invoice_url(invoice), invoice_url(invoice, "print/"),
                 invoice_url(invoice, "record-payment/"), invoice_url(invoice, "void/"), "/admin/billing/payment/"):
        assert warehouse_client.get(path).status_code == 403, path
    for path, data in ((invoice_url(invoice, "record-payment/"),
                        {"amount": "259.98", "currency": "USD", "payment_method": "cash", "reference": "R1"}),
                       (invoice_url(invoice, "issue/"), {}), (invoice_url(invoice, "void/"), {"reason": "x"})):
        assert warehouse_client.post(path, data).status_code == 403, path
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("draft", 0)
    assert not Payment.objects.exists()

    # and the order page offers no invoice link and no payment form
    response = warehouse_client.get(order_url(order))
    assert response.status_code == 200
    assert not data_attrs(response, "action") & {"invoice", "record-payment"}


def test_warehouse_cannot_hold_edit_or_add_orders(warehouse_client: Client) -> None:
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    assert warehouse_client.get(order_url(order, "hold/")).status_code == 403
    assert warehouse_client.post(order_url(order, "hold/"), {"reason": "x"}).status_code == 403
    assert warehouse_client.get("/admin/sales/order/add/").status_code == 403
    assert warehouse_client.post(order_url(order), {"ship_line1": "x"}).status_code == 403
    order.refresh_from_db()
    assert (order.on_hold, order.status) == (False, "confirmed")


# --- sales: cannot ship, cannot take payments, may hold -------------------------------------------------


def test_sales_cannot_ship(sales_client: Client) -> None:
    # given a processing order
    product = ProductFactory(stock=10)
    order = OrderFactory(status=OrderStatus.PROCESSING, lines=[(product, 2)])
    events = order.events.count()

    # then sales gets no ship button
    assert move_buttons(sales_client.get(order_url(order))) == set()

    # when sales posts the ship form anyway, then refused with a message, order unchanged
    response = sales_client.post(order_url(order, "move/shipped/"),
                                 {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"}, follow=True)
    assert response.status_code == 200
    assert "Your role may not move orders to 'shipped'." in messages_text(response, "error")
    order.refresh_from_db()
    assert (order.status, order.tracking_number, order.carrier) == ("processing", "", "")
    assert order.events.count() == events


def test_sales_cannot_record_payments(sales_client: Client) -> None:
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    invoice = Invoice.objects.get(order=order)
    response = sales_client.get(invoice_url(invoice))
    assert response.status_code == 200
    assert "record-payment" not in data_attrs(response, "action")
    assert sales_client.get(invoice_url(invoice, "record-payment/")).status_code == 403
    data = {"amount": "259.98", "currency": "USD", "payment_method": "cash", "reference": "R1"}
    assert sales_client.post(invoice_url(invoice, "record-payment/"), data).status_code == 403
    assert not Payment.objects.exists()


def test_sales_cannot_close_nor_waive(sales_client: Client) -> None:
    order = OrderFactory(status=OrderStatus.DELIVERED)
    # the close form is not even shown to sales: back to the order with the reason
    response = sales_client.get(order_url(order, "move/closed/"), follow=True)
    assert "Your role may not move orders to 'closed'." in messages_text(response, "error")
    # when sales posts a waiver anyway, then the role refuses it (before any window check)
    response = sales_client.post(order_url(order, "move/closed/"), {"waive_return_window": "on"}, follow=True)
    assert response.status_code == 200
    assert "Your role may not move orders to 'closed'." in messages_text(response, "error")
    assert Order.objects.get(pk=order.pk).status == "delivered"
    # and once the window has passed, still the role refuses it
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=60))
    response = sales_client.post(order_url(order, "move/closed/"), {}, follow=True)
    assert "Your role may not move orders to 'closed'." in messages_text(response, "error")
    assert Order.objects.get(pk=order.pk).status == "delivered"


@pytest.mark.parametrize(("role", "may_hold"), [("sales", True), ("finance", True), ("warehouse", False)])
def test_who_may_hold(login: Callable[..., Client], role: str, may_hold: bool) -> None:
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    response = login(role).post(order_url(order, "hold/"), {"reason": "dispute"})
    assert response.status_code == (302 if may_hold else 403)
    assert Order.objects.get(pk=order.pk).on_hold is may_hold


# --- finance: closes (with the waiver) and records payments ----------------------------------------------


def test_finance_closes_with_the_waiver_and_records_the_payment(finance_client: Client) -> None:
    # given a delivered order
    order = OrderFactory(status=OrderStatus.DELIVERED)
    invoice = Invoice.objects.get(order=order)

    # then finance sees the close button, and its form offers the waiver checkbox
    assert move_buttons(finance_client.get(order_url(order))) == {"closed"}
    close_form = finance_client.get(order_url(order, "move/closed/"))
    assert 'type="checkbox" name="waive_return_window"' in close_form.content.decode()

    # when finance closes it waiving the return window and records the payment
    finance_client.post(order_url(order, "move/closed/"), {"waive_return_window": "on"})
    assert "record-payment" in data_attrs(finance_client.get(invoice_url(invoice)), "action")
    finance_client.post(invoice_url(invoice, "record-payment/"),
                        {"amount": "259.98", "currency": "USD", "payment_method": "card", "reference": "AUTH-9"})

    # then the order is closed and the invoice paid
    assert Order.objects.get(pk=order.pk).status == "closed"
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_finance_cannot_change_orders_or_products(finance_client: Client) -> None:
    order = OrderFactory()
    assert finance_client.get("/admin/sales/order/add/").status_code == 403
    assert finance_client.post(order_url(order), {"ship_line1": "x"}).status_code == 403
    assert move_buttons(finance_client.get(order_url(order))) == set()
    product = ProductFactory(stock=3)
    assert finance_client.get(f"/admin/inventory/product/{product.pk}/change/").status_code == 200
    assert finance_client.get("/admin/inventory/product/add/").status_code == 403


# --- API tokens: superusers only --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_staff_without_token_permissions_get_403(login: Callable[..., Client], role: str) -> None:
    # given an active token and a staff user of the role
    token = ApiTokenFactory(name="shop integration")
    client = login(role)
    # then the token pages are forbidden, and revoking through the action does nothing
    for path in ("/admin/core/apitoken/", "/admin/core/apitoken/add/", f"/admin/core/apitoken/{token.pk}/change/"):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/core/apitoken/add/", {"user": client.user.pk, "name": "mine"}).status_code == 403
    assert client.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
                       ).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.count() == 1
    assert "core.apitoken" not in admin_models(client)


def test_superuser_lists_creates_and_revokes_tokens(superuser_client: Client) -> None:
    # given a revoked token and an active one
    old = ApiTokenFactory(name="old integration", revoked=True)
    active = ApiTokenFactory(name="shop integration")
    user = UserFactory(username="fulfilment-bot")

    # then both are listed with their prefix
    page = superuser_client.get("/admin/core/apitoken/").content.decode()
    assert "shop integration" in page and "old integration" in page and active.key_prefix in page

    # when a token is created, then its plain value is shown once, and only a digest is stored
    response = superuser_client.post("/admin/core/apitoken/add/", {"user": user.pk, "name": "fulfilment"},
                                     follow=True)
    plain = re.search(r"sqs_[A-Za-z0-9_\-]{20,}", messages_text(response, "warning")).group(0)
    created = ApiToken.objects.get(user=user)
    assert created.digest == token_digest(plain)
    assert plain not in superuser_client.get("/admin/core/apitoken/").content.decode()

    # when the active and the already-revoked tokens are revoked together, then one is counted
    revoked_at = old.revoked_at
    response = superuser_client.post("/admin/core/apitoken/", {
        "action": "revoke", "_selected_action": [active.pk, old.pk]}, follow=True)
    assert "Revoked 1 token(s)." in messages_text(response, "success")
    active.refresh_from_db()
    old.refresh_from_db()
    created.refresh_from_db()
    assert active.revoked_at is not None and old.revoked_at == revoked_at and created.revoked_at is None

    # and tokens cannot be deleted
    assert superuser_client.get(f"/admin/core/apitoken/{active.pk}/delete/").status_code == 403


# --- demo data -------------------------------------------------------------------------------------------


ROLE_PAGES = {
    "sales": ["/admin/sales/order/", "/admin/sales/order/add/", "/admin/sales/customer/", "/admin/billing/invoice/",
              "/admin/inventory/product/"],
    "warehouse": ["/admin/sales/order/", "/admin/inventory/product/", "/admin/inventory/product/?stock=low",
                  "/admin/sales/customer/"],
    "finance": ["/admin/billing/invoice/", "/admin/billing/invoice/?overdue=yes", "/admin/billing/payment/",
                "/admin/sales/order/", "/admin/sales/order/?status__exact=shipped"],
    "integrations": ["/admin/integrations/webhookendpoint/", "/admin/integrations/webhookendpoint/add/",
                     "/admin/integrations/webhookdelivery/", "/admin/integrations/event/"],
}


def test_demo_data_has_one_staff_login_per_role() -> None:
    # given the demo data, loaded twice (it only adds what is missing)
    call_command("load_demo_data", "--no-token", stdout=StringIO())
    call_command("load_demo_data", "--no-token", stdout=StringIO())
    assert not ApiToken.objects.exists()
    users = get_user_model().objects
    assert set(users.filter(is_staff=True).values_list("username", flat=True)) >= {"admin", *ROLE_NAMES}

    for role in ROLE_NAMES:
        # when each role logs in through the admin login form
        client = Client()
        response = client.post("/admin/login/", {"username": role, "password": DEMO_PASSWORD, "next": "/admin/"})
        assert response.status_code == 302 and response["Location"] == "/admin/", role
        user = users.get(username=role)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert not user.is_superuser

        # then the index and the role's pages open
        assert client.get("/admin/").status_code == 200, role
        for path in ROLE_PAGES[role]:
            assert client.get(path).status_code == 200, (role, path)

    # and the role pages show the demo data
    warehouse = Client()
    warehouse.login(username="warehouse", password=DEMO_PASSWORD)
    desk = Product.objects.get(sku="DESK-STD")
    assert warehouse.get(f"/admin/inventory/product/{desk.pk}/adjust-stock/").status_code == 200
    low = {p.sku for p in warehouse.get("/admin/inventory/product/?stock=low").context["cl"].result_list}
    assert low == {"LAMP-LED"}
    shipped = Order.objects.get(status="shipped")
    assert move_buttons(warehouse.get(order_url(shipped))) == {"delivered"}
    finance = Client()
    finance.login(username="finance", password=DEMO_PASSWORD)
    invoice = Invoice.objects.get(order=shipped)
    assert "record-payment" in data_attrs(finance.get(invoice_url(invoice)), "action")
    sales = Client()
    sales.login(username="sales", password=DEMO_PASSWORD)
    draft = Order.objects.get(status="draft")
    assert move_buttons(sales.get(order_url(draft))) == {"confirmed", "cancelled"}


def test_warehouse_sees_no_invoice_data_in_orders_or_customers(
    warehouse_client: Client, finance_client: Client
) -> None:
    # given a confirmed order (with its draft invoice)
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    # then the order list, the order page and the customer page show billing data to finance only
    for client, shows in ((warehouse_client, False), (finance_client, True)):
        listing = client.get("/admin/sales/order/").content.decode()
        page = client.get(order_url(order, "change/")).content.decode()
        customer = client.get(f"/admin/sales/customer/{order.customer_id}/change/").content.decode()
        assert ("amount due" in listing.lower()) is shows
        assert ('id="invoice-group"' in page and "Invoice and payments" in page) is shows
        assert ('id="invoices-group"' in customer) is shows
