"""Writes of the tax configuration: finance (``taxes.*`` permissions) and superusers change it. Each service
checks permission first, validates (400 naming the field), then writes in one transaction. Rates of one class
are written under that class's row lock, so two overlapping rates cannot both pass the overlap check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, Q
from django_countries import countries

from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import NotFound, ValidationFailed, field_error, refuse_unknown_fields

from .exceptions import TaxClassInUse
from .models import RATE_DECIMAL_PLACES, STANDARD, TaxClass, TaxRate, TaxRounding, TaxSettings
from .selectors import tax_settings_get

RATE_MAX = Decimal(1000)
_RATE_FIELDS = ("tax_class", "country", "region", "name", "rate", "valid_from", "valid_to")


def _refuse(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, errors=[field_error(field, message, code)])


@transaction.atomic
def tax_class_create(*, actor: Actor, code: str, name: str) -> TaxClass:
    require_permission(actor, "taxes.add_taxclass", "Your role may not change the tax configuration.")
    if TaxClass.objects.filter(code=code).exists():
        raise _refuse("code", f"Tax class {code!r} exists already.", "unique")
    tax_class = TaxClass(code=code, name=name)
    tax_class.save(force_insert=True)
    return tax_class


@transaction.atomic
def tax_class_update(*, actor: Actor, code: str, data: dict[str, Any]) -> TaxClass:
    require_permission(actor, "taxes.change_taxclass", "Your role may not change the tax configuration.")
    refuse_unknown_fields(data, ("name",))
    tax_class = _class_locked(code)
    if "name" in data:
        tax_class.name = data["name"]
        tax_class.save(update_fields=["name", "updated_at"])
    return tax_class


@transaction.atomic
def tax_class_delete(*, actor: Actor, code: str) -> None:
    """Delete an unused class (409 ``tax_class_in_use`` while products or rates name it; ``standard``, every
    product's default, always is)."""
    require_permission(actor, "taxes.delete_taxclass", "Your role may not change the tax configuration.")
    tax_class = _class_locked(code)
    if code == STANDARD:
        raise TaxClassInUse(code=code, detail="The standard class is every product's default; it cannot be deleted.")
    try:
        with transaction.atomic():
            tax_class.delete()
    except ProtectedError as exc:
        raise TaxClassInUse(code=code) from exc


def _class_locked(code: str) -> TaxClass:
    tax_class = TaxClass.objects.select_for_update().filter(code=code).first()
    if tax_class is None:
        raise NotFound(f"No tax class {code!r}.")
    return tax_class


def _clean_rate(values: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The rate's fields normalised (country and region upper case) and what is wrong with them."""
    errors = []
    country = str(values.get("country") or "").strip().upper()
    if country not in countries:
        errors.append(field_error("country", f"Unknown country {values.get('country')!r}: use an ISO 3166-1 "
                                  "alpha-2 code, e.g. DE.", "invalid_choice"))
    percent = values.get("rate")
    try:
        valid_percent = isinstance(percent, Decimal) and percent.is_finite() and 0 <= percent < RATE_MAX \
            and -percent.as_tuple().exponent <= RATE_DECIMAL_PLACES  # type: ignore[operator]
    except (InvalidOperation, TypeError):
        valid_percent = False
    if not valid_percent:
        errors.append(field_error("rate", "A percent from 0 to 999.9999, with at most 4 decimals.", "invalid"))
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if isinstance(valid_from, date) and valid_to is not None and valid_to < valid_from:
        errors.append(field_error("valid_to", "Must not be before valid_from.", "invalid"))
    if not str(values.get("name") or "").strip():
        errors.append(field_error("name", "This field may not be blank.", "blank"))
    cleaned = {**values, "country": country, "region": str(values.get("region") or "").strip().upper()}
    return cleaned, errors


def _refuse_overlap(values: dict[str, Any], *, exclude: str | None = None) -> None:
    """Two rates of one class, country, region and name may not be valid on the same day."""
    others = TaxRate.objects.filter(tax_class_id=values["tax_class"].pk, country=values["country"],
                                    region=values["region"], name=values["name"])
    if values["valid_to"] is not None:
        others = others.filter(valid_from__lte=values["valid_to"])
    others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=values["valid_from"]))
    if exclude is not None:
        others = others.exclude(pk=exclude)
    clash = others.values_list("id", flat=True).first()
    if clash is not None:
        raise _refuse("valid_from", f"Overlaps rate {clash} (same class, country, region and name).", "overlap")


def _validated_rate(values: dict[str, Any], *, exclude: str | None = None) -> dict[str, Any]:
    tax_class = values.get("tax_class")
    code = tax_class.pk if isinstance(tax_class, TaxClass) else tax_class
    found = _class_locked_or_none(str(code or ""))
    cleaned, errors = _clean_rate(values)
    if found is None:
        errors.insert(0, field_error("tax_class", f"Unknown tax class {code!r}.", "not_found"))
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    cleaned["tax_class"] = found
    _refuse_overlap(cleaned, exclude=exclude)
    return cleaned


def _class_locked_or_none(code: str) -> TaxClass | None:
    return TaxClass.objects.select_for_update().filter(code=code).first()


def tax_rate_check(*, values: dict[str, Any], rate_id: str | None = None) -> None:
    """What ``tax_rate_create`` / ``tax_rate_update`` would refuse (400 naming the field), writing nothing: for
    forms."""
    _validated_rate({"region": "", "valid_to": None, **values}, exclude=rate_id)


@transaction.atomic
def tax_rate_create(*, actor: Actor, **values: Any) -> TaxRate:
    require_permission(actor, "taxes.add_taxrate", "Your role may not change the tax configuration.")
    refuse_unknown_fields(values, _RATE_FIELDS)
    values.setdefault("region", "")
    values.setdefault("valid_to", None)
    rate = TaxRate(**_validated_rate(values))
    rate.save(force_insert=True)
    return rate


@transaction.atomic
def tax_rate_update(*, actor: Actor, rate_id: str, data: dict[str, Any]) -> TaxRate:
    require_permission(actor, "taxes.change_taxrate", "Your role may not change the tax configuration.")
    refuse_unknown_fields(data, _RATE_FIELDS)
    rate = TaxRate.objects.select_for_update().filter(pk=rate_id).first()
    if rate is None:
        raise NotFound(f"No tax rate {rate_id!r}.")
    current = {name: getattr(rate, "tax_class_id" if name == "tax_class" else name) for name in _RATE_FIELDS}
    for name, value in _validated_rate({**current, **data}, exclude=rate.pk).items():
        setattr(rate, name, value)
    rate.save()
    return rate


@transaction.atomic
def tax_rate_delete(*, actor: Actor, rate_id: str) -> None:
    """Delete a rate. Orders and invoices keep the copies of the rates they used."""
    require_permission(actor, "taxes.delete_taxrate", "Your role may not change the tax configuration.")
    deleted, _ = TaxRate.objects.filter(pk=rate_id).delete()
    if not deleted:
        raise NotFound(f"No tax rate {rate_id!r}.")


@transaction.atomic
def tax_settings_update(*, actor: Actor, prices_include_tax: bool, rounding: str) -> TaxSettings:
    """Replace the settings. New orders take them; existing orders and invoices keep theirs."""
    require_permission(actor, "taxes.change_taxsettings", "Your role may not change the tax configuration.")
    if rounding not in TaxRounding.values:
        raise _refuse("rounding", f"Unknown rounding {rounding!r}: line or document.", "invalid_choice")
    settings = tax_settings_get()
    settings.prices_include_tax, settings.rounding = prices_include_tax, rounding
    settings.save()
    return settings
