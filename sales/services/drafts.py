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
from taxes.models import TaxRounding, TaxSettings

from .. import events, selectors
from ..exceptions import CurrencyMismatch, OrderNotEditable
from ..history import OrderHistory
from ..models import Customer, Order, OrderEvent, OrderLine, OrderStatus, set_lines, with_lines
from ..pricing import ChargeInput, charges_of, charges_validate, order_price

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
            tax_class=str(product.tax_class_id),
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


@dataclass(frozen=True)
class _DraftContext:
    """What creating a draft reads first: the customer (found, default address, exemption), the tax settings and
    the ordered products."""

    found: bool
    address: dict[str, str] | None
    exempt_reason: str | None
    prices_include_tax: bool
    rounding: str
    products: dict[str, Product]


def _customer_and_products(customer_id: str, line_items: Sequence[LineInput]) -> _DraftContext:
    """Whether the customer exists, its default shipping address and exemption, the tax settings and the ordered
    products: one statement (each product row carries the customer's and the settings' values; with no known
    product, the customer is read alone and nothing is priced)."""
    customer = Customer.objects.filter(pk=customer_id)
    tax_settings = TaxSettings.objects.filter(pk=1)
    products: dict[str, Product] = {}
    if line_items:
        products.update(_catalogue().annotate(
            customer_found=Exists(customer),
            customer_address=Subquery(customer.values("default_shipping_address")[:1]),
            customer_exempt=Subquery(customer.values("tax_exempt")[:1]),
            customer_exempt_reason=Subquery(customer.values("tax_exempt_reason")[:1]),
            prices_include_tax=Subquery(tax_settings.values("prices_include_tax")[:1]),
            tax_rounding=Subquery(tax_settings.values("rounding")[:1]),
        ).in_bulk([line.product_id for line in line_items]))
    for product in products.values():
        values = vars(product)
        return _DraftContext(
            found=bool(values.get("customer_found")), address=values.get("customer_address"),
            exempt_reason=values.get("customer_exempt_reason") if values.get("customer_exempt") else None,
            prices_include_tax=bool(values.get("prices_include_tax")),
            rounding=values.get("tax_rounding") or TaxRounding.LINE, products=products)
    address = customer.values_list("default_shipping_address", flat=True).first()
    return _DraftContext(found=address is not None or customer.exists(), address=address, exempt_reason=None,
                         prices_include_tax=False, rounding=TaxRounding.LINE, products=products)


@publishes_events
def order_create(
    *,
    actor: Actor,
    customer_id: str,
    currency: str,
    line_items: Sequence[LineInput],
    shipping_address: dict[str, str] | None = None,
    charges: Sequence[ChargeInput] = (),
) -> Order:
    """Create a draft. Prices are captured now: ``unit_price`` as sent, else the product's price (which must
    be in the order's currency). The shipping address defaults to the customer's. Lines and charges are taxed
    with the rates valid today (``sales.pricing``), under the tax settings of now, which the order keeps."""
    require_permission(actor, "sales.add_order", "Your role may not create orders.")
    context = _customer_and_products(customer_id, line_items)
    if not context.found:
        raise ValidationFailed(f"Unknown customer {customer_id!r}.",
                               errors=[field_error("customer_id", f"Unknown customer {customer_id!r}.", "not_found")])
    lines = _build_lines(currency=currency, line_items=line_items, products=context.products)
    charges_validate(charges, currency)
    address = shipping_address or context.address
    if not address:
        raise ValidationFailed("A shipping address is required (the customer has no default).",
                               errors=[field_error("shipping_address", "This field is required.", "required")])
    order = Order(customer_id=customer_id, currency=currency, shipping_address=address, created_by=actor,
                  prices_include_tax=context.prices_include_tax, tax_rounding=context.rounding)
    order_price(order, lines, charges, exempt_reason=context.exempt_reason)
    order.order_number = f"SO-{sequence_next(ORDER_NUMBER_SEQUENCE):08d}"
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
    charges: Sequence[ChargeInput] | None = None,
) -> Order:
    """Replace the lines, the charges and/or the shipping address of a draft (409 in any other status), and price
    it again with the rates of its creation date and the tax settings it was created under."""
    require_permission(actor, "sales.change_order", "Your role may not change orders.")
    order = selectors.order_get_for_update(order_id)
    if order.status != OrderStatus.DRAFT:
        raise OrderNotEditable(current_status=order.status)
    changed: dict[str, Any] = {}
    before = events.order_data(order)
    new_lines = None if line_items is None else _build_lines(currency=order.currency, line_items=line_items)
    if charges is not None:
        charges_validate(charges, order.currency)
        changed[OrderHistory.CHARGES] = len(charges)
    if shipping_address is not None:
        order.shipping_address = shipping_address
        changed[OrderHistory.SHIPPING_ADDRESS] = shipping_address
    if new_lines is not None:
        changed[OrderHistory.LINES] = len(new_lines)
    if changed:
        _reprice(order, new_lines, charges)
        changed[OrderHistory.TOTAL] = str(order.total)
        order.save(update_fields=[*_PRICED_FIELDS, "shipping_address", "updated_at"])
        OrderEvent.record(order, kind=OrderEvent.Kind.UPDATED, actor=actor, from_status=order.status,
                          to_status=order.status, data=changed)
        events.publish_order_updated(order, before)
    return order


_PRICED_FIELDS = ("subtotal", "charges_total", "tax_total", "total", "charges", "taxes", "tax_exempt_reason")
_LINE_PRICED_FIELDS = ("tax_rate", "net_amount", "tax_amount", "gross_amount", "taxes")


def _reprice(order: Order, new_lines: list[OrderLine] | None, charges: Sequence[ChargeInput] | None) -> None:
    """Price the draft again (the customer's exemption as it is now) and write its lines: the new ones in place
    of the old, or the old ones with their new figures."""
    lines = new_lines if new_lines is not None else list(with_lines(order).lines.all())
    exempt, reason = (Customer.objects.filter(pk=order.customer_id).values_list("tax_exempt", "tax_exempt_reason")
                      .first() or (False, ""))
    exempt_reason = reason if exempt else None
    order_price(order, lines, charges_of(order) if charges is None else charges, exempt_reason=exempt_reason)
    if new_lines is None:
        OrderLine.objects.bulk_update(lines, _LINE_PRICED_FIELDS)
        return
    order.lines.all().delete()
    for line in new_lines:
        line.order = order
    OrderLine.objects.bulk_create(new_lines)
    with_lines(order, reload=True)
