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


# What documents copied of their taxes, as stored (JSON; PostgreSQL's jsonb keeps no key order), in the declared
# order of the serializers' fields (a rate's name, rate, country and region first), each key written out: these
# build a dict per tax row of every line of a page of orders.


def item_taxes_representation(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A line's or charge's tax per rate."""
    return [{"name": row["name"], "rate": row["rate"], "country": row["country"], "region": row["region"],
             "tax_amount": row["tax_amount"]} for row in rows]


def tax_rows_representation(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A document's breakdown, one row per rate."""
    return [{"name": row["name"], "rate": row["rate"], "country": row["country"], "region": row["region"],
             "taxable_amount": row["taxable_amount"], "tax_amount": row["tax_amount"]} for row in rows]


def charges_representation(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An order's charges as stored."""
    return [{"kind": row["kind"], "description": row["description"], "amount": row["amount"],
             "tax_class": row["tax_class"], "tax_rate": row["tax_rate"], "net_amount": row["net_amount"],
             "tax_amount": row["tax_amount"], "gross_amount": row["gross_amount"],
             "taxes": item_taxes_representation(row["taxes"])}
            for row in rows]
