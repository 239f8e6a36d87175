"""The admin home is a dashboard per role, built from selectors: sales, warehouse and finance figures against
known data, each figure linking to the list filtered to exactly the rows it counts, with a pinned query count
whatever the number of orders and invoices."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from inventory import services as inventory
from sales import services
from sales.models import Order, OrderStatus
from tests.admin.helpers import figures, listed
from tests.factories import InvoiceFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
# Session and user (2), order figures, orders by currency, orders per day, stock, receivables ageing (5),
# credited and refunded this month (2), discounts given this month (1), webhook endpoints and deliveries (2).
DASHBOARD_QUERIES = 12


def sections(response: Any) -> list[str]:
    return re.findall(r'data-section="([^"]+)"', response.content.decode())


@pytest.fixture
def known_data() -> dict[str, Any]:
    """Two drafts, one confirmed, one processing, one shipped, two delivered (one on hold), one JPY confirmed
    order, one cancelled (not counted in the orders created); a low (3) and an out-of-stock product; invoices
    issued and overdue by 10, 45, 75 and 120 days."""
    data: dict[str, Any] = {
        "drafts": [OrderFactory(), OrderFactory()],
        "confirmed": OrderFactory(status=OrderStatus.CONFIRMED),
        "processing": OrderFactory(status=OrderStatus.PROCESSING),
        "shipped": OrderFactory(status=OrderStatus.SHIPPED),
        "delivered": [OrderFactory(status=OrderStatus.DELIVERED), OrderFactory(status=OrderStatus.DELIVERED)],
        "jpy": OrderFactory(status=OrderStatus.CONFIRMED, currency="JPY"),
        "cancelled": OrderFactory(status=OrderStatus.CANCELLED),
    }
    services.order_hold(order_id=data["delivered"][1].pk, actor=None, reason="dispute")
    low = ProductFactory(sku="LOW-1", stock=3)
    out = ProductFactory(sku="OUT-1", stock=1)
    inventory.stock_adjust(product=out, quantity_delta=-1, reason="count", actor=None)
    data["low"], data["out"] = low, out
    now = timezone.now()
    data["overdue"] = {}
    for bucket, days in (("0-30", 10), ("31-60", 45), ("61-90", 75), ("90+", 120)):
        invoice = InvoiceFactory(status=InvoiceStatus.ISSUED)
        Invoice.objects.filter(pk=invoice.pk).update(due_at=now - timedelta(days=days))
        data["overdue"][bucket] = invoice
    data["current"] = InvoiceFactory(status=InvoiceStatus.ISSUED, paid=Decimal("59.98"))
    return data


def test_each_role_sees_its_own_part_of_the_dashboard(login: Callable[..., Client]) -> None:
    assert sections(login("sales").get("/admin/")) == ["sales"]
    assert sections(login("warehouse").get("/admin/")) == ["warehouse"]
    assert sections(login("finance").get("/admin/")) == ["finance"]
    assert sections(login("integrations").get("/admin/")) == ["integrations"]
    assert sections(login(superuser=True).get("/admin/")) == ["sales", "warehouse", "finance", "integrations"]


def test_sales_figures_and_their_lists(login: Callable[..., Client], known_data: dict[str, Any]) -> None:
    sales = login("sales")
    shown = figures(sales.get("/admin/"))
    created_today = Order.objects.filter(currency="USD").exclude(pk=known_data["cancelled"].pk)
    usd_total = sum((o.total for o in created_today), Decimal(0))

    assert shown["Drafts waiting for confirmation"][0] == "2"
    assert listed(sales, shown["Drafts waiting for confirmation"][1]) == {o.pk for o in known_data["drafts"]}
    assert shown["Orders today · USD"][0] == f"{usd_total:.2f} USD"
    assert listed(sales, shown["Orders today · USD"][1]) == {o.pk for o in created_today}
    assert shown["Orders today · JPY"][0] == "2600 JPY"
    assert listed(sales, shown["Orders today · JPY"][1]) == {known_data["jpy"].pk}
    month = next(label for label in shown if label.startswith("Orders in ") and label.endswith("USD"))
    assert shown[month][0] == f"{usd_total:.2f} USD"
    assert listed(sales, shown[month][1]) == {o.pk for o in created_today}


def test_warehouse_figures_and_their_lists(login: Callable[..., Client], known_data: dict[str, Any]) -> None:
    warehouse = login("warehouse")
    shown = figures(warehouse.get("/admin/"))
    expected = {
        # the invoices' orders are confirmed too
        "To pick (confirmed)": set(Order.objects.filter(status=OrderStatus.CONFIRMED).values_list("pk", flat=True)),
        "To ship (processing)": {known_data["processing"].pk},
        "In transit (shipped)": {known_data["shipped"].pk},
        "Low stock (≤ 5)": {known_data["low"].pk, known_data["out"].pk},
        "Out of stock": {known_data["out"].pk},
    }
    for label, rows in expected.items():
        assert shown[label][0] == str(len(rows)), label
        assert listed(warehouse, shown[label][1]) == rows, label


def test_finance_figures_and_their_lists(login: Callable[..., Client], known_data: dict[str, Any]) -> None:
    finance = login("finance")
    shown = figures(finance.get("/admin/"))
    issued = set(Invoice.objects.filter(status=InvoiceStatus.ISSUED).values_list("pk", flat=True))
    due = sum((i.amount_due for i in Invoice.objects.filter(status=InvoiceStatus.ISSUED)), Decimal(0))

    assert shown["Receivables · USD"][0] == f"{due:.2f} USD"
    assert listed(finance, shown["Receivables · USD"][1]) == issued
    for bucket, invoice in known_data["overdue"].items():
        label = f"{bucket} days overdue"
        assert shown[label][0] == "1", label
        assert listed(finance, shown[label][1]) == {invoice.pk}, label
    delivered, held = known_data["delivered"]
    assert shown["Delivered, waiting to close"][0] == "1"
    assert listed(finance, shown["Delivered, waiting to close"][1]) == {delivered.pk}
    assert shown["On hold"][0] == "1"
    assert listed(finance, shown["On hold"][1]) == {held.pk}


def test_the_two_charts_are_drawn_from_the_figures(superuser_client: Client, known_data: dict[str, Any]) -> None:
    page = superuser_client.get("/admin/").content.decode()
    charts = re.findall(r'<canvas class="chart" data-type="bar" data-value="([^"]+)"', page)
    assert len(charts) == 2
    per_day, ageing = (html.unescape(chart) for chart in charts)
    assert '"label": "Draft"' in per_day and '"label": "Delivered"' in per_day
    assert '"labels": ["USD"]' in ageing and '"label": "90+ days overdue"' in ageing


def test_the_dashboard_costs_the_same_queries_for_many_orders(superuser_client: Client) -> None:
    OrderFactory(status=OrderStatus.CONFIRMED)
    InvoiceFactory(status=InvoiceStatus.ISSUED)
    superuser_client.get("/admin/")  # warm the session's time zone
    with CaptureQueriesContext(connection) as few:
        superuser_client.get("/admin/")
    for _ in range(5):
        OrderFactory(status=OrderStatus.DELIVERED)
        InvoiceFactory(status=InvoiceStatus.ISSUED, paid=Decimal("10.00"))
    with CaptureQueriesContext(connection) as many:
        response = superuser_client.get("/admin/")
    assert response.status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries) == DASHBOARD_QUERIES, \
        [q["sql"][:120] for q in many.captured_queries]
