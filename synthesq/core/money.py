"""Money: ``Decimal`` end to end, quantized to the currency's minor unit (ISO 4217 via ``iso4217``).

Amounts arrive as JSON numbers (parsed straight to Decimal, never float) or strings, and leave as decimal
strings with exactly the currency's number of decimals (``"129.99"`` for USD, ``"1300"`` for JPY).
Database columns keep 4 decimals, enough for every ISO 4217 currency.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, getcontext
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from iso4217 import Currency
from rest_framework import serializers

from .errors import ValidationFailed, field_error

MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 4


@cache
def _minor_units() -> dict[str, int]:
    # Only real money: codes without a minor unit (gold, test codes, "no currency") are left out.
    return {c.code: c.exponent for c in Currency if c.exponent is not None}


def is_known_currency(code: str) -> bool:
    return code in _minor_units()


@cache
def currency_codes() -> list[str]:
    """Every ISO 4217 code with a minor unit, sorted (the OpenAPI enum of request currencies)."""
    return sorted(_minor_units())


def minor_unit(currency: str) -> int:
    """Number of decimals of ``currency`` (USD 2, JPY 0, BHD 3)."""
    try:
        return _minor_units()[currency]
    except KeyError:
        raise ValueError(f"Unknown currency {currency!r}") from None


@cache
def quantum(currency: str) -> Decimal:
    """``Decimal("0.01")`` for USD (worked out once per currency: every amount the API renders asks)."""
    return Decimal(1).scaleb(-minor_unit(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the currency's minor unit (for computed amounts such as line totals)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def fits_currency(amount: Decimal, currency: str) -> bool:
    """True when ``amount`` has no more decimals than the currency allows (129.990 fits USD, 1.005 not)."""
    return amount == amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def scale_error(amount: Decimal, currency: str) -> str | None:
    """Why ``amount`` cannot be an amount in ``currency`` (more decimals than its minor unit allows), or None
    when it fits. The one statement of the rule for services, serializers and admin forms; an unknown
    currency is reported by the currency's own check, so it is not an error here."""
    if not is_known_currency(currency):
        return None
    try:
        if fits_currency(amount, currency):
            return None
    except (InvalidOperation, ValueError):
        pass
    return f"{currency} amounts have at most {minor_unit(currency)} decimal places."


def positive_amount_error(amount: Decimal, currency: str) -> str | None:
    """Why ``amount`` cannot be a positive amount in ``currency`` (zero or less, or more decimals than its minor
    unit allows), or None when it can: the one rule for payments, refunds and credit notes."""
    if amount <= 0:
        return "Must be positive."
    if scale_error(amount, currency):
        return f"Must be positive, with at most {minor_unit(currency)} decimal places."
    return None


def require_positive_amount(amount: Decimal, currency: str, field: str = "amount") -> None:
    """Refuse (400 naming ``field``) an amount that is not positive in ``currency`` (``positive_amount_error``)."""
    message = positive_amount_error(amount, currency)
    if message:
        raise ValidationFailed(message, errors=[field_error(field, message)])


def format_amount(amount: Decimal | None, currency: str) -> str | None:
    """``amount`` as a decimal string with exactly the currency's decimals, rounded half-up (None stays None)."""
    if amount is None:
        return None
    return amount_formatter(currency)(amount)


@cache
def amount_formatter(currency: str) -> Callable[[Decimal | None], str | None]:
    """``format_amount`` for one currency, its quantum looked up once: what renders many amounts (a page of
    orders formats over a thousand) calls this once per currency and the function it returns per amount."""
    exponent = quantum(currency)

    def formatted(amount: Decimal | None, _decimal: type[Decimal] = Decimal) -> str | None:
        if amount is None:
            return None
        if amount.__class__ is not _decimal:
            amount = _decimal(amount)
        return str(amount.quantize(exponent, ROUND_HALF_UP))

    return formatted


def format_money(amount: Decimal | None, currency: str) -> str:
    """``"259.98 USD"``: the amount in the currency's minor unit, then the code (for people: admin, print)."""
    return f"{format_amount(amount, currency) or ''} {currency}".strip()


class MoneyField(models.DecimalField):
    """A money amount column; the currency lives in a sibling field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)


def validate_currency(value: str) -> None:
    if not is_known_currency(value):
        raise DjangoValidationError(f"{value!r} is not an ISO 4217 currency code.", code="unknown_currency")


class CurrencyField(models.CharField):
    default_validators = [validate_currency]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)


class CurrencySerializerField(serializers.CharField):
    default_error_messages = {"unknown_currency": "{value!r} is not an ISO 4217 currency code."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("help_text", "ISO 4217 currency code, e.g. USD.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not is_known_currency(value):
            self.fail("unknown_currency", value=value)
        return value


# Amounts on input: at most 14 whole digits and 4 decimals (the columns' precision). The schema declares the
# same: a number below 10^14 in magnitude, or a string matching ``amount_pattern``.
AMOUNT_MAX_EXCLUSIVE = 10 ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)


def amount_pattern(*, signed: bool) -> str:
    whole, fraction = MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES, MONEY_DECIMAL_PLACES
    return rf"^{'-?' if signed else ''}[0-9]{{1,{whole}}}(\.[0-9]{{1,{fraction}}})?$"


class AmountSerializerField(serializers.DecimalField):
    """An amount sent as a JSON number or string, returned as a decimal string.

    On output it is quantized to the currency named by ``currency_source`` on the object (default
    ``currency``); on input the serializer checks the scale against the currency (see ``check_amount``).
    Input is exactly what the schema declares: a JSON number (trailing zeros do not count as decimals) or a
    string of digits with an optional fraction; never a boolean, an empty string, an exponent or blanks.
    """

    default_error_messages = {
        "float": "Send amounts as decimal numbers or strings.",
        "format": "Send a number or a decimal string such as \"129.99\".",
    }

    def __init__(self, *, currency_source: str = "currency", **kwargs: Any) -> None:
        self.currency_source = currency_source
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES + 4)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        # DRF's DecimalField takes "" for null when null is allowed: an empty string is not an amount
        # ("unit_price": "" must not silently become the catalogue price).
        if isinstance(data, str) and not data.strip():
            self.fail("format")
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float):  # only reachable if another parser produced a float
            data = str(data)
        if isinstance(data, str):
            signed = not (self.min_value is not None and self.min_value >= 0)
            if not re.fullmatch(amount_pattern(signed=signed), data):
                self.fail("format")
        elif isinstance(data, Decimal) and data.is_finite():
            data = _without_trailing_zeros(data)
        return super().to_internal_value(data)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        obj = getattr(self, "_current_instance", None)
        currency = _lookup(obj, self.currency_source) if obj is not None else None
        if currency and is_known_currency(currency):
            return format_amount(Decimal(value), currency)
        return super().to_representation(value)

    def get_attribute(self, instance: Any) -> Any:
        self._current_instance = instance
        return super().get_attribute(instance)


def _without_trailing_zeros(value: Decimal) -> Decimal:
    """``129.9900`` as ``129.99`` (the same amount), but never an exponent form for whole numbers."""
    normal = value.normalize()
    if normal.as_tuple().exponent <= 0:  # type: ignore[operator]
        return normal
    if normal.adjusted() >= getcontext().prec:  # larger than any amount (max_digits refuses it): no quantizing
        return normal
    return normal.quantize(Decimal(1))


def _lookup(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def check_amount(amount: Decimal, currency: str, field: str) -> None:
    """Raise a 400 naming ``field`` when ``amount`` has more decimals than ``currency`` allows."""
    message = scale_error(amount, currency)
    if message:
        raise serializers.ValidationError({field: [message]})
