"""Writes for products' catalogue fields (and a new product's initial stock, in the default warehouse)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, refuse_unknown_fields
from synthesq.core.money import scale_error

from .. import events
from ..exceptions import ProductHasStock
from ..models import Product, StockMovement, WarehouseStock
from .stock_rows import warehouse_default

_UPDATABLE_FIELDS = ("sku", "name", "description", "price", "currency", "parent", "is_active")


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
        parent=parent, is_active=is_active, stock_quantity=stock_quantity,
    )
    if stock_quantity:
        warehouse = warehouse_default()
        WarehouseStock.objects.create(product=product, warehouse=warehouse, quantity=stock_quantity)
        StockMovement.objects.create(
            product=product, warehouse=warehouse, kind=StockMovement.Kind.INITIAL, quantity_delta=stock_quantity,
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
