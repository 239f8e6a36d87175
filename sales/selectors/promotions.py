"""Reads of promotion codes and price lists: lists, a code as a draft checks it (with this customer's uses), the
annotations that bring a code along with a draft's products (one statement for both), and the best price-list
entries of a draft's lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Count, Exists, JSONField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, JSONArray, Lower

from synthesq.core.compiled import CompiledQuery, Date, Int, Text, TextList
from synthesq.core.json_fields import fields_from_json, fields_json, json_array_of, json_decimal, json_text

from ..models import Order, OrderStatus
from ..pricing_models import PriceList, PriceListEntry, PromotionCode

# An order counts as a use of its code from its confirmation until it is cancelled.
UNCOUNTED_STATUSES = (OrderStatus.DRAFT, OrderStatus.CANCELLED)


def _sql_constant(word: str) -> RawSQL:
    """``word`` (lower-case letters and underscores only) written into the SQL as a constant."""
    if not re.fullmatch(r"[a-z_]+", word):
        raise ValueError(f"not a word to write into SQL: {word!r}")
    return RawSQL(f"'{word}'", ())


# The same statuses written into the SQL as constants, not sent as parameters: the index on the uses
# (``order_customer_code_uses``) holds only the counted orders, and PostgreSQL uses such a partial index only
# where it can prove the statement's condition implies the index's. With the statuses as parameters it cannot,
# in the plan it makes once for a prepared statement, so it planned each create anew (about 1 ms of its CPU) to
# avoid scanning all the customer's orders.
_UNCOUNTED_IN_SQL = [_sql_constant(status) for status in UNCOUNTED_STATUSES]
_CODE_FIELDS = ("id", "code", "discount_type", "discount_value", "currency", "valid_from", "valid_to",
                "min_subtotal", "usage_limit", "usage_limit_per_customer", "times_used", "active")


def promotion_code_list() -> QuerySet[PromotionCode]:
    return PromotionCode.objects.prefetch_related("products").order_by("-id")


def price_list_list() -> QuerySet[PriceList]:
    return PriceList.objects.prefetch_related("entries").order_by("-id")


def code_key(text: str) -> str:
    """What a code spelled ``text`` is found by: trimmed, in lower case."""
    return text.strip().lower()


def codes_named(text: str) -> QuerySet[PromotionCode]:
    """The code spelled ``text`` in any case (the unique index on ``lower(code)`` finds it)."""
    return PromotionCode.objects.annotate(code_lower=Lower("code")).filter(code_lower=code_key(text))


def customer_uses(customer_id: str, code: Any = None) -> Coalesce:
    """How many of the customer's orders count as uses of the code (``code``: an expression naming it; default
    the outer row's primary key)."""
    uses = (_counted_uses(customer_id, code if code is not None else OuterRef("pk")).order_by()
            .values("promotion_code").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(uses), Value(0))


def customer_uses_count(customer_id: str, code_id: str) -> int:
    """``customer_uses`` read on its own (the code's row locked by the caller, so that it cannot move)."""
    return _counted_uses(customer_id, code_id).count()


def _counted_uses(customer_id: str, code: Any) -> QuerySet[Order]:
    """The customer's orders that count as uses of ``code`` (a primary key or an expression naming one)."""
    return Order.objects.filter(customer_id=customer_id, promotion_code=code).exclude(status__in=_UNCOUNTED_IN_SQL)


def promotion_code_for_draft(text: str, customer_id: str) -> tuple[PromotionCode | None, int, frozenset[str]]:
    """The code (or None), how often this customer has used it, and the products it is limited to (empty: all):
    two statements."""
    code = codes_named(text).annotate(customer_uses=customer_uses(customer_id)).first()
    if code is None:
        return None, 0, frozenset()
    return code, int(getattr(code, "customer_uses", 0)), frozenset(code.products.values_list("pk", flat=True))


def code_annotations(text: str, customer_id: str) -> dict[str, Any]:
    """Annotations for a query of products that bring the code spelled ``text`` along: the code's fields, this
    customer's uses of it and whether it is limited to some products as ONE subquery (a JSON object), and
    whether it applies to the row's product."""
    named = codes_named(text)
    links = PromotionCode.products.through.objects
    code = named.annotate(promo=fields_json(
        PromotionCode, _CODE_FIELDS, customer_uses=customer_uses(customer_id),
        limited=Exists(links.filter(promotioncode=OuterRef("pk"))))).values("promo")[:1]
    return {
        "promo": Subquery(code, output_field=JSONField()),
        "promo_applies": Exists(links.filter(promotioncode__in=named.values("pk"), product_id=OuterRef("pk"))),
    }


def code_from_annotations(
    rows: Sequence[Any],
) -> tuple[PromotionCode | None, int, frozenset[str]]:
    """``promotion_code_for_draft``'s answer from products read with ``code_annotations``."""
    promo = getattr(rows[0], "promo", None) if rows else None
    if promo is None:
        return None, 0, frozenset()
    code = PromotionCode(**fields_from_json(PromotionCode, _CODE_FIELDS, promo))
    limited = bool(promo["limited"])
    products = frozenset(row.pk for row in rows if row.promo_applies) if limited else frozenset()
    if limited and not products:
        products = frozenset({""})  # limited to products none of which is ordered
    return code, int(promo["customer_uses"] or 0), products


def _list_valid_on(on: date) -> Q:
    return (Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on)) & (
        Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=on))


def _price_list_entries(price_list_id: str, currency: str, on: date, product_ids: list[str],
                        most: int) -> QuerySet[PriceListEntry, tuple[str, int, Any]]:
    return (PriceListEntry.objects.filter(_list_valid_on(on), price_list_id=price_list_id, price_list__active=True,
                                          price_list__currency=currency, product_id__in=product_ids,
                                          min_quantity__lte=most)
            .order_by("product_id", "min_quantity").values_list("product_id", "min_quantity", "unit_price"))


# Compiled once per number of distinct products (``synthesq.core.compiled``).
_PRICE_LIST_ENTRIES = CompiledQuery("sales.price_list_entries", _price_list_entries, price_list_id=Text(),
                                    currency=Text(), on=Date(), product_ids=TextList(), most=Int())


def price_list_prices(price_list_id: str | None, *, currency: str, on: date,
                      items: Sequence[tuple[str, int]]) -> dict[tuple[str, int], tuple[Any, str]]:
    """The unit price of each (product, quantity) from the list's best entry (the largest ``min_quantity`` not
    above the quantity), when the list is active, valid ``on`` that day and in ``currency``: one statement for
    the whole draft. Maps (product_id, quantity) to (unit_price, price_list_id)."""
    if not price_list_id or not items:
        return {}
    rows = _PRICE_LIST_ENTRIES(price_list_id=price_list_id, currency=currency, on=on,
                               product_ids=list(dict.fromkeys(product for product, _ in items)),
                               most=max(quantity for _, quantity in items))
    breaks: dict[str, list[tuple[int, Any]]] = {}
    for product_id, min_quantity, unit_price in rows:
        breaks.setdefault(product_id, []).append((min_quantity, unit_price))
    return _best_prices(price_list_id, items, breaks)


def price_list_entries_json(price_list_id: Any, *, currency: str, on: date) -> Subquery:
    """For a query of products: the row's entries (``[min_quantity, unit_price]``) in the price list
    ``price_list_id`` (an expression, e.g. the customer's list) if that list is active, valid ``on`` that day and
    in ``currency``, as ONE JSON array (``[]``: none); ``prices_from_entries`` reads them."""
    entries = PriceListEntry.objects.filter(_list_valid_on(on), price_list_id=price_list_id, price_list__active=True,
                                            price_list__currency=currency, product_id=OuterRef("pk"))
    return json_array_of(entries, JSONArray("min_quantity", json_text("unit_price")))


_UNIT_PRICE_PLACES = PriceListEntry._meta.get_field("unit_price").decimal_places or 0


def prices_from_entries(price_list_id: str | None, items: Sequence[tuple[str, int]],
                        entries: dict[str, list[list[Any]]]) -> dict[tuple[str, int], tuple[Any, str]]:
    """``price_list_prices``'s answer from each product's ``price_list_entries_json`` array (by product id)."""
    if not price_list_id:
        return {}
    breaks = {product_id: sorted((minimum, json_decimal(price, _UNIT_PRICE_PLACES)) for minimum, price in rows)
              for product_id, rows in entries.items()}
    return _best_prices(price_list_id, items, breaks)


def _best_prices(price_list_id: str, items: Sequence[tuple[str, int]],
                 breaks: dict[str, list[tuple[int, Any]]]) -> dict[tuple[str, int], tuple[Any, str]]:
    """Each (product, quantity)'s price from its breaks (in order of ``min_quantity``): the last one it reaches."""
    prices = {}
    for product_id, quantity in items:
        fitting = [price for minimum, price in breaks.get(product_id, []) if minimum <= quantity]
        if fitting:
            prices[(product_id, quantity)] = (fitting[-1], price_list_id)
    return prices
