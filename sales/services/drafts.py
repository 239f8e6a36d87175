"""Draft orders: creating them and editing their lines and shipping address. Prices are captured when a
line is written; the order number comes from a locked counter in the creating transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from integrations.events import publishes_events
from inventory.models import Product
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import AMOUNT_MAX_EXCLUSIVE, quantize, scale_error
from synthesq.core.sequences import sequence_next

from .. import events, selectors
from ..exceptions import CurrencyMismatch, OrderNotEditable
from ..history import OrderHistory
from ..models import Customer, Order, OrderEvent, OrderLine, OrderStatus, set_lines, with_lines

ORDER_NUMBER_SEQUENCE = "order_number"


@dataclass(frozen=True)
class LineInput:
    product_id: str
    quantity: int
    unit_price: Decimal | None = None


def _line_errors(index: int, line: LineInput, product: Product | None, currency: str) -> list[dict[str, str]]:
    where = f"line_items[{index}]"
    if product is None:
        return [field_error(f"{where}.product_id", f"Unknown product {line.product_id!r}.", "not_found")]
    errors = []
    if not product.is_active:
        errors.append(field_error(f"{where}.product_id", f"Product {product.pk} is inactive.", "inactive"))
    if getattr(product, "has_variants", False):
        errors.append(field_error(f"{where}.product_id",
                                  f"Product {product.pk} has variants; order one of its variants.", "has_variants"))
    if line.quantity < 1:
        errors.append(field_error(f"{where}.quantity", "Must be a positive whole number.", "min_value"))
    if line.unit_price is not None:
        scale = scale_error(line.unit_price, currency)
        if line.unit_price < 0:
            errors.append(field_error(f"{where}.unit_price", "Must not be negative.", "min_value"))
        elif scale:
            errors.append(field_error(f"{where}.unit_price", scale))
    return errors


def _catalogue() -> QuerySet[Product]:
    return Product.objects.annotate(has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk"))))


def _refuse_empty(line_items: Sequence[LineInput]) -> None:
    if not line_items:
        raise ValidationFailed("An order needs at least one line item.",
                               errors=[field_error("line_items", "At least one line item is required.", "empty")])


def _build_lines(*, currency: str, line_items: Sequence[LineInput],
                 products: dict[str, Product] | None = None) -> list[OrderLine]:
    """Validate the lines against the catalogue (``products``: read already) and price them (unsaved, without
    order)."""
    _refuse_empty(line_items)
    if products is None:
        products = _catalogue().in_bulk([line.product_id for line in line_items])
    errors: list[dict[str, str]] = []
    mismatched: list[dict[str, Any]] = []
    for index, line in enumerate(line_items):
        product = products.get(line.product_id)
        errors.extend(_line_errors(index, line, product, currency))
        if product is not None and line.unit_price is None and product.currency != currency:
            mismatched.append({"line": index, "product_id": product.pk, "product_currency": product.currency})
    if errors:
        raise ValidationFailed(errors=errors)
    if mismatched:
        raise CurrencyMismatch(order_currency=currency, lines=mismatched)
    lines = []
    for position, line in enumerate(line_items, start=1):
        product = products[line.product_id]
        unit_price = quantize(line.unit_price if line.unit_price is not None else product.price, currency)
        lines.append(OrderLine(
            position=position, product=product, sku=product.sku, name=product.name, quantity=line.quantity,
            unit_price=unit_price, line_total=quantize(unit_price * line.quantity, currency),
        ))
    _refuse_totals_too_large(lines)
    return lines


def _refuse_totals_too_large(lines: Sequence[OrderLine]) -> None:
    """Amounts are stored with 14 whole digits: a total beyond that is refused, never a database error."""
    too_large = [field_error(f"line_items[{index}].quantity", "The line total is too large.", "max_value")
                 for index, line in enumerate(lines) if line.line_total >= AMOUNT_MAX_EXCLUSIVE]
    if not too_large and sum(line.line_total for line in lines) >= AMOUNT_MAX_EXCLUSIVE:
        too_large = [field_error("line_items", "The order total is too large.", "max_value")]
    if too_large:
        raise ValidationFailed(errors=too_large)


def order_lines_validate(*, currency: str, line_items: Sequence[LineInput]) -> None:
    """Check lines as ``order_create`` would (400/422 domain errors), writing nothing: for forms."""
    _build_lines(currency=currency, line_items=line_items)


def _set_totals(order: Order, lines: Sequence[OrderLine]) -> None:
    order.subtotal = quantize(sum((line.line_total for line in lines), Decimal(0)), order.currency)
    order.total = order.subtotal


def _customer_and_products(
    customer_id: str, line_items: Sequence[LineInput]
) -> tuple[bool, dict[str, str] | None, dict[str, Product]]:
    """Whether the customer exists, its default shipping address, and the ordered products: one statement
    (each product row carries the customer's two values; with no known product, the customer is read alone)."""
    customer = Customer.objects.filter(pk=customer_id)
    products: dict[str, Product] = {}
    if line_items:
        products.update(_catalogue().annotate(
            customer_found=Exists(customer),
            customer_address=Subquery(customer.values("default_shipping_address")[:1]),
        ).in_bulk([line.product_id for line in line_items]))
    for product in products.values():
        return bool(getattr(product, "customer_found", False)), getattr(product, "customer_address", None), products
    address = customer.values_list("default_shipping_address", flat=True).first()
    return address is not None or customer.exists(), address, products


@publishes_events
def order_create(
    *,
    actor: Actor,
    customer_id: str,
    currency: str,
    line_items: Sequence[LineInput],
    shipping_address: dict[str, str] | None = None,
) -> Order:
    """Create a draft. Prices are captured now: ``unit_price`` as sent, else the product's price (which must
    be in the order's currency). The shipping address defaults to the customer's."""
    require_permission(actor, "sales.add_order", "Your role may not create orders.")
    found, default_address, products = _customer_and_products(customer_id, line_items)
    if not found:
        raise ValidationFailed(f"Unknown customer {customer_id!r}.",
                               errors=[field_error("customer_id", f"Unknown customer {customer_id!r}.", "not_found")])
    lines = _build_lines(currency=currency, line_items=line_items, products=products)
    address = shipping_address or default_address
    if not address:
        raise ValidationFailed("A shipping address is required (the customer has no default).",
                               errors=[field_error("shipping_address", "This field is required.", "required")])
    order = Order(
        order_number=f"SO-{sequence_next(ORDER_NUMBER_SEQUENCE):08d}",
        customer_id=customer_id, currency=currency, shipping_address=address, created_by=actor,
    )
    _set_totals(order, lines)
    order.save(force_insert=True)
    for line in lines:
        line.order = order
    set_lines(order, OrderLine.objects.bulk_create(lines))  # the response and the event render them
    OrderEvent.record(order, kind=OrderEvent.Kind.CREATED, actor=actor, to_status=order.status,
                      data={OrderHistory.LINES: len(lines), OrderHistory.TOTAL: str(order.total)})
    events.publish_order("order.created", order)
    return order


@publishes_events
def order_update_draft(
    *,
    order_id: str,
    actor: Actor,
    line_items: Sequence[LineInput] | None = None,
    shipping_address: dict[str, str] | None = None,
) -> Order:
    """Replace the lines and/or the shipping address of a draft (409 in any other status)."""
    require_permission(actor, "sales.change_order", "Your role may not change orders.")
    order = selectors.order_get_for_update(order_id)
    if order.status != OrderStatus.DRAFT:
        raise OrderNotEditable(current_status=order.status)
    changed: dict[str, Any] = {}
    before = events.order_data(order)
    if line_items is not None:
        lines = _build_lines(currency=order.currency, line_items=line_items)
        order.lines.all().delete()
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        with_lines(order, reload=True)
        _set_totals(order, lines)
        changed.update({OrderHistory.LINES: len(lines), OrderHistory.TOTAL: str(order.total)})
    if shipping_address is not None:
        order.shipping_address = shipping_address
        changed[OrderHistory.SHIPPING_ADDRESS] = shipping_address
    if changed:
        order.save(update_fields=["subtotal", "total", "shipping_address", "updated_at"])
        OrderEvent.record(order, kind=OrderEvent.Kind.UPDATED, actor=actor, from_status=order.status,
                          to_status=order.status, data=changed)
        events.publish_order_updated(order, before)
    return order
