"""Shared list filters: ``sort=-created_at`` ordering that refuses unknown fields with a 400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

MAX_UTC_OFFSET = timedelta(hours=14)


class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``?flag=true`` / ``?flag=false``; any other value is a 400 (django-filter's BooleanFilter ignores it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class StrictOrderingFilter(OrderingFilter):
    """DRF's OrderingFilter, but an unknown sort field is a 400 instead of being silently ignored.

    A unique tie-breaker (``id``, same direction as the last field) is appended so pages never repeat rows.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str] | None:
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            valid = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                raise ValidationError({self.ordering_param: [
                    f"Unknown sort field {', '.join(unknown)}; allowed: {', '.join(sorted(valid))} "
                    "(prefix with - for descending)."
                ]})
            return self._with_tiebreaker(fields)
        default = self.get_default_ordering(view)
        return self._with_tiebreaker(list(default)) if default else None

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
    ``name[]=a&name[]=b`` and ``name=a,b``; returns query data with a plain ``name`` list."""
    bracketed = f"{name}[]"
    if data is None or not (bracketed in data or any("," in v for v in data.getlist(name))):
        return data
    data = data.copy()
    raw = data.getlist(name) + data.getlist(bracketed)
    data.setlist(name, [part.strip() for value in raw for part in value.split(",") if part.strip()])
    data.pop(bracketed, None)
    return data
