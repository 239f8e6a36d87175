"""Writes for products and stock. Every stock change locks the product rows (in primary-key order, so
concurrent callers cannot deadlock), checks availability, changes ``stock_quantity`` with an ``F()``
expression and writes its ledger row, all in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from integrations.events import publishes_events
from synthesq.core import postgres
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, refuse_unknown_fields
from synthesq.core.money import scale_error
from taxes.models import STANDARD, TaxClass

from . import events
from .exceptions import InsufficientStock, ProductHasStock, ProductHasVariants, ShortLine
from .models import Product, StockMovement

# The stock column's capacity (a 32-bit integer on PostgreSQL).
STOCK_MAX = 2_147_483_647

_UPDATABLE_FIELDS = ("sku", "name", "description", "price", "currency", "parent", "is_active", "tax_class")


def _validate_price(price: Decimal, currency: str) -> None:
    if price < 0:
        raise ValidationFailed("price must not be negative.",
                               errors=[{"field": "price", "message": "Must not be negative.", "code": "min_value"}])
    message = scale_error(price, currency)
    if message:
        raise ValidationFailed(message, errors=[{"field": "price", "message": message, "code": "invalid"}])


def validate_parent(product: Product | None, parent: Product | None) -> None:
    """A variant's parent is a top-level product holding no stock; a product with variants has no parent."""
    if parent is None:
        return

    def refuse(message: str) -> None:
        raise ValidationFailed(message, errors=[{"field": "parent_id", "message": message, "code": "invalid"}])

    if product is not None and parent.pk == product.pk:
        refuse("A product cannot be its own parent.")
    if parent.parent_id is not None:
        refuse(f"{parent.pk} is itself a variant; variants have one level only.")
    if product is not None and Product.objects.filter(parent_id=product.pk).exists():
        refuse(f"{product.pk} has variants of its own, so it cannot become a variant.")
    if parent.stock_quantity != 0:
        raise ProductHasStock(parent.pk)


def _lock_products(product_ids: Iterable[str]) -> dict[str, Product]:
    """Lock the rows in primary-key order (one fixed order for every caller: no deadlocks).

    FOR NO KEY UPDATE: we never change a product's key, and it does not conflict with the KEY SHARE lock that
    inserting an order line takes on its product, so creating orders never waits for (or deadlocks with) a
    reservation."""
    return {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=set(product_ids)).order_by("pk")
    }


@publishes_events
def product_create(
    *,
    actor: Actor,
    sku: str,
    name: str,
    price: Decimal,
    currency: str,
    description: str = "",
    stock_quantity: int = 0,
    parent: Product | None = None,
    is_active: bool = True,
    tax_class: TaxClass | None = None,
) -> Product:
    require_permission(actor, "inventory.add_product", "Your role may not add products.")
    _validate_price(price, currency)
    if stock_quantity < 0:
        raise ValidationFailed("stock_quantity must not be negative.", errors=[
            {"field": "stock_quantity", "message": "Must not be negative.", "code": "min_value"}])
    if parent is not None:
        parent = _lock_products([parent.pk])[parent.pk]
        validate_parent(None, parent)
    product = Product.objects.create(
        sku=sku, name=name, description=description, price=price, currency=currency,
        parent=parent, is_active=is_active, stock_quantity=stock_quantity, tax_class_id=tax_class.pk if tax_class
        else STANDARD,
    )
    if stock_quantity:
        StockMovement.objects.create(
            product=product, kind=StockMovement.Kind.INITIAL, quantity_delta=stock_quantity,
            balance_after=stock_quantity, reason="initial stock", actor=actor,
        )
    events.publish_product_created(product.pk)
    return product


@publishes_events
def product_update(*, product: Product, actor: Actor, data: dict[str, Any]) -> Product:
    """Change catalogue fields. Stock is not among them: it changes only through stock movements."""
    require_permission(actor, "inventory.change_product", "Your role may not change products.")
    refuse_unknown_fields(data, _UPDATABLE_FIELDS)
    new_parent = data.get("parent")
    # Lock the product and its new parent together, in primary-key order: crossing updates cannot deadlock.
    rows = _lock_products([product.pk, *([new_parent.pk] if new_parent is not None else [])])
    locked = rows[product.pk]
    before = events.product_data(product.pk)
    for field, value in data.items():
        setattr(locked, field, value)
    _validate_price(locked.price, locked.currency)
    if new_parent is not None:
        locked.parent = rows[new_parent.pk]
        validate_parent(locked, rows[new_parent.pk])
    locked.save(update_fields=[*data.keys(), "updated_at"])
    events.publish_product_updated(locked.pk, before)
    return locked


@publishes_events
def stock_adjust(*, product: Product, quantity_delta: int, reason: str, actor: Actor) -> StockMovement:
    """A manual correction (cycle count, damage, receipt of goods). Refused if stock would go below zero."""
    require_permission(actor, "inventory.adjust_stock", "Your role may not adjust stock.")
    if quantity_delta == 0:
        raise ValidationFailed("quantity_delta must not be zero.", errors=[
            {"field": "quantity_delta", "message": "Must not be zero.", "code": "invalid"}])
    if not reason.strip():
        raise ValidationFailed("A reason is required.", errors=[
            {"field": "reason", "message": "This field may not be blank.", "code": "blank"}])
    locked = _lock_products([product.pk])[product.pk]
    _refuse_products_with_variants([locked.pk])
    if locked.stock_quantity + quantity_delta < 0:
        raise InsufficientStock(
            [ShortLine(product_id=locked.pk, requested=-quantity_delta, available=locked.stock_quantity,
                       sku=locked.sku, name=locked.name)]
        )
    if locked.stock_quantity + quantity_delta > STOCK_MAX:
        raise ValidationFailed(f"Stock cannot exceed {STOCK_MAX}.", errors=[
            {"field": "quantity_delta", "message": f"Stock would exceed {STOCK_MAX}.", "code": "max_value"}])
    Product.objects.filter(pk=locked.pk).update(stock_quantity=F("stock_quantity") + quantity_delta)
    movement = StockMovement.objects.create(
        product=locked, kind=StockMovement.Kind.ADJUSTMENT, quantity_delta=quantity_delta,
        balance_after=locked.stock_quantity + quantity_delta, reason=reason.strip(), actor=actor,
    )
    events.publish_stock_adjusted(movement)
    events.publish_low_stock({locked.pk: (locked.stock_quantity, movement.balance_after)})
    return movement


def _apply_movements(
    locked: dict[str, Product], deltas: dict[str, int], *, kind: str, reference: str, reason: str, actor: Actor
) -> list[StockMovement]:
    """Change the locked products' stock and write their ledger rows, whatever the number of lines: on
    PostgreSQL one statement, elsewhere two (``synthesq.core.postgres.add_and_record``). Balances are computed
    from the locked rows."""
    movements = [
        StockMovement(
            product_id=pk, kind=kind, quantity_delta=delta, balance_after=locked[pk].stock_quantity + delta,
            reference=reference, reason=reason, actor=actor, created_at=timezone.now(),
        )
        for pk, delta in sorted(deltas.items())
    ]
    postgres.add_and_record(Product, field="stock_quantity", deltas=deltas, records=movements,
                            record_key="product")
    events.publish_low_stock({pk: (locked[pk].stock_quantity, locked[pk].stock_quantity + delta)
                              for pk, delta in deltas.items()})
    return movements


def _quantities_by_product(items: Iterable[tuple[str, int]]) -> Counter[str]:
    wanted: Counter[str] = Counter()
    for product_id, quantity in items:
        if quantity <= 0:
            raise ValidationFailed("Quantities must be positive.")
        wanted[product_id] += quantity
    return wanted


def _lock_existing(product_ids: Iterable[str]) -> dict[str, Product]:
    """Lock the products (``_lock_products``), each read with whether it has variants (a product with variants
    holds no stock: ``ProductHasVariants``), in one statement."""
    wanted = set(product_ids)
    locked: dict[str, Product] = {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",), no_key=True)
        .annotate(has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk"))))
        .filter(pk__in=wanted).order_by("pk")
    }
    missing = sorted(wanted - set(locked))
    if missing:
        raise ValidationFailed(f"Unknown product(s): {', '.join(missing)}.")
    first_parent = min((pk for pk, p in locked.items() if getattr(p, "has_variants", False)), default=None)
    if first_parent is not None:
        raise ProductHasVariants(first_parent)
    return locked


def _refuse_products_with_variants(product_ids: Iterable[str]) -> None:
    with_variants = Product.objects.filter(parent_id__in=list(product_ids)).values_list("parent_id", flat=True)
    first_parent = min(with_variants, default=None)
    if first_parent is not None:
        raise ProductHasVariants(first_parent)


@publishes_events
def stock_reserve(
    *, items: Iterable[tuple[str, int]], reference: str, actor: Actor, reason: str = ""
) -> list[StockMovement]:
    """Reserve stock for ``items`` of (product_id, quantity). All or nothing: if any product is short,
    ``InsufficientStock`` lists every short line and nothing is reserved."""
    wanted = _quantities_by_product(items)
    if not wanted:
        return []
    locked = _lock_existing(wanted)
    short = [
        ShortLine(product_id=pk, requested=qty, available=locked[pk].stock_quantity, sku=locked[pk].sku,
                  name=locked[pk].name)
        for pk, qty in sorted(wanted.items())
        if locked[pk].stock_quantity < qty
    ]
    if short:
        raise InsufficientStock(short)
    return _apply_movements(
        locked, {pk: -qty for pk, qty in wanted.items()},
        kind=StockMovement.Kind.RESERVATION, reference=reference, reason=reason, actor=actor,
    )


@publishes_events
def stock_release(
    *, items: Iterable[tuple[str, int]], reference: str, actor: Actor, reason: str = ""
) -> list[StockMovement]:
    """Give back reserved stock (e.g. on cancellation of a confirmed order)."""
    wanted = _quantities_by_product(items)
    if not wanted:
        return []
    locked = _lock_existing(wanted)
    return _apply_movements(
        locked, dict(wanted), kind=StockMovement.Kind.RELEASE, reference=reference, reason=reason, actor=actor,
    )


@publishes_events
def stock_return(
    *, items: Iterable[tuple[str, int]], reference: str, actor: Actor, reason: str = ""
) -> list[StockMovement]:
    """Put goods a customer sent back into stock (a received return), one ``return`` ledger row per product."""
    wanted = _quantities_by_product(items)
    if not wanted:
        return []
    locked = _lock_existing(wanted)
    _refuse_products_with_variants(wanted)
    over = sorted(pk for pk, qty in wanted.items() if locked[pk].stock_quantity + qty > STOCK_MAX)
    if over:
        raise ValidationFailed(f"Stock cannot exceed {STOCK_MAX}: {', '.join(over)}.")
    return _apply_movements(
        locked, dict(wanted), kind=StockMovement.Kind.RETURN, reference=reference, reason=reason, actor=actor,
    )
