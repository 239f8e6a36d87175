"""What billing brings to the back-office: invoices, payments, credit notes and refunds in the sidebar, and
finance's dashboard panels (receivables by currency, overdue invoices by ageing bucket, credited and refunded this
month, the receivables ageing chart). Figures come from
``billing.selectors`` in one query and link to the invoice list filtered to exactly those invoices."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from synthesq.core import backoffice
from synthesq.core.backoffice import Figure, Panel, per_request
from synthesq.core.money import format_money

from .. import selectors
from ..models import AGEING_BUCKETS, InvoiceStatus

BUCKET_LABELS = {"current": "Not yet due", **{bucket: f"{bucket} days overdue" for bucket in AGEING_BUCKETS}}
BUCKET_COLOURS = {"current": "#0d6efd", "0-30": "#ffc107", "31-60": "#fd7e14", "61-90": "#e8590c", "90+": "#dc3545"}

backoffice.nav_item("Finance", title="Invoices", url_name="admin:billing_invoice_changelist", icon="description",
                    permission="billing.view_invoice", order=10)
backoffice.nav_item("Finance", title="Overdue invoices", url_name="admin:billing_invoice_changelist",
                    icon="alarm", permission="billing.view_invoice", order=20, query="overdue=yes")
backoffice.nav_item("Finance", title="Payments", url_name="admin:billing_payment_changelist", icon="payments",
                    permission="billing.view_payment", order=30)
backoffice.nav_item("Finance", title="Credit notes", url_name="admin:billing_creditnote_changelist",
                    icon="receipt_long", permission="billing.view_creditnote", order=35)
backoffice.nav_item("Finance", title="Refunds", url_name="admin:billing_refund_changelist", icon="undo",
                    permission="billing.view_refund", order=36)


def invoices_url(**params: Any) -> str:
    return reverse("admin:billing_invoice_changelist") + "?" + urlencode(params)


def _ageing(request: HttpRequest) -> list[selectors.AgeingFigure]:
    return per_request(request, "receivables_ageing", selectors.receivables_ageing)


def _count(n: int) -> str:
    return f"{n} invoice{'' if n == 1 else 's'}"


@backoffice.dashboard_panel("finance", order=10)
def receivables(request: HttpRequest) -> Panel:
    totals: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for row in _ageing(request):
        totals[row.currency][0] += row.count
        totals[row.currency][1] += row.amount_due
    figures = [Figure(f"Receivables · {currency}", format_money(amount, currency),
                      invoices_url(status__exact=InvoiceStatus.ISSUED, currency__exact=currency), hint=_count(count))
               for currency, (count, amount) in sorted(totals.items())]
    return Panel("Receivables (issued, unpaid)", figures or [Figure("Receivables", "none")])


@backoffice.dashboard_panel("finance", order=20)
def overdue(request: HttpRequest) -> Panel:
    figures = []
    for bucket in AGEING_BUCKETS:
        rows = [row for row in _ageing(request) if row.bucket == bucket and row.count]
        amounts = ", ".join(format_money(row.amount_due, row.currency) for row in rows) or "nothing due"
        count = sum(row.count for row in rows)
        figures.append(Figure(BUCKET_LABELS[bucket], str(count), invoices_url(overdue=bucket), hint=amounts,
                              tone="danger" if count and bucket != "0-30" else ("warning" if count else "")))
    return Panel("Overdue invoices by age", figures)


@backoffice.dashboard_panel("finance", order=30)
def credits_and_refunds(request: HttpRequest) -> Panel:
    """Credited and refunded this month so far, per currency, each linking to exactly those rows."""
    first, last = selectors.month_so_far()
    month = {"from": first.isoformat(), "to": last.isoformat()}

    def listing(url_name: str, field: str, currency: str | None) -> str:
        params = {f"{field}_from": month["from"], f"{field}_to": month["to"]}
        if currency:
            params["currency__exact"] = currency
        return reverse(url_name) + "?" + urlencode(params)

    figures = []
    for title, url_name, field, rows, noun in (
        ("Credited", "admin:billing_creditnote_changelist", "issued_at", selectors.credited_this_month(),
         "credit note"),
        ("Refunded", "admin:billing_refund_changelist", "recorded_at", selectors.refunded_this_month(), "refund"),
    ):
        figures += [Figure(f"{title} this month · {row.currency}", format_money(row.amount, row.currency),
                           listing(url_name, field, row.currency),
                           hint=f"{row.count} {noun}{'' if row.count == 1 else 's'}")
                    for row in rows] or [Figure(f"{title} this month", "none", listing(url_name, field, None))]
    return Panel("Credit notes and refunds this month", figures)


@backoffice.dashboard_panel("finance", order=40)
def ageing_chart(request: HttpRequest) -> Panel:
    rows = _ageing(request)
    currencies = sorted({row.currency for row in rows})
    datasets = [
        {"label": BUCKET_LABELS[bucket], "backgroundColor": BUCKET_COLOURS[bucket],
         "data": [str(sum((r.amount_due for r in rows if r.currency == c and r.bucket == bucket), Decimal(0)))
                  for c in currencies]}
        for bucket in selectors.AGEING_ORDER
    ]
    options = {"responsive": True, "maintainAspectRatio": False, "indexAxis": "y",
               "plugins": {"legend": {"position": "bottom"}},
               "scales": {"x": {"stacked": True, "grid": {}}, "y": {"stacked": True, "grid": {}}}}
    return Panel("Receivables ageing (amount due by currency)", chart={"labels": currencies, "datasets": datasets},
                 chart_options=options, wide=True, note="Amounts of issued invoices, by days past their due date.")
