from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from integrations.events import KnownPatternChoices, pattern_is_known
from integrations.models import Event
from synthesq.core.filters import BoundedIsoDateTimeFromToRangeFilter, StrictFilterSet, StrictOrderingFilter


class EventTypeFilter(django_filters.MultipleChoiceFilter):
    """Event types, repeatable, with ``prefix.*`` wildcards: ``type=order.*&type=invoice.paid``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.always_filter = False

    def filter(self, qs: QuerySet[Event], value: list[str]) -> QuerySet[Event]:
        if not value:
            return qs
        unknown = [pattern for pattern in value if not pattern_is_known(pattern)]
        if unknown:
            raise ValidationError({"type": [f"Unknown event type {', '.join(unknown)}."]})
        if "*" in value:
            return qs
        condition = Q()
        for pattern in value:
            condition |= Q(type__startswith=pattern[:-1]) if pattern.endswith(".*") else Q(type=pattern)
        return qs.filter(condition)


class EventFilter(StrictFilterSet):
    type = EventTypeFilter(
        choices=KnownPatternChoices(),
        help_text="One or more types; order.* matches every order event. Also type[]=… or type=a,b.",
    )
    created_at = BoundedIsoDateTimeFromToRangeFilter(
        field_name="created_at", help_text="created_at_after / created_at_before (ISO 8601)."
    )
    object_id = django_filters.CharFilter(field_name="object_id", help_text="Events about this object.")
    after = django_filters.CharFilter(method="filter_after", max_length=40,
                                      help_text="Only events committed after this event id: catch up from the last "
                                                "event you saw (with sort=created_at, oldest first).")

    class Meta:
        model = Event
        fields = ["type", "created_at", "object_id", "after"]

    def filter_after(self, queryset: QuerySet[Event], name: str, value: str) -> QuerySet[Event]:
        sequence = Event.objects.filter(pk=value).values_list("sequence", flat=True).first()
        if sequence is None:
            raise ValidationError({"after": [f"Unknown event {value!r} (events are kept EVENT_RETENTION_DAYS)."]})
        return queryset.filter(sequence__gt=sequence)

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        # Types are validated by the filter (wildcards are not choices).
        self.filters["type"].field.valid_value = lambda value: True


class EventOrderingFilter(StrictOrderingFilter):
    """``sort=created_at`` (oldest first) or ``-created_at`` (newest first, the default): events are ordered
    by their sequence, the order they were committed in, so a cursor never skips one written meanwhile."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str] | None:
        ordering = super().get_ordering(request, queryset, view) or ["-created_at"]
        first = ordering[0]
        return ["-sequence" if first.startswith("-") else "sequence"]
