"""Reads of the tax configuration, and the one read of the rates that price a document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import FilteredRelation, Q, QuerySet

from synthesq.core.compiled import CompiledQuery, Date, Text, TextList

from .models import TaxClass, TaxRate, TaxSettings


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


def rates_by_class(*, country: str, region: str, tax_classes: Iterable[str],
                   day: date) -> dict[str, list[tuple[str, Decimal, str, str]]]:
    """For each of ``tax_classes`` that exists, its rates (name, percent, country, region) in ``country`` (the
    whole country's and ``region``'s: they add) valid on ``day``, country rates first, then by name; a class with
    no such rate maps to []. An unknown class is absent. One statement: the classes joined to their valid rates."""
    regions = ["", region.strip().upper()] if region and region.strip() else [""]
    rows = _VALID_RATES(country=country.strip().upper(), regions=regions, day=day,
                        tax_classes=sorted(set(tax_classes)))
    found: dict[str, list[tuple[str, Decimal, str, str]]] = {}
    for code, name, percent, rate_country, rate_region in rows:
        found.setdefault(code, [])
        if name is not None:
            found[code].append((name, percent, rate_country, rate_region))
    return found
