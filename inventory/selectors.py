"""Reads for products and their stock ledger."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from .models import Product, StockMovement


def product_list() -> QuerySet[Product]:
    """Products with ``has_variants`` annotated (the serializer reads it; no query per row)."""
    return Product.objects.annotate(
        has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk")))
    ).order_by("-id")


def product_get(*, product_id: str) -> Product:
    return product_list().get(pk=product_id)


def stock_movement_list(*, product_id: str) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(product_id=product_id).select_related("actor").order_by("id")


def stock_ledger_mismatches() -> list[tuple[str, int, int]]:
    """Products whose ledger does not sum to ``stock_quantity``: (product_id, stock_quantity, ledger sum).
    Empty when the invariant holds."""
    rows = Product.objects.annotate(ledger=Sum("movements__quantity_delta")).values_list(
        "id", "stock_quantity", "ledger"
    )
    return [(pk, stock, ledger or 0) for pk, stock, ledger in rows if stock != (ledger or 0)]


def products_lock(*, product_ids: list[str]) -> None:
    """Lock product rows in primary-key order with the inventory services' lock (FOR NO KEY UPDATE), for the
    caller's transaction (for ``If-Match``)."""
    list(Product.objects.select_for_update(of=("self",), no_key=True).filter(pk__in=set(product_ids))
         .order_by("pk").values_list("pk", flat=True))


def sellable_products(queryset: QuerySet[Product] | None = None) -> QuerySet[Product]:
    """Products that hold stock and are sold: those without variants."""
    queryset = Product.objects.all() if queryset is None else queryset
    return queryset.exclude(Exists(Product.objects.filter(parent_id=OuterRef("pk"))))


def products_low_stock(queryset: QuerySet[Product] | None = None, *, threshold: int) -> QuerySet[Product]:
    """Sellable products with at most ``threshold`` in stock (out of stock included)."""
    return sellable_products(queryset).filter(stock_quantity__lte=threshold)


def products_out_of_stock(queryset: QuerySet[Product] | None = None) -> QuerySet[Product]:
    return sellable_products(queryset).filter(stock_quantity=0)


def stock_figures(*, threshold: int) -> dict[str, int]:
    """How many active sellable products are low (≤ ``threshold``) and out of stock, in one query."""
    counts = sellable_products().filter(is_active=True).aggregate(
        low=Count("id", filter=Q(stock_quantity__lte=threshold)), out=Count("id", filter=Q(stock_quantity=0)))
    return {"low": counts["low"], "out": counts["out"]}
