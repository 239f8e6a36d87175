"""Reads for products and their stock ledger."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from .models import Product, StockMovement, Warehouse, WarehouseStock


def product_list() -> QuerySet[Product]:
    """Products with ``has_variants`` annotated and their stock per warehouse prefetched (the serializer reads
    both; no query per row)."""
    return Product.objects.annotate(
        has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk")))
    ).prefetch_related(
        Prefetch("warehouse_stocks", queryset=WarehouseStock.objects.select_related("warehouse")
                 .order_by("warehouse__priority", "warehouse__code"))
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


def warehouse_ledger_mismatches() -> list[tuple[str, str, int, int]]:
    """(product, warehouse) pairs whose ledger rows do not sum to the warehouse's stock row (a missing row holds
    0), and products whose warehouse rows do not sum to ``stock_quantity``: (product_id, warehouse_id or "*",
    stock, sum). Empty when the invariants hold."""
    ledger: dict[tuple[str, str], int] = {
        (pk, wh): total for pk, wh, total in StockMovement.objects.values("product_id", "warehouse_id")
        .annotate(total=Sum("quantity_delta")).values_list("product_id", "warehouse_id", "total")
    }
    held = {(pk, wh): quantity for pk, wh, quantity in
            WarehouseStock.objects.values_list("product_id", "warehouse_id", "quantity")}
    found = [(pk, wh, held.get((pk, wh), 0), ledger.get((pk, wh), 0)) for pk, wh in sorted({*ledger, *held})
             if held.get((pk, wh), 0) != ledger.get((pk, wh), 0)]
    sums: dict[str, int] = {}
    for (pk, _), quantity in held.items():
        sums[pk] = sums.get(pk, 0) + quantity
    found += [(pk, "*", stock, sums.get(pk, 0)) for pk, stock in Product.objects.values_list("id", "stock_quantity")
              if stock != sums.get(pk, 0)]
    return found


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.order_by("priority", "code")


def warehouse_get(*, warehouse_id: str) -> Warehouse:
    return warehouse_list().get(pk=warehouse_id)


def stock_by_warehouse_list(*, warehouse_id: str) -> QuerySet[WarehouseStock]:
    return WarehouseStock.objects.filter(warehouse_id=warehouse_id).select_related("product").order_by(
        "product__sku")


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
