"""Tax classes, rates and settings as the API renders them (the serializers declare the same fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from synthesq.core.representation import iso_datetime

from .models import TaxClass, TaxRate, TaxSettings


def percent(value: Decimal) -> str:
    """A percent as the API renders it: four decimals ("19.0000")."""
    return f"{Decimal(value):.4f}"


def tax_class_representation(tax_class: TaxClass) -> dict[str, Any]:
    return {"code": tax_class.code, "name": tax_class.name, "created_at": iso_datetime(tax_class.created_at),
            "updated_at": iso_datetime(tax_class.updated_at)}


def tax_rate_representation(rate: TaxRate) -> dict[str, Any]:
    return {
        "id": rate.pk, "tax_class": rate.tax_class_id, "country": rate.country, "region": rate.region,
        "name": rate.name, "rate": percent(rate.rate), "valid_from": rate.valid_from.isoformat(),
        "valid_to": rate.valid_to.isoformat() if rate.valid_to else None,
        "created_at": iso_datetime(rate.created_at), "updated_at": iso_datetime(rate.updated_at),
    }


def tax_settings_representation(settings: TaxSettings) -> dict[str, Any]:
    return {"prices_include_tax": settings.prices_include_tax, "rounding": settings.rounding}
