"""Shared by the tax tests: configuring rates and settings, the ship-to addresses, and the invariants every
taxed document keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from taxes.models import TaxClass, TaxRate, TaxSettings

BERLIN = {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}
AUSTIN = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
PARIS = {"line1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}


def rate(percent: str, *, country: str = "DE", region: str = "", tax_class: str = "standard", name: str = "",
         valid_from: date = date(2020, 1, 1), valid_to: date | None = None) -> TaxRate:
    TaxClass.objects.get_or_create(code=tax_class, defaults={"name": tax_class.title()})
    return TaxRate.objects.create(tax_class_id=tax_class, country=country, region=region,
                                  name=name or f"{country}{region} {percent}%", rate=Decimal(percent),
                                  valid_from=valid_from, valid_to=valid_to)


def german_rates() -> None:
    rate("19", name="USt 19%")
    rate("7", tax_class="reduced", name="USt 7%")


def tax_settings(*, prices_include_tax: bool = False, rounding: str = "line") -> None:
    TaxSettings.objects.update_or_create(id=1, defaults={"prices_include_tax": prices_include_tax,
                                                         "rounding": rounding})


def assert_adds_up(document: dict[str, Any]) -> None:
    """The issue's invariants on a rendered order or invoice: lines' and charges' tax sum to tax_total, the
    breakdown's rows sum to tax_total, net + tax = gross on every item and on the document, and (at most one rate
    per item) the rows' taxable amounts sum to the net total."""
    items = [*document["line_items"], *document["charges"]]
    tax = Decimal(document["tax_total"])
    assert sum(Decimal(item["tax_amount"]) for item in items) == tax
    assert sum(Decimal(row["tax_amount"]) for row in document["taxes"]) == tax
    for item in items:
        assert Decimal(item["net_amount"]) + Decimal(item["tax_amount"]) == Decimal(item["gross_amount"])
        assert sum(Decimal(row["tax_amount"]) for row in item["taxes"]) == Decimal(item["tax_amount"])
    net = Decimal(document["subtotal"]) + Decimal(document["charges_total"])
    assert net + tax == Decimal(document["total"])
    assert sum(Decimal(item["gross_amount"]) for item in items) == Decimal(document["total"])
    if all(len(item["taxes"]) <= 1 for item in items):
        assert sum(Decimal(row["taxable_amount"]) for row in document["taxes"]) == net
