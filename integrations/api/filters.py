from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from integrations.events import KnownPatternChoices, pattern_is_known
from integrations.models import DeliveryStatus, Event, WebhookDelivery
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
                                                "event you saw (oldest first unless sort=-created_at).")

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
    by their sequence, the order they were committed in, so a cursor never skips one written meanwhile.
    ``after=`` without ``sort`` is oldest first: catching up means reading what came next, in commit order
    (an explicit ``sort=-created_at`` still reads it newest first)."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str] | None:
        default = ["created_at"] if request.query_params.get("after") else ["-created_at"]
        ordering = super().get_ordering(request, queryset, view) or default
        first = ordering[0]
        return ["-sequence" if first.startswith("-") else "sequence"]


DELIVERY_STATUS_HELP = ("One or more statuses: status=pending&status=failed (or status[]=…, or comma separated). "
                        "pending: being tried or waiting for a retry; succeeded; failed: the retry schedule ran out.")


class DeliveryFilter(StrictFilterSet):
    """An endpoint's deliveries by status; the list takes no other parameter than ``limit`` and ``cursor``."""

    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, help_text=DELIVERY_STATUS_HELP)

    class Meta:
        model = WebhookDelivery
        fields = ["status"]

    PAGE_PARAMETERS = ("limit", "cursor")

    @classmethod
    def refuse_unknown_parameters(cls, params: Any) -> None:
        """A parameter the list does not take is a 400 naming it (``?state=pending`` must not list all)."""
        known = {*cls.base_filters, *(f"{name}[]" for name in cls.base_filters), *cls.PAGE_PARAMETERS}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValidationError({name: [f"Unknown parameter; this list takes {', '.join(sorted(known))}."]
                                   for name in unknown})
