"""Postal addresses (a customer's default shipping address, an order's shipping address, an invoice's
billing address): one statement of their parts and rules, used by the API's serializers and the admin's
forms alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django_countries import countries

from synthesq.core.errors import ValidationFailed, field_error

COUNTRY_MESSAGE = "Use an ISO 3166-1 alpha-2 country code, e.g. US."


def country_code(value: str) -> str | None:
    """``value`` as an ISO 3166-1 alpha-2 code ("gb" and " GB " are "GB"), or None when it is not one ("ZZ",
    "United Kingdom"): never cut to fit."""
    code = value.strip().upper()
    return code if len(code) == 2 and code in countries else None


@cache
def country_pattern() -> str:
    """The ISO 3166-1 alpha-2 codes, any case, as one regular expression (the schema states exactly what
    ``country_code`` accepts): ``^(?:[Aa][DdEeFf…]|[Bb][…]|…)$``."""
    seconds: dict[str, list[str]] = {}
    for code, _name in countries:
        seconds.setdefault(code[0], []).append(code[1])

    def both(letter: str) -> str:
        return letter + letter.lower()

    groups = (f"[{both(first)}][{''.join(both(second) for second in sorted(rest))}]"
              for first, rest in sorted(seconds.items()))
    return "^(?:" + "|".join(groups) + ")$"


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country, by name: ``("GB", "United Kingdom (GB)")``."""
    return [(code, f"{name} ({code})") for code, name in countries]


@dataclass(frozen=True)
class AddressPart:
    name: str
    label: str
    max_length: int
    required: bool
    help_text: str = ""


ADDRESS_PARTS: tuple[AddressPart, ...] = (
    AddressPart("line1", "Address line 1", 200, required=True),
    AddressPart("line2", "Address line 2", 200, required=False),
    AddressPart("city", "City", 100, required=True),
    AddressPart("state", "State", 100, required=False),
    AddressPart("postal_code", "Postal code", 20, required=False),
    AddressPart("country", "Country", 2, required=True, help_text="ISO 3166-1 alpha-2, e.g. US"),
)


def address_errors(address: Mapping[str, Any]) -> list[dict[str, str]]:
    """What is wrong with ``address``, at most one entry per part; empty when it is valid."""
    errors = []
    for part in ADDRESS_PARTS:
        value = address.get(part.name)
        if value in (None, ""):
            if part.required:
                errors.append(field_error(part.name, "This field is required.", "required"))
        elif not isinstance(value, str):
            errors.append(field_error(part.name, "Not a valid string.", "invalid"))
        elif part.name == "country" and country_code(value) is None:
            errors.append(field_error(part.name, COUNTRY_MESSAGE, "invalid"))
        elif len(value) > part.max_length:
            errors.append(field_error(part.name, f"Ensure this field has no more than {part.max_length} characters.",
                                      "max_length"))
    return errors


def address_representation(address: Mapping[str, Any] | None) -> dict[str, str | None] | None:
    """As the API renders a stored address: its known parts, in order."""
    if address is None:
        return None
    return {name: None if address[name] is None else str(address[name]) for name in _PART_NAMES if name in address}


_PART_NAMES = tuple(part.name for part in ADDRESS_PARTS)


def address_clean(address: Mapping[str, Any]) -> dict[str, str]:
    """The address as stored: its known parts, the country upper-cased. Raises ``ValidationFailed`` naming
    each part that is missing or invalid. An address is always replaced whole, never merged."""
    errors = address_errors(address)
    if errors:
        raise ValidationFailed(errors=errors)
    cleaned = {part.name: address[part.name] for part in ADDRESS_PARTS if part.name in address}
    cleaned["country"] = cleaned["country"].strip().upper()  # a valid code, checked above
    return cleaned



def address_lines(address: Mapping[str, Any] | None) -> list[str]:
    """The address as it is written on an envelope: street lines, "City, STATE POSTCODE", country."""
    if not address:
        return []
    place = " ".join(part for part in (address.get("state"), address.get("postal_code")) if part)
    city = ", ".join(part for part in (address.get("city"), place) if part)
    return [str(line) for line in (address.get("line1"), address.get("line2"), city, address.get("country")) if line]
