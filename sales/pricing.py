"""Pricing a draft: taxes of its lines and charges, decided by the ship-to address (country, and ``state`` as the
region), each line's or charge's tax class and the rates valid on the order's creation date (read in one statement
for the whole draft), computed by the pricing engine (``synthesq.core.pricing``). The rates used are copied onto
the order, its lines and charges (name, percent, country, region), so later configuration edits never change it.
An exempt customer pays none. A class without a rate in the ship-to country is untaxed (0 %)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import AMOUNT_MAX_EXCLUSIVE, format_amount, quantize, scale_error
from synthesq.core.pricing import Document, Item, ItemResult, Rate, price_document
from taxes.models import STANDARD, ChargeKind
from taxes.selectors import ClassRates, rates_by_class

from .models import Order, OrderLine

CHARGE_KINDS = tuple(ChargeKind.values)


@dataclass(frozen=True)
class ChargeInput:
    """A charge as entered: gross when the order's prices include tax, net otherwise."""

    kind: str
    amount: Decimal
    description: str = ""
    tax_class: str = STANDARD


def charges_validate(charges: Sequence[ChargeInput], currency: str) -> None:
    """400 naming ``charges[i].<field>``: an unknown kind, a negative amount or more decimals than the currency."""
    errors = []
    for index, charge in enumerate(charges):
        where = f"charges[{index}]"
        if charge.kind not in CHARGE_KINDS:
            errors.append(field_error(f"{where}.kind", f"One of {', '.join(CHARGE_KINDS)}.", "invalid_choice"))
        scale = scale_error(charge.amount, currency)
        if charge.amount < 0:
            errors.append(field_error(f"{where}.amount", "Must not be negative.", "min_value"))
        elif scale:
            errors.append(field_error(f"{where}.amount", scale))
        elif charge.amount >= AMOUNT_MAX_EXCLUSIVE:
            errors.append(field_error(f"{where}.amount", "The charge is too large.", "max_value"))
    if errors:
        raise ValidationFailed(errors=errors)


def charges_of(order: Order) -> list[ChargeInput]:
    """The order's charges as they were entered (to price them again)."""
    return [ChargeInput(kind=row["kind"], amount=Decimal(row["amount"]), description=row["description"],
                        tax_class=row["tax_class"]) for row in order.charges]


def order_price(order: Order, lines: Sequence[OrderLine], charges: Sequence[ChargeInput], *,
                exempt_reason: str | None, rates: dict[str, ClassRates] | None = None) -> None:
    """Price the draft in memory: each line's and charge's net, tax and gross, the order's totals and breakdown.
    ``exempt_reason`` (not None: the customer is exempt) makes everything untaxed. Reads the rates of the
    order's creation date in one statement, unless ``rates`` (by class, for its ship-to address on that date, as
    ``rates_by_class`` gives them) has every class already; an unknown charge class is a 400 naming it."""
    classes = [line.tax_class for line in lines] + [charge.tax_class for charge in charges]
    if rates is None or not rates.keys() >= set(classes):
        address = order.shipping_address or {}
        rates = rates_by_class(country=str(address.get("country") or ""), region=str(address.get("state") or ""),
                               tax_classes=classes, day=timezone.localdate(order.created_at))
    unknown = [field_error(f"charges[{index}].tax_class", f"Unknown tax class {charge.tax_class!r}.", "not_found")
               for index, charge in enumerate(charges) if charge.tax_class not in rates]
    if unknown:
        raise ValidationFailed(errors=unknown)

    def rates_of(tax_class: str) -> tuple[Rate, ...]:
        if exempt_reason is not None:
            return ()
        return tuple(Rate(name=name, percent=percent, country=country, region=region)
                     for name, percent, country, region in rates.get(tax_class, []))

    # A line's discount (its own and its share of the order's, ``sales.discounts``) comes off its taxable base.
    items = [Item(key=f"line:{index}", amount=line.line_total, rates=rates_of(line.tax_class),
                  discount=line.discount_amount + line.order_discount_amount)
             for index, line in enumerate(lines)]
    items += [Item(key=f"charge:{index}", amount=quantize(charge.amount, order.currency),
                   rates=rates_of(charge.tax_class)) for index, charge in enumerate(charges)]
    document = price_document(items, currency=order.currency, prices_include_tax=order.prices_include_tax,
                              rounding=order.tax_rounding)  # type: ignore[arg-type]
    if document.gross >= AMOUNT_MAX_EXCLUSIVE:
        raise ValidationFailed(errors=[field_error("line_items", "The order total is too large.", "max_value")])
    _apply(order, lines, charges, document, exempt_reason=exempt_reason)


def _apply(order: Order, lines: Sequence[OrderLine], charges: Sequence[ChargeInput], document: Document, *,
           exempt_reason: str | None) -> None:
    currency = order.currency
    results = list(document.items)
    for line, result in zip(lines, results, strict=False):
        line.tax_rate, line.net_amount, line.tax_amount, line.gross_amount = (
            result.rate_percent, result.net, result.tax, result.gross)
        line.taxes = item_taxes(result, currency)
    charge_results = results[len(lines):]
    order.charges = [
        {"kind": charge.kind, "description": charge.description or str(ChargeKind(charge.kind).label),
         "amount": format_amount(charge.amount, currency), "tax_class": charge.tax_class,
         **item_figures(result, currency)}
        for charge, result in zip(charges, charge_results, strict=True)
    ]
    order.subtotal = quantize(sum((r.net for r in results[:len(lines)]), Decimal(0)), currency)
    order.charges_total = quantize(sum((r.net for r in charge_results), Decimal(0)), currency)
    order.tax_total, order.total = document.tax, document.gross
    order.taxes = [{**rate_fields(row.rate), "taxable_amount": format_amount(row.taxable, currency),
                    "tax_amount": format_amount(row.tax, currency)} for row in document.rows]
    order.tax_exempt_reason = exempt_reason or ""


def rate_fields(rate: Rate) -> dict[str, str]:
    """A rate as documents copy it."""
    return {"name": rate.name, "rate": f"{rate.percent:.4f}", "country": rate.country, "region": rate.region}


def item_taxes(result: ItemResult, currency: str) -> list[dict[str, Any]]:
    """An item's tax per rate, as documents copy it."""
    return [{**rate_fields(rate), "tax_amount": format_amount(tax, currency)} for rate, tax in result.taxes]


def item_figures(result: ItemResult, currency: str) -> dict[str, Any]:
    return {"tax_rate": f"{result.rate_percent:.4f}", "net_amount": format_amount(result.net, currency),
            "tax_amount": format_amount(result.tax, currency), "gross_amount": format_amount(result.gross, currency),
            "taxes": item_taxes(result, currency)}
