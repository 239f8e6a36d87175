"""The pieces every app's ``representations.py`` builds its plain dicts from, exactly as the serializers' declared
fields would render them (ISO 8601 datetimes in the current time zone with ``Z`` for UTC, amounts in the
currency's minor unit, people by username), and the history rows all apps share. The API and the events render
every resource through them: a serializer's field machinery per object costs more than the data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .money import amount_formatter, format_amount

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import HistoryEvent


def iso_datetime(value: datetime | None) -> str | None:
    """As DRF's ``DateTimeField`` renders it with DATETIME_FORMAT "iso-8601"."""
    if not value:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def iso_datetimes() -> Callable[[datetime | None], str | None]:
    """``iso_datetime`` with the current time zone looked up once (a context-local read each time otherwise):
    for one rendering of many datetimes (a page of orders has ten each), made at its start."""
    zone = timezone.get_current_timezone()
    # In UTC, a datetime already in UTC (as the database returns them) needs no conversion: the same fields, the
    # same offset, the same text (elsewhere a marker no datetime's tzinfo is: naive ones are converted, as before).
    same: object = UTC if getattr(zone, "key", None) == "UTC" or zone is UTC else object()

    def formatted(value: datetime | None) -> str | None:
        if not value:
            return None
        text = (value if value.tzinfo is same else value.astimezone(zone)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return formatted


def amount(value: Decimal | None, currency: str) -> str | None:
    """As ``AmountSerializerField`` renders it (``amounts(currency)`` for many in one currency)."""
    return format_amount(value, currency)


# The amounts of one currency, as ``amount`` renders them, from one function looked up once per currency.
amounts = amount_formatter


def username(user: AbstractBaseUser | None) -> str | None:
    """As ``ActorField`` renders who did something: the username, or None for the system."""
    return None if user is None else user.get_username()


def history_representation(event: HistoryEvent) -> dict[str, Any]:
    """One row of an order's, a return's or an invoice's history (join ``actor`` for a page)."""
    return {
        # Each history declares its own kinds.
        "id": event.pk, "kind": str(event.kind),  # type: ignore[attr-defined]
        "from_status": event.from_status, "to_status": event.to_status, "actor": username(event.actor),
        "reason": event.reason, "data": event.data, "created_at": iso_datetime(event.created_at),
    }
