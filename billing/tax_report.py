"""The tax report (a selector): what a seller files for a VAT or sales-tax return. Per currency, country, region,
rate name and percent, the taxable amount and the tax of the invoices issued in the period (days in the active
time zone) less the credit notes issued in it, with a total per currency.

It adds the breakdowns the documents stored when they were made (``Invoice.taxes``, ``CreditNote.taxes``), never
recomputing them, so it equals the sum of the documents it covers. A void invoice is not counted (voiding is
refused once anything was paid or credited). Two statements, whatever the number of documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from synthesq.core.money import quantize

from .models import CreditNote, Invoice, InvoiceStatus

PERCENT = Decimal("0.0001")


@dataclass(frozen=True)
class TaxReportRow:
    """One rate of one currency: invoiced less credited. ``name`` "" and rate 0 is the untaxed amounts' row."""

    currency: str
    country: str
    region: str
    name: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class TaxReportTotal:
    currency: str
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class TaxReport:
    first_day: date
    last_day: date
    rows: list[TaxReportRow]
    totals: list[TaxReportTotal]

    def rows_of(self, currency: str) -> list[TaxReportRow]:
        return [row for row in self.rows if row.currency == currency]


Key = tuple[str, str, str, str, Decimal]


def _add(sums: dict[Key, list[Decimal]], documents: Iterable[tuple[str, list[dict[str, Any]]]], sign: int) -> None:
    for currency, taxes in documents:
        for row in taxes or ():
            key = (currency, row.get("country", ""), row.get("region", ""), row.get("name", ""),
                   Decimal(str(row.get("rate", 0))).quantize(PERCENT))
            sums[key][0] += sign * Decimal(str(row["taxable_amount"]))
            sums[key][1] += sign * Decimal(str(row["tax_amount"]))


def tax_report(*, first_day: date, last_day: date) -> TaxReport:
    """The report of the days ``first_day`` to ``last_day`` (both included)."""
    sums: dict[Key, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    invoices = (Invoice.objects.filter(issued_at__date__gte=first_day, issued_at__date__lte=last_day)
                .exclude(status=InvoiceStatus.VOID).order_by("pk").values_list("currency", "taxes"))
    credit_notes = (CreditNote.objects.filter(issued_at__date__gte=first_day, issued_at__date__lte=last_day)
                    .order_by("pk").values_list("currency", "taxes"))
    _add(sums, invoices, 1)
    _add(sums, credit_notes, -1)
    rows = [TaxReportRow(currency=key[0], country=key[1], region=key[2], name=key[3], rate=key[4],
                         taxable_amount=quantize(taxable, key[0]), tax_amount=quantize(tax, key[0]))
            for key, (taxable, tax) in sorted(sums.items())]
    totals = [TaxReportTotal(currency=currency,
                             taxable_amount=quantize(sum((r.taxable_amount for r in rows if r.currency == currency),
                                                         Decimal(0)), currency),
                             tax_amount=quantize(sum((r.tax_amount for r in rows if r.currency == currency),
                                                     Decimal(0)), currency))
              for currency in sorted({row.currency for row in rows})]
    return TaxReport(first_day=first_day, last_day=last_day, rows=rows, totals=totals)
