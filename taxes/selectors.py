"""Reads of the tax configuration, and the one read of the rates that price a document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import FilteredRelation, Q, QuerySet, Subquery
from django.db.models.functions import JSONArray

from synthesq.core.compiled import CompiledQuery, Date, Text, TextList
from synthesq.core.json_fields import json_array_of, json_decimal, json_text

from .models import RATE_DECIMAL_PLACES, TaxClass, TaxRate, TaxSettings

ClassRates = list[tuple[str, Decimal, str, str]]  # a class's rates: (name, percent, country, region)


def tax_class_list() -> QuerySet[TaxClass]:
    return TaxClass.objects.order_by("code")


def tax_rate_list(*, country: str | None = None, tax_class: str | None = None,
                  active_on: date | None = None) -> QuerySet[TaxRate]:
    rates = TaxRate.objects.order_by("country", "region", "tax_class_id", "valid_from", "id")
    if country:
        rates = rates.filter(country=country.upper())
    if tax_class:
        rates = rates.filter(tax_class_id=tax_class)
    if active_on is not None:
        rates = rates.filter(valid_on(active_on))
    return rates


def valid_on(day: date) -> Q:
    """Rates valid on ``day`` (both ends included; ``valid_to`` null is open-ended)."""
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def tax_settings_get() -> TaxSettings:
    """The settings row (created by the migration; recreated with the defaults if ever missing)."""
    settings, _ = TaxSettings.objects.get_or_create(id=1)
    return settings


def _valid_rates(country: str, regions: list[str], day: date, tax_classes: list[str]) -> QuerySet[TaxClass, tuple]:
    valid = (Q(rates__country=country, rates__region__in=regions, rates__valid_from__lte=day)
             & (Q(rates__valid_to__isnull=True) | Q(rates__valid_to__gte=day)))
    return (TaxClass.objects.filter(code__in=tax_classes)
            .annotate(valid=FilteredRelation("rates", condition=valid))
            .order_by("code", "valid__region", "valid__name", "valid__id")
            .values_list("code", "valid__name", "valid__rate", "valid__country", "valid__region"))


# Compiled once per number of regions and of classes (``synthesq.core.compiled``): it prices every draft.
_VALID_RATES = CompiledQuery("taxes.valid_rates", _valid_rates, country=Text(), regions=TextList(), day=Date(),
                             tax_classes=TextList())


def rate_place(country: str, region: str) -> tuple[str, list[str]]:
    """The country and the regions whose rates tax an address in ``country`` and ``region`` (its ``state``): the
    whole country's ("") and the region's."""
    return country.strip().upper(), ["", region.strip().upper()] if region and region.strip() else [""]


def rates_by_class(*, country: str, region: str, tax_classes: Iterable[str],
                   day: date) -> dict[str, ClassRates]:
    """For each of ``tax_classes`` that exists, its rates (name, percent, country, region) in ``country`` (the
    whole country's and ``region``'s: they add) valid on ``day``, country rates first, then by name; a class with
    no such rate maps to []. An unknown class is absent. One statement: the classes joined to their valid rates."""
    country, regions = rate_place(country, region)
    rows = _VALID_RATES(country=country, regions=regions, day=day, tax_classes=sorted(set(tax_classes)))
    found: dict[str, ClassRates] = {}
    for code, name, percent, rate_country, rate_region in rows:
        found.setdefault(code, [])
        if name is not None:
            found[code].append((name, percent, rate_country, rate_region))
    return found


def class_rates_json(tax_class: Any, *, country: Any, region: Any, day: date) -> Subquery:
    """A subquery for a query of rows that carry a tax class (``tax_class``: an expression, e.g. ``OuterRef``):
    the class's rates in ``country`` (the whole country's and ``region``'s, "" for none; values or expressions,
    as ``rate_place`` makes them) valid on ``day``, in ``rates_by_class``'s order, as ONE JSON array read back by
    ``class_rates_from_json``; NULL on SQLite (its aggregate cannot be ordered): ``rates_by_class`` there."""
    rates = TaxRate.objects.filter(Q(region="") | Q(region=region), valid_on(day), tax_class=tax_class,
                                   country=country)
    return json_array_of(rates, JSONArray("name", json_text("rate"), "country", "region"),
                         order_by=("region", "name", "id"))


def class_rates_from_json(value: list[list[str]] | None) -> ClassRates | None:
    """``class_rates_json``'s array as ``rates_by_class`` gives a class's rates (None: not read)."""
    if value is None:
        return None
    return [(name, json_decimal(percent, RATE_DECIMAL_PLACES), country, region)
            for name, percent, country, region in value]
