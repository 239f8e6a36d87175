"""The locks and the writes every stock change shares.

Lock order (one global order, so concurrent changes never deadlock): product rows by key, each followed by its
warehouse stock rows by (product, warehouse), taken in ONE statement (``stock_lock``): PostgreSQL locks a
``SELECT … ORDER BY … FOR NO KEY UPDATE`` row by row in the order it returns them. Warehouse stock rows that a
change may add to but that do not exist yet are created first (``stock_rows_ensure``), before any product lock,
so an insert never waits while holding one. The product's ``stock_quantity`` (the sum), the warehouse rows and the
ledger are then written together (``stock_write``: one statement on PostgreSQL)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.utils import timezone

from synthesq.core import postgres
from synthesq.core.actors import Actor
from synthesq.core.compiled import CompiledQuery, TextList
from synthesq.core.errors import ValidationFailed

from .. import events
from ..exceptions import ProductHasVariants
from ..models import Product, StockMovement, Warehouse, WarehouseStock

# The stock column's capacity (a 32-bit integer on PostgreSQL).
STOCK_MAX = 2_147_483_647
DEFAULT_WAREHOUSE_CODE = "MAIN"


@dataclass(frozen=True)
class Placement:
    """``quantity`` units of a product in one warehouse (what a release or a return puts back where)."""

    product_id: str
    warehouse_id: str
    quantity: int


@dataclass
class LockedStock:
    """The locked products and their warehouse stock rows, by (product id, warehouse id)."""

    products: dict[str, Product]
    rows: dict[tuple[str, str], WarehouseStock] = field(default_factory=dict)

    def rows_of(self, product_id: str) -> list[WarehouseStock]:
        return [row for (pk, _), row in sorted(self.rows.items()) if pk == product_id]


def warehouse_default() -> Warehouse:
    """The default warehouse (the migration made it; made again here if the table was emptied, as tests do)."""
    found = Warehouse.objects.filter(is_default=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Warehouse.objects.create(is_default=True, code=_free_default_code(), name="Main warehouse",
                                            priority=0)
    except IntegrityError:  # made by a concurrent caller
        return Warehouse.objects.get(is_default=True)


def _free_default_code() -> str:
    """``MAIN``, or ``MAIN-2``… when a warehouse already has that code."""
    taken = set(Warehouse.objects.filter(code__istartswith=DEFAULT_WAREHOUSE_CODE).values_list("code", flat=True))
    return next(code for code in (DEFAULT_WAREHOUSE_CODE, *(f"{DEFAULT_WAREHOUSE_CODE}-{n}" for n in range(2, 99)))
                if code.upper() not in {t.upper() for t in taken})


def quantities_by_product(items: Iterable[tuple[str, int]]) -> Counter[str]:
    wanted: Counter[str] = Counter()
    for product_id, quantity in items:
        if quantity <= 0:
            raise ValidationFailed("Quantities must be positive.")
        wanted[product_id] += quantity
    return wanted


def stock_rows_ensure(pairs: Iterable[tuple[str, str]]) -> None:
    """Make the (product id, warehouse id) rows that do not exist yet, holding 0: one statement, taken before any
    product lock. The products must exist."""
    rows = [WarehouseStock(product_id=pk, warehouse_id=wh, quantity=0) for pk, wh in sorted(set(pairs))]
    if rows:
        WarehouseStock.objects.bulk_create(rows, ignore_conflicts=True)


def products_check(product_ids: Iterable[str]) -> dict[str, Product]:
    """The products (unlocked): unknown ones refused (400), one with variants refused (``ProductHasVariants``)."""
    wanted = set(product_ids)
    found: dict[str, Product] = {p.pk: p for p in Product.objects.annotate(
        has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk")))).filter(pk__in=wanted)}
    missing = sorted(wanted - set(found))
    if missing:
        raise ValidationFailed(f"Unknown product(s): {', '.join(missing)}.")
    first_parent = min((pk for pk, p in found.items() if getattr(p, "has_variants", False)), default=None)
    if first_parent is not None:
        raise ProductHasVariants(first_parent)
    return found


def _locking(products: list[str], warehouses: list[str] | None = None) -> QuerySet[WarehouseStock]:
    rows = WarehouseStock.objects.select_for_update(of=("self", "product"), no_key=True).select_related(
        "product", "warehouse",
    ).annotate(
        product_has_variants=Exists(Product.objects.filter(parent_id=OuterRef("product_id"))),
    ).filter(product_id__in=products)
    if warehouses is not None:
        rows = rows.filter(warehouse_id__in=warehouses)
    return rows.order_by("product_id", "warehouse_id")


# The lock's statement, compiled once per number of products (and warehouses).
# Each product and warehouse is made once, shared by its rows (a product has a row per warehouse).
_LOCK = CompiledQuery("inventory.stock_lock", _locking, shared_related=True, products=TextList())
_LOCK_IN = CompiledQuery("inventory.stock_lock_in", _locking, shared_related=True, products=TextList(),
                         warehouses=TextList())


def stock_lock(product_ids: Iterable[str], warehouse_ids: Iterable[str] | None = None) -> LockedStock:
    """Lock the products and their warehouse stock rows (only those of ``warehouse_ids``, if given) in the global
    order, in one statement, each row read with its warehouse. A product with variants is refused
    (``ProductHasVariants``). Products without a (matching) row are not in the result: the caller decides."""
    products = sorted(set(product_ids))
    rows = (_LOCK(products=products) if warehouse_ids is None
            else _LOCK_IN(products=products, warehouses=sorted(set(warehouse_ids))))
    locked = LockedStock(products={})
    for row in rows:
        locked.products.setdefault(row.product_id, row.product)  # the rows of a product share it
        locked.rows[(row.product_id, row.warehouse_id)] = row
    first_parent = min((pk for (pk, _), row in locked.rows.items() if getattr(row, "product_has_variants", False)),
                       default=None)
    if first_parent is not None:
        raise ProductHasVariants(first_parent)
    return locked


def stock_lock_placements(placements: Sequence[Placement]) -> LockedStock:
    """Make the rows these placements need, then lock them with their products (unknown products: 400): every
    warehouse row of each product, as a reservation locks them. Locking only some would start a product at a later
    warehouse row than a concurrent reservation does: each output row locks its warehouse row before its product,
    so two statements could then take one product's rows in opposite orders and deadlock."""
    products_check({p.product_id for p in placements})
    stock_rows_ensure((p.product_id, p.warehouse_id) for p in placements)
    return stock_lock({p.product_id for p in placements})


def stock_write(locked: LockedStock, changes: Sequence[Placement], *, kind: str, reference: str, reason: str,
                actor: Actor, companions: Callable[[list[StockMovement]], Sequence[Model]] | None = None,
                announce: Callable[[list[StockMovement]], None] | None = None,
                later: list[postgres.LaterWrite] | None = None) -> list[StockMovement]:
    """Apply ``changes`` (signed quantities, by product and warehouse; their rows locked) to the warehouse rows and
    to the products' sums, and write one ledger row each, in their order (``balance_after``: the product's stock
    after it), with the rows ``companions`` builds from the ledger rows in the same statement; ``announce`` publishes
    the change's own events before any ``stock.low``. The caller checked the results stay within bounds. With
    ``later``, the write is added to it, for the caller's next statement to carry (PostgreSQL), unless an event
    reads the rows it changes now (``announce``, a ``stock.low``)."""
    balances = {pk: product.stock_quantity for pk, product in locked.products.items()}
    movements = []
    for change in changes:
        balances[change.product_id] += change.quantity
        movements.append(StockMovement(
            product_id=change.product_id, warehouse_id=change.warehouse_id, kind=kind,
            quantity_delta=change.quantity, balance_after=balances[change.product_id], reference=reference,
            reason=reason, actor=actor, created_at=timezone.now(),
        ))
    product_deltas: dict[str, int] = defaultdict(int)
    row_deltas: dict[int, int] = defaultdict(int)
    for change in changes:
        product_deltas[change.product_id] += change.quantity
        row_deltas[locked.rows[(change.product_id, change.warehouse_id)].pk] += change.quantity
    adds: list[tuple[type[Model], str, dict[Any, int]]] = [
        (Product, "stock_quantity", dict(product_deltas)), (WarehouseStock, "quantity", dict(row_deltas))]
    kept = companions(movements) if companions is not None else ()
    levels = {pk: (locked.products[pk].stock_quantity, balances[pk]) for pk in product_deltas}
    if later is not None and announce is None and not events.low_stock_products(levels):
        write = postgres.add_to_rows_and_record_later(adds, records=movements, companions=kept)
        later.extend([write] if write is not None else [])
    else:
        postgres.add_to_rows_and_record(adds, records=movements, companions=kept)
    if announce is not None:
        announce(movements)
    events.publish_low_stock(levels)
    for change in changes:
        locked.rows[(change.product_id, change.warehouse_id)].quantity += change.quantity
    for pk, balance in balances.items():
        locked.products[pk].stock_quantity = balance
    return movements
