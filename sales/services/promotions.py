"""Writes of promotion codes and price lists (finance and superusers), and a code's uses: counted when an order
confirms, given back when a confirmed order is cancelled.

Lock order: the order (with its lines), then its products (stock), then its promotion code, then the events'
counter: the code's row is locked by the guarded ``UPDATE`` that counts the use, so concurrent confirmations of one
code queue on it and PostgreSQL re-evaluates the guard on the latest count: never more than ``usage_limit`` uses,
whatever the load. A confirmation counts it in its last statement, the one that writes its events
(``integrations.events.count_last``), so a popular code's row is held only from there to the commit; a
cancellation gives it back before its invoice and its events, after its stock."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import Product
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error, refuse_unknown_fields
from synthesq.core.money import is_known_currency, scale_error
from synthesq.core.postgres_counts import Increment, count_within_limits

from .. import discounts
from ..exceptions import PromotionCodeExhausted, PromotionCodeTaken
from ..models import Order
from ..pricing_models import PriceList, PriceListEntry, PromotionCode
from ..selectors import promotions as promotion_reads

CODE_FIELDS = ("code", "description", "discount_type", "discount_value", "currency", "valid_from", "valid_to",
               "min_subtotal", "products", "usage_limit", "usage_limit_per_customer", "active")


def promotion_code_use(order: Order, *, deferred: bool = False) -> Increment | None:
    """Count the use of the order's code as it confirms (in its transaction, the order locked first). Refused:
    the code deactivated or out of its window since the draft took it, or used up (in total, or by this
    customer): 422, and the transaction rolls back. ``deferred``: a code without a per-customer limit is not
    counted here; its ``Increment`` is returned for the caller to count as the change's last write
    (``integrations.events.count_last``). A per-customer limit is checked here, the code's row locked first, so
    that no other confirmation of the code can commit between the count and the check."""
    code = order.promotion_code
    if code is None:
        return None
    discounts.check_code(code, text=code.code, currency=order.currency, at=timezone.now(), customer_uses=None)
    increment = Increment(PromotionCode, code.pk, field="times_used", limit="usage_limit",
                          refused=lambda: PromotionCodeExhausted(f"Promotion code {code.code!r} has been used up.",
                                                                 promotion_code=code.code))
    if deferred and code.usage_limit_per_customer is None:
        return increment
    count_within_limits([increment])
    if code.usage_limit_per_customer is not None:
        # Read after the code's row lock: every other confirmation of it has committed or waits behind this one.
        uses = promotion_reads.customer_uses_count(order.customer_id, code.pk)
        if uses >= code.usage_limit_per_customer:
            raise PromotionCodeExhausted(f"Promotion code {code.code!r} has been used up by this customer.",
                                         promotion_code=code.code)
    return None


def promotion_code_give_back(order: Order) -> None:
    """A confirmed order with a code is cancelled: its use is given back (the code's row locked after the
    order's, as when it was counted)."""
    if order.promotion_code_id is not None:
        PromotionCode.objects.filter(pk=order.promotion_code_id, times_used__gt=0).update(
            times_used=F("times_used") - 1)


def _products(ids: Sequence[str], field: str = "products") -> list[Product]:
    found = Product.objects.in_bulk(list(ids))
    unknown = [product_id for product_id in ids if product_id not in found]
    if unknown:
        raise ValidationFailed(errors=[field_error(field, f"Unknown product {product_id!r}.", "not_found")
                                       for product_id in unknown])
    return [found[product_id] for product_id in ids]


# Amounts of a code stay below this (SQLite keeps decimals as binary floats, which lose the cents of amounts near
# the columns' 14 whole digits).
VALUE_MAX_EXCLUSIVE = Decimal(10) ** 12


def _code_errors(code: PromotionCode) -> list[dict[str, str]]:
    """The code's rules (400 naming the field): a percent above 0 and at most 100; an amount in a currency, fitting
    it; each minimum a known currency's amount; the window's end after its start."""
    errors = []
    value, currency = code.discount_value, code.currency
    if code.discount_type == "percent" and not 0 < value <= 100:
        errors.append(field_error("discount.value", "A percent above 0, at most 100.", "out_of_range"))
    if code.discount_type == "amount" and not is_known_currency(currency):
        errors.append(field_error("discount.currency", "Required with an amount (ISO 4217).", "required"))
    elif code.discount_type == "amount" and (not 0 < value < VALUE_MAX_EXCLUSIVE or scale_error(value, currency)):
        errors.append(field_error("discount.value", scale_error(value, currency) or
                                  f"Above 0 and below {VALUE_MAX_EXCLUSIVE:f}."))
    if not isinstance(code.min_subtotal, dict):
        return [*errors, field_error("min_subtotal", 'An object: {"USD": "50.00"}.')]
    for name, minimum in code.min_subtotal.items():
        try:
            amount = Decimal(str(minimum))
        except InvalidOperation:
            amount = Decimal(-1)
        if not is_known_currency(name) or not 0 <= amount < VALUE_MAX_EXCLUSIVE or scale_error(amount, name):
            errors.append(field_error("min_subtotal", f"{name}: an amount not negative in a known currency."))
    if code.valid_from and code.valid_to and code.valid_to <= code.valid_from:
        errors.append(field_error("valid_to", "Must be after valid_from.", "invalid"))
    return errors


def _save_code(code: PromotionCode, data: dict[str, Any], fields: Sequence[str] | None) -> PromotionCode:
    products = data.pop("products", None)
    for name, value in data.items():
        setattr(code, name, value)
    if code.discount_type == "percent":
        code.currency = ""
    code.min_subtotal = {name: str(value) for name, value in code.min_subtotal.items()} if isinstance(
        code.min_subtotal, dict) else code.min_subtotal
    errors = _code_errors(code)
    if errors:
        raise ValidationFailed(errors=errors)
    try:
        with transaction.atomic():
            if fields is None:
                code.save(force_insert=True)
            else:
                code.save(update_fields=[*data, "currency", "updated_at"])
    except IntegrityError:
        raise PromotionCodeTaken(promotion_code=code.code) from None
    if products is not None:
        code.products.set(_products(products))
    return code


@transaction.atomic
def promotion_code_create(*, actor: Actor, data: dict[str, Any]) -> PromotionCode:
    require_permission(actor, "sales.add_promotioncode", "Your role may not create promotion codes.")
    refuse_unknown_fields(data, CODE_FIELDS)
    return _save_code(PromotionCode(), dict(data), None)


@transaction.atomic
def promotion_code_update(*, code_id: str, actor: Actor, data: dict[str, Any]) -> PromotionCode:
    """Change a code (its uses are not a field: they are counted)."""
    require_permission(actor, "sales.change_promotioncode", "Your role may not change promotion codes.")
    refuse_unknown_fields(data, CODE_FIELDS)
    code = PromotionCode.objects.select_for_update().get(pk=code_id)
    if data.get("usage_limit") is not None and data["usage_limit"] < code.times_used:
        raise ValidationFailed(errors=[field_error(
            "usage_limit", f"The code has been used {code.times_used} times already.", "min_value")])
    return _save_code(code, dict(data), list(data))


@transaction.atomic
def price_list_save(*, actor: Actor, data: dict[str, Any], price_list_id: str | None = None) -> PriceList:
    """Create a price list, or change one (``entries``, when given, replace all of them)."""
    if price_list_id is None:
        require_permission(actor, "sales.add_pricelist", "Your role may not create price lists.")
    else:
        require_permission(actor, "sales.change_pricelist", "Your role may not change price lists.")
    refuse_unknown_fields(data, ("name", "currency", "valid_from", "valid_to", "active", "entries"))
    data = dict(data)
    entries = data.pop("entries", None)
    price_list = (PriceList() if price_list_id is None
                  else PriceList.objects.select_for_update().get(pk=price_list_id))
    for name, value in data.items():
        setattr(price_list, name, value)
    price_list.save()
    if entries is not None:
        products = _products(list(dict.fromkeys(entry["product_id"] for entry in entries)), "entries[*].product_id")
        price_list.entries.all().delete()
        by_id = {product.pk: product for product in products}
        PriceListEntry.objects.bulk_create([
            PriceListEntry(price_list=price_list, product=by_id[entry["product_id"]],
                           min_quantity=entry.get("min_quantity", 1), unit_price=entry["unit_price"])
            for entry in entries
        ])
    return price_list


def customer_price_list_check(price_list_id: str | None) -> PriceList | None:
    """The price list a customer is given (400 naming ``price_list_id`` when there is none)."""
    if price_list_id is None:
        return None
    price_list = PriceList.objects.filter(pk=price_list_id).first()
    if price_list is None:
        raise ValidationFailed(errors=[field_error("price_list_id", f"Unknown price list {price_list_id!r}.",
                                                   "not_found")])
    return price_list


__all__ = ["customer_price_list_check", "price_list_save", "promotion_code_create",
           "promotion_code_give_back", "promotion_code_update", "promotion_code_use"]
