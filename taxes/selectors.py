"""Reads of the tax configuration, and the one read of the rates that price a document."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet

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


def rates_for_address(*, country: str, region: str, tax_classes: Iterable[str], day: date) -> list[TaxRate]:
    """The rates of ``tax_classes`` in ``country`` (the whole country's and ``region``'s) valid on ``day``: one
    statement, country rates before region rates, then by name."""
    regions = ["", region] if region else [""]
    return list(TaxRate.objects.filter(valid_on(day), country=country.upper(), region__in=regions,
                                       tax_class_id__in=set(tax_classes))
                .order_by("tax_class_id", "region", "name", "id"))
