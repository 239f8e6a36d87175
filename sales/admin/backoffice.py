"""What sales brings to the back-office: its sidebar entries, the order page's tabs, and its dashboard panels
(sales; the warehouse's orders to pick, ship and deliver; finance's orders to close). Every figure comes from
``sales.selectors`` in one query and links to the order list filtered to exactly those orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import dateformat, timezone

from synthesq.core import backoffice
from synthesq.core.backoffice import Figure, Panel, per_request
from synthesq.core.money import format_money

from .. import selectors
from ..models import OrderStatus
from .orders import ORDER_STATUS_COLOURS

CHART_DAYS = 30


def orders_url(**params: Any) -> str:
    return reverse("admin:sales_order_changelist") + ("?" + urlencode(params) if params else "")


def _status_figures(request: HttpRequest) -> dict[str, int]:
    return per_request(request, "order_status_figures", selectors.order_status_figures)


def _count(n: int, noun: str = "order") -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# -- sidebar and tabs -------------------------------------------------------------------------------------------
backoffice.nav_group("Sales", order=10)
backoffice.nav_item("Sales", title="Orders", url_name="admin:sales_order_changelist", icon="receipt_long",
                    permission="sales.view_order", order=10)
backoffice.nav_item("Sales", title="Drafts to confirm", url_name="admin:sales_order_changelist", icon="edit_note",
                    permission="sales.confirm_order", order=15, query="status__exact=draft")
backoffice.nav_item("Sales", title="Returns", url_name="admin:sales_return_changelist", icon="assignment_return",
                    permission="sales.view_return", order=18)
backoffice.nav_item("Sales", title="Customers", url_name="admin:sales_customer_changelist", icon="groups",
                    permission="sales.view_customer", order=20)
backoffice.nav_group("Warehouse", order=20)
backoffice.nav_item("Warehouse", title="To pick", url_name="admin:sales_order_changelist", icon="inventory_2",
                    permission="sales.process_order", order=10, query="status__exact=confirmed")
backoffice.nav_item("Warehouse", title="To ship", url_name="admin:sales_order_changelist", icon="local_shipping",
                    permission="sales.ship_order", order=11, query="status__exact=processing")
backoffice.nav_item("Warehouse", title="In transit", url_name="admin:sales_order_changelist", icon="route",
                    permission="sales.deliver_order", order=12, query="status__exact=shipped")
backoffice.nav_item("Warehouse", title="Parcels", url_name="admin:sales_shipment_changelist", icon="package_2",
                    permission="sales.view_shipment", order=14)
backoffice.nav_item("Warehouse", title="Pick lists", url_name="admin:sales_shipment_pick_lists", icon="checklist",
                    permission="sales.ship_order", order=9)
backoffice.nav_item("Warehouse", title="Returns to receive", url_name="admin:sales_return_changelist",
                    icon="move_to_inbox", permission="sales.receive_return", order=13, query="status__exact=requested")
backoffice.nav_group("Finance", order=30)
backoffice.nav_item("Finance", title="Orders to close", url_name="admin:sales_order_changelist", icon="lock_clock",
                    permission="sales.close_order", order=40, query="status__exact=delivered&on_hold=no")

backoffice.nav_item("Finance", title="Promotion codes", url_name="admin:sales_promotioncode_changelist",
                    icon="sell", permission="sales.view_promotioncode", order=50)
backoffice.nav_item("Finance", title="Price lists", url_name="admin:sales_pricelist_changelist",
                    icon="price_change", permission="sales.view_pricelist", order=55)
backoffice.nav_item("Finance", title="Returns to credit", url_name="admin:sales_return_changelist",
                    icon="request_quote", permission="sales.credit_return", order=45, query="status__exact=received")

backoffice.page_tab("sales.order", title="Order", slug="general", order=0)
backoffice.page_tab("sales.order", title="Lines", slug="lines", order=10)
backoffice.page_tab("sales.order", title="Shipment", slug="shipment", order=30)
backoffice.page_tab("sales.order", title="Parcels", slug="shipments", order=32,
                    permission="sales.view_shipment")
backoffice.page_tab("sales.order", title="Returns", slug="returns", order=35, permission="sales.view_return")
backoffice.page_tab("sales.order", title="History", slug="events", order=40)
backoffice.page_tab("sales.shipment", title="Parcel", slug="general", order=0)
backoffice.page_tab("sales.shipment", title="Lines", slug="lines", order=10)
backoffice.page_tab("sales.shipment", title="History", slug="events", order=20)
backoffice.page_tab("sales.return", title="Return", slug="general", order=0)
backoffice.page_tab("sales.return", title="Lines", slug="lines", order=10)
backoffice.page_tab("sales.return", title="History", slug="events", order=20)

backoffice.dashboard_section("sales", title="Sales", permission="sales.add_order", order=10, icon="storefront")
backoffice.dashboard_section("warehouse", title="Warehouse", permission="sales.process_order", order=20,
                             icon="warehouse")
backoffice.dashboard_section("finance", title="Finance", permission="sales.close_order", order=30,
                             icon="account_balance")


# -- dashboard panels -------------------------------------------------------------------------------------------
@backoffice.dashboard_panel("sales", order=10)
def sales_orders(request: HttpRequest) -> Panel:
    today = timezone.localdate()
    month_start = today.replace(day=1)
    drafts = _status_figures(request)[OrderStatus.DRAFT]
    by_currency = selectors.orders_created_by_currency(first_day=month_start, last_day=today)
    figures = [Figure("Drafts waiting for confirmation", str(drafts), orders_url(status__exact=OrderStatus.DRAFT),
                      tone="warning" if drafts else "")]
    for period, first in (("today", today), ("month", month_start)):
        label = "Orders today" if period == "today" else f"Orders in {dateformat.format(today, 'F')}"
        rows = by_currency[period] or []
        counted = ",".join(selectors.ORDER_STATUSES_COUNTED)  # the list shows what is counted: no cancelled
        figures += [Figure(f"{label} · {row.currency}", format_money(row.total, row.currency),
                           orders_url(created_at_from=first.isoformat(), created_at_to=today.isoformat(),
                                      currency__exact=row.currency, status__in=counted), hint=_count(row.count))
                    for row in rows]
        if not rows:
            figures.append(Figure(label, "none", orders_url(created_at_from=first.isoformat(),
                                                              created_at_to=today.isoformat(), status__in=counted)))
    return Panel("Orders", figures)


@backoffice.dashboard_panel("sales", order=20)
def orders_per_day_chart(request: HttpRequest) -> Panel:
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    counts = selectors.orders_per_day(first_day=days[0], last_day=today)
    datasets = [
        {"label": status.label, "backgroundColor": ORDER_STATUS_COLOURS[status],
         "data": [counts.get((day, status.value), 0) for day in days]}
        for status in OrderStatus if any(counts.get((day, status.value)) for day in days)
    ]
    chart = {"labels": [dateformat.format(day, "j M") for day in days], "datasets": datasets}
    options = {"responsive": True, "maintainAspectRatio": False, "plugins": {"legend": {"position": "bottom"}},
               "scales": {"x": {"stacked": True, "grid": {}}, "y": {"stacked": True, "beginAtZero": True, "grid": {},
                                                                   "ticks": {"precision": 0}}}}
    return Panel(f"Orders per day, last {CHART_DAYS} days, by status now", chart=chart, chart_options=options,
                 wide=True, note=f"{_count(sum(counts.values()))} created in these {CHART_DAYS} days.")


@backoffice.dashboard_panel("warehouse", order=10)
def warehouse_orders(request: HttpRequest) -> Panel:
    counts = _status_figures(request)
    return Panel("Orders", [
        Figure("To pick (confirmed)", str(counts[OrderStatus.CONFIRMED]),
               orders_url(status__exact=OrderStatus.CONFIRMED)),
        Figure("To ship (processing)", str(counts[OrderStatus.PROCESSING]),
               orders_url(status__exact=OrderStatus.PROCESSING)),
        Figure("In transit (shipped)", str(counts[OrderStatus.SHIPPED]), orders_url(status__exact=OrderStatus.SHIPPED)),
    ])


@backoffice.dashboard_panel("finance", order=30)
def finance_orders(request: HttpRequest) -> Panel:
    counts = _status_figures(request)
    return Panel("Orders", [
        Figure("Delivered, waiting to close", str(counts["delivered_to_close"]),
               orders_url(status__exact=OrderStatus.DELIVERED, on_hold="no")),
        Figure("On hold", str(counts["held"]), orders_url(on_hold="yes"), tone="danger" if counts["held"] else ""),
    ])


@backoffice.dashboard_panel("finance", order=40)
def discounts_this_month(request: HttpRequest) -> Panel:
    """Discounts given on orders confirmed this month: in total per currency, then by promotion code."""
    today = timezone.localdate()
    first = today.replace(day=1)
    figures = []
    for row in selectors.discounts_given(first_day=first, last_day=today):
        if row.code is None:
            label, link = f"All discounts · {row.currency}", orders_url(currency__exact=row.currency)
        else:
            label, link = f"Code {row.code} · {row.currency}", orders_url(promotion_code__id__exact=row.code_id)
        figures.append(Figure(label, format_money(row.amount, row.currency), link, hint=_count(row.count)))
    if not figures:
        figures.append(Figure("Discounts given", "none", orders_url()))
    return Panel(f"Discounts in {dateformat.format(today, 'F')}", figures)
