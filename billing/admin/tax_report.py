"""The tax report in the back-office (finance): "Tax report" in the Finance sidebar opens the period's figures,
this month so far unless another period is chosen, per currency, country, region, rate name and percent, with a
total per currency, as ``billing.tax_report`` computes them for the API; "Export CSV" downloads the same rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from synthesq.core import backoffice
from synthesq.core.admin_tools import BackofficeForm
from synthesq.core.money import format_amount, format_money

from ..documents import format_percent
from ..selectors import month_so_far
from ..tax_report import TaxReport, tax_report

PERMISSION = "billing.view_tax_report"

backoffice.nav_item("Finance", title="Tax report", url_name="admin:billing_invoice_tax_report", icon="account_balance",
                    permission=PERMISSION, order=40)

# "from" is a Python keyword: the form's fields are declared by name.
TaxReportForm = type("TaxReportForm", (BackofficeForm,), {
    "from": forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"})),
    "to": forms.DateField(label="To (included)", widget=forms.DateInput(attrs={"type": "date"})),
    "clean": lambda self: _clean(self),
})


def _clean(form: forms.Form) -> dict[str, Any]:
    data = forms.Form.clean(form) or {}
    if data.get("from") and data.get("to") and data["to"] < data["from"]:
        form.add_error("to", "Must not be before From.")
    return data


def report_table(report: TaxReport) -> list[dict[str, Any]]:
    """The rows as staff read them, each currency's rows followed by its total."""
    table: list[dict[str, Any]] = []
    for total in report.totals:
        currency = total.currency
        table += [{"currency": currency, "place": "-".join(p for p in (row.country, row.region) if p),
                   "country": row.country, "region": row.region, "name": row.name or "Untaxed",
                   "rate": format_percent(row.rate), "taxable_amount": format_amount(row.taxable_amount, currency),
                   "tax_amount": format_amount(row.tax_amount, currency), "total": False}
                  for row in report.rows_of(currency)]
        table.append({"currency": currency, "place": "", "country": "", "region": "", "name": f"Total {currency}",
                      "rate": "", "taxable_amount": format_amount(total.taxable_amount, currency),
                      "tax_amount": format_amount(total.tax_amount, currency), "total": True,
                      "tax_money": format_money(total.tax_amount, currency)})
    return table


def report_csv(report: TaxReport) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["currency", "country", "region", "tax", "rate", "taxable amount", "tax amount"])
    for row in report_table(report):
        writer.writerow([row["currency"], row["country"], row["region"], row["name"], row["rate"],
                         row["taxable_amount"], row["tax_amount"]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"tax-report-{report.first_day.isoformat()}-{report.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class TaxReportAdminMixin:
    """For the invoice admin: the tax report page (``admin:billing_invoice_tax_report``)."""

    admin_site: Any

    def get_urls(self) -> list[Any]:
        return [path("tax-report/", self.admin_site.admin_view(self.tax_report_view),
                     name="billing_invoice_tax_report"), *super().get_urls()]  # type: ignore[misc]

    def tax_report_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        first, last = month_so_far()
        form = TaxReportForm(request.GET if "from" in request.GET else {"from": first, "to": last})
        report = None
        if form.is_valid():
            report = tax_report(first_day=form.cleaned_data["from"], last_day=form.cleaned_data["to"])
            if request.GET.get("export") == "csv":
                return report_csv(report)
        context = {**self.admin_site.each_context(request), "title": "Tax report", "form": form,
                   "report": report, "table": report_table(report) if report else [],
                   "csv_query": f"from={report.first_day.isoformat()}&to={report.last_day.isoformat()}&export=csv"
                   if report else ""}
        return TemplateResponse(request, "admin/billing/tax_report.html", context)
