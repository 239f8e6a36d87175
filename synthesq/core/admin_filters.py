"""List filters for the back-office, on Unfold's widgets.

``LocalDateRangeFilter`` filters a date-time column by calendar days in the staff member's time zone (both
ends included), so the dashboard's "orders today" link and the list agree on what "today" is. Unfold's own
date range filter compares date-times with midnight, which leaves out the last day of the range.
``CurrencyFilter`` offers the currencies a model's rows are in."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.contrib.filters.admin import DropdownFilter, RangeDateFilter, RangeNumericFilter
from unfold.utils import parse_date_str


class LocalDateRangeFilter(RangeDateFilter):
    """``<field>_from`` / ``<field>_to`` (YYYY-MM-DD), days in the active time zone, both ends included."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        filters = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lte")):
            value = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if value not in EMPTY_VALUES and isinstance(value, str):
                day = parse_date_str(value)
                if day is None:
                    return queryset.none()
                filters[f"{self.parameter_name}__date__{lookup}"] = day
        try:
            return queryset.filter(**filters)
        except (ValueError, ValidationError):
            return queryset.none()


class AmountRangeFilter(RangeNumericFilter):
    """``<field>_from`` / ``<field>_to``: amounts as decimals (both ends included)."""


class CurrencyFilter(DropdownFilter):
    """``currency__exact``: the currencies the list's model has rows in."""

    title = "currency"
    parameter_name = "currency__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        currencies = model_admin.model.objects.order_by("currency").values_list("currency", flat=True).distinct()
        return [(code, code) for code in currencies]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(currency=self.value()) if self.value() else queryset
