"""Form fields of the back-office for codes staff pick from a standard list rather than type: a currency from
ISO 4217, searchable by code or name, any case typed normalised ("usd" is USD)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms
from iso4217 import Currency
from unfold.widgets import UnfoldAdminSelect2Widget

from .money import currency_codes


class CodeChoiceField(forms.ChoiceField):
    """A choice of codes (a searchable list); a code typed or posted in any case, with spaces around it, is the
    code (" usd " is "USD")."""

    def __init__(self, *, choices: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", UnfoldAdminSelect2Widget)
        super().__init__(choices=choices, **kwargs)

    def to_python(self, value: Any) -> str:
        return super().to_python(value).strip().upper()


@cache
def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency with a minor unit: ``("USD", "USD · US Dollar")``, by code."""
    names = {currency.code: currency.currency_name for currency in Currency}
    return [(code, f"{code} · {names[code]}") for code in currency_codes()]


class CurrencyChoiceField(CodeChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Currency")
        kwargs.setdefault("help_text", "ISO 4217: type the code or the name to search.")
        kwargs.setdefault("error_messages", {"invalid_choice": "%(value)r is not an ISO 4217 currency code."})
        super().__init__(choices=[("", "—"), *currency_choices()], **kwargs)
