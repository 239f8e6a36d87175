"""Shared list filters, as strict as the schema says: ``sort=-created_at`` ordering that refuses unknown fields,
boolean, currency and whole-number filters that refuse anything else (an empty value too), and multi-value
filters that accept every common spelling. Each bad value is a 400 naming the parameter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from .money import currency_codes

MAX_UTC_OFFSET = timedelta(hours=14)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``?flag=true`` / ``?flag=false``; any other value is a 400 (django-filter's BooleanFilter ignores it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class SharedChoices(tuple[tuple[str, str], ...]):
    """Choices that never change, shared by every copy: a filter set deep-copies its filters and its form's
    fields on every request, and copying the ~180 ISO 4217 codes each time showed in the list's profile."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedChoices:
        return self


@cache
def _currency_choices() -> SharedChoices:
    return SharedChoices((code, code) for code in currency_codes())


class CurrencyFilter(django_filters.ChoiceFilter):
    """An ISO 4217 code (the schema lists them); any other value is a 400."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", _currency_choices())
        kwargs.setdefault("help_text", "ISO 4217 currency code, e.g. USD.")
        super().__init__(*args, **kwargs)


class _WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if not re.fullmatch(r"-?[0-9]{1,12}", str(value)):
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        return int(value)


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number within ``min_value``..``max_value`` (``stock_lte=0.5`` is a 400, not a comparison)."""

    field_class = _WholeNumberField

    def __init__(self, *args: Any, min_value: int, max_value: int, **kwargs: Any) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        set_override(self, "field", {"type": "integer", "minimum": min_value, "maximum": max_value})


_EMPTY_REFUSED = (
    django_filters.ChoiceFilter, django_filters.MultipleChoiceFilter, django_filters.NumberFilter,
    django_filters.RangeFilter, django_filters.DateTimeFromToRangeFilter, django_filters.TypedChoiceFilter,
)


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet whose choice, boolean, number and date filters refuse an empty value (``?active=`` is not a
    boolean) and whose multi-value filters take ``status=a&status=b``, ``status[]=a`` and ``status=a,b``."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        for name, filter_ in self.base_filters.items():
            if isinstance(filter_, django_filters.MultipleChoiceFilter):
                data = normalise_multi_value(data, name)
        super().__init__(data, *args, **kwargs)

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if not isinstance(filter_, _EMPTY_REFUSED):
                continue
            suffixes = getattr(getattr(filter_.field, "widget", None), "suffixes", None)
            params = [f"{name}_{suffix}" for suffix in suffixes] if suffixes else [name]
            for param in params:
                if param in self.data and "" in self.data.getlist(param):
                    self.form.add_error(name, forms.ValidationError(f"{param}: an empty value is not allowed.",
                                                                    code="blank"))
                    valid = False
        return valid


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, left out when no query parameter names one of the view's filters (``?limit=50``,
    ``?sort=…``, ``?cursor=…``): a filter set with nothing to filter changes nothing, and building it (its filters
    and its form's fields deep-copied) was a twentieth of a page's time. A parameter that starts with a filter's
    name (``status[]``, ``created_at_after``) runs it, valid or not."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not _names_a_filter(request.query_params, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _names_a_filter(params: Any, filterset_class: type[django_filters.FilterSet]) -> bool:
    names = tuple(filterset_class.base_filters)
    return any(param.startswith(names) for param in params)


class StrictOrderingFilter(OrderingFilter):
    """DRF's OrderingFilter, but an unknown sort field is a 400 instead of being silently ignored.

    A unique tie-breaker (``id``, same direction as the last field) is appended so pages never repeat rows.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str] | None:
        params = request.query_params.get(self.ordering_param)
        if params is not None:  # an empty sort= is refused too (the schema's enum has no empty value)
            fields = params.split(",")
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [f or "(empty)" for f in fields if f.removeprefix("-") not in valid]
            if unknown:
                raise ValidationError({self.ordering_param: [
                    f"Unknown sort field {', '.join(unknown)}; allowed: {', '.join(sorted(valid))} "
                    "(prefix with - for descending)."
                ]})
            return self._with_tiebreaker(fields)
        default = self.get_default_ordering(view)
        return self._with_tiebreaker(list(default)) if default else None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = [name for name, _label in self.get_valid_fields(view.get_queryset(), view, {})]
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": "Sort by these fields, comma separated; prefix a field with - for descending, "
                           "e.g. `-created_at`.",
            "schema": {"type": "array", "minItems": 1,  # an empty sort= is a 400
                       "items": {"type": "string", "enum": [v for f in fields for v in (f, f"-{f}")]}},
            "style": "form",
            "explode": False,
        }]

    @staticmethod
    def _with_tiebreaker(fields: list[str]) -> list[str]:
        if any(f.lstrip("-") in ("id", "pk") for f in fields):
            return fields
        return [*fields, "-id" if fields and fields[-1].startswith("-") else "id"]


class BoundedIsoDateTimeFromToRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` in ISO 8601, refusing with a 400 what the database cannot compare:
    UTC offsets beyond ±14:00 (none exist) and instants that leave the calendar when converted to UTC."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        for bound in (value.start, value.stop) if value else ():
            if bound is None:
                continue
            offset = bound.utcoffset()
            try:
                bound.astimezone(UTC)
            except OverflowError:
                offset = None
                self._refuse(bound)
            if offset is not None and abs(offset) > MAX_UTC_OFFSET:
                self._refuse(bound)
        return super().filter(qs, value)

    def _refuse(self, bound: datetime) -> None:
        raise ValidationError({self.field_name: [f"{bound.isoformat()} is not a usable date and time."]})


def normalise_multi_value(data: Any, name: str) -> Any:
    """Accept a multi-value filter in every common spelling: ``name=a&name=b``, the guide's
    ``name[]=a&name[]=b`` and ``name=a,b`` (blanks around parts ignored); returns query data with a plain ``name``
    list. Empty parts stay (and are refused as values): ``status=draft,`` is a mistake, not ``status=draft``."""
    bracketed = f"{name}[]"
    if data is None or not (bracketed in data or any("," in v for v in data.getlist(name))):
        return data
    data = data.copy()
    raw = data.getlist(name) + data.getlist(bracketed)
    data.setlist(name, [part.strip() for value in raw for part in value.split(",")])
    data.pop(bracketed, None)
    return data
