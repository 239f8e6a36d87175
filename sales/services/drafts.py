"""Draft orders: creating them and editing their lines and shipping address. Prices are captured when a
line is written; the order number comes from a locked counter in the creating transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from integrations.events import publishes_events
from inventory.models import Product
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.money import AMOUNT_MAX_EXCLUSIVE, quantize, scale_error
from synthesq.core.sequences import sequence_next

from .. import events, selectors
from ..discounts import DiscountInput
from ..exceptions import CurrencyMismatch, OrderNotEditable
from ..history import OrderHistory
from ..models import Customer, Order, OrderEvent, OrderLine, OrderStatus, set_lines, with_lines
from ..selectors import promotions as promotion_reads
from .pricing import DISCOUNT_FIELDS, ORDER_DISCOUNT_FIELDS, CodeRead, ListPrices, code_for_draft, price_draft

ORDER_NUMBER_SEQUENCE = "order_number"


@dataclass(frozen=True)
class LineInput:
    product_id: str
    quantity: int
    unit_price: Decimal | None = None
    discount: DiscountInput | None = None


UNCHANGED: Any = object()  # a PATCH that does not name the field


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
    errors.extend(discount_errors(f"{where}.discount", line.discount, currency))
    return errors


def discount_errors(where: str, discount: DiscountInput | None, currency: str) -> list[dict[str, str]]:
    if discount is None:
        return []
    if discount.value < 0 or (discount.type == "percent" and discount.value > 100):
        return [field_error(f"{where}.value", "A percent between 0 and 100, or an amount not negative.",
                            "out_of_range")]
    scale = scale_error(discount.value, currency) if discount.type == "amount" else None
    return [field_error(f"{where}.value", scale)] if scale else []


def _catalogue() -> QuerySet[Product]:
    return Product.objects.annotate(has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk"))))


def _refuse_empty(line_items: Sequence[LineInput]) -> None:
    if not line_items:
        raise ValidationFailed("An order needs at least one line item.",
                               errors=[field_error("line_items", "At least one line item is required.", "empty")])


def _build_lines(*, currency: str, line_items: Sequence[LineInput],
                 products: dict[str, Product] | None = None, list_prices: ListPrices | None = None) -> list[OrderLine]:
    """Validate the lines against the catalogue (``products``: read already) and price them (unsaved, without
    order): ``unit_price`` as sent, else the customer's price list (``list_prices``), else the product's price."""
    _refuse_empty(line_items)
    if products is None:
        products = _catalogue().in_bulk([line.product_id for line in line_items])
    list_prices = list_prices or ListPrices({})
    errors: list[dict[str, str]] = []
    mismatched: list[dict[str, Any]] = []
    for index, line in enumerate(line_items):
        product = products.get(line.product_id)
        errors.extend(_line_errors(index, line, product, currency))
        if (product is not None and line.unit_price is None and product.currency != currency
                and list_prices.price(product.pk, line.quantity)[0] is None):
            mismatched.append({"line": index, "product_id": product.pk, "product_currency": product.currency})
    if errors:
        raise ValidationFailed(errors=errors)
    if mismatched:
        raise CurrencyMismatch(order_currency=currency, lines=mismatched)
    lines = [_line(position, line, products[line.product_id], list_prices, currency)
             for position, line in enumerate(line_items, start=1)]
    _refuse_totals_too_large(lines)
    return lines


def _line(position: int, line: LineInput, product: Product, list_prices: ListPrices, currency: str) -> OrderLine:
    listed, price_list_id = list_prices.price(product.pk, line.quantity)
    price = line.unit_price if line.unit_price is not None else listed if listed is not None else product.price
    unit_price = quantize(price, currency)
    discount = line.discount
    return OrderLine(
        position=position, product=product, sku=product.sku, name=product.name, quantity=line.quantity,
        unit_price=unit_price, line_total=quantize(unit_price * line.quantity, currency),
        list_price=product.price if product.currency == currency else None,
        price_list_id=price_list_id if line.unit_price is None else None,
        discount={"type": discount.type, "value": str(discount.value), "reason": discount.reason} if discount else None,
    )


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
class DraftRead:
    """What creating a draft reads in one statement: whether the customer exists, its default shipping address
    and price list, the ordered products, and the promotion code named (with this customer's uses of it)."""

    found: bool
    default_address: dict[str, str] | None
    price_list_id: str | None
    products: dict[str, Product]
    code: CodeRead | None


def _customer_and_products(customer_id: str, line_items: Sequence[LineInput], code_text: str | None) -> DraftRead:
    """One statement: each product row carries the customer's values and the code's (with no known product,
    the customer is read alone, the code on its own)."""
    customer = Customer.objects.filter(pk=customer_id)
    products: dict[str, Product] = {}
    if line_items:
        annotations = promotion_reads.code_annotations(code_text, customer_id) if code_text else {}
        products.update(_catalogue().annotate(
            customer_found=Exists(customer),
            customer_address=Subquery(customer.values("default_shipping_address")[:1]),
            customer_price_list=Subquery(customer.values("price_list_id")[:1]),
            **annotations,
        ).in_bulk([line.product_id for line in line_items]))
    for product in products.values():
        code = promotion_reads.code_from_annotations(list(products.values())) if code_text else None
        return DraftRead(bool(getattr(product, "customer_found", False)), getattr(product, "customer_address", None),
                         getattr(product, "customer_price_list", None), products, code)
    row = customer.values_list("default_shipping_address", "price_list_id").first()
    return DraftRead(row is not None, row[0] if row else None, row[1] if row else None, products, None)


@publishes_events
def order_create(
    *,
    actor: Actor,
    customer_id: str,
    currency: str,
    line_items: Sequence[LineInput],
    shipping_address: dict[str, str] | None = None,
    discount: DiscountInput | None = None,
    promotion_code: str | None = None,
) -> Order:
    """Create a draft. Prices are captured now: ``unit_price`` as sent, else the customer's price list, else the
    product's price (which must be in the order's currency). The shipping address defaults to the customer's.
    Discounts (the lines', the order's, the promotion code's) are decided now (``pricing``)."""
    require_permission(actor, "sales.add_order", "Your role may not create orders.")
    read = _customer_and_products(customer_id, line_items, promotion_code)
    if not read.found:
        raise ValidationFailed(f"Unknown customer {customer_id!r}.",
                               errors=[field_error("customer_id", f"Unknown customer {customer_id!r}.", "not_found")])
    _refuse_bad_discount(discount, currency)
    list_prices = ListPrices.read(read.price_list_id, currency=currency, on=timezone.localdate(),
                                  items=[(line.product_id, line.quantity) for line in line_items])
    lines = _build_lines(currency=currency, line_items=line_items, products=read.products, list_prices=list_prices)
    address = shipping_address or read.default_address
    if not address:
        raise ValidationFailed("A shipping address is required (the customer has no default).",
                               errors=[field_error("shipping_address", "This field is required.", "required")])
    code, code_products = code_for_draft(promotion_code, customer_id=customer_id, currency=currency, read=read.code)
    order = Order(customer_id=customer_id, currency=currency, shipping_address=address, created_by=actor)
    price_draft(order, lines, actor=actor, discount=discount, code=code, code_products=code_products)
    order.order_number = f"SO-{sequence_next(ORDER_NUMBER_SEQUENCE):08d}"
    order.save(force_insert=True)
    for line in lines:
        line.order = order
    set_lines(order, OrderLine.objects.bulk_create(lines))  # the response and the event render them
    OrderEvent.record(order, kind=OrderEvent.Kind.CREATED, actor=actor, to_status=order.status,
                      data={OrderHistory.LINES: len(lines), OrderHistory.TOTAL: str(order.total)})
    events.publish_order("order.created", order)
    return order


def _refuse_bad_discount(discount: DiscountInput | None, currency: str) -> None:
    errors = discount_errors("discount", discount, currency)
    if errors:
        raise ValidationFailed(errors=errors)


@publishes_events
def order_update_draft(
    *,
    order_id: str,
    actor: Actor,
    line_items: Sequence[LineInput] | None = None,
    shipping_address: dict[str, str] | None = None,
    discount: DiscountInput | None = UNCHANGED,
    promotion_code: str | None = UNCHANGED,
) -> Order:
    """Replace the lines, the shipping address, the order's discount and/or its promotion code of a draft (409 in
    any other status). ``discount``/``promotion_code`` None removes it. Lines keep the prices of the draft's
    creation date (its customer's price list as it is now, on that date)."""
    require_permission(actor, "sales.change_order", "Your role may not change orders.")
    order = selectors.order_get_for_update(order_id)
    if order.status != OrderStatus.DRAFT:
        raise OrderNotEditable(current_status=order.status)
    changed: dict[str, Any] = {}
    before = events.order_data(order)
    repricing = line_items is not None or discount is not UNCHANGED or promotion_code is not UNCHANGED
    if repricing:
        lines = _reprice(order, actor=actor, line_items=line_items, discount=discount, promotion_code=promotion_code)
        changed.update({OrderHistory.LINES: len(lines), OrderHistory.TOTAL: str(order.total)})
    if shipping_address is not None:
        order.shipping_address = shipping_address
        changed[OrderHistory.SHIPPING_ADDRESS] = shipping_address
    if changed:
        order.save(update_fields=["shipping_address", "updated_at", *ORDER_DISCOUNT_FIELDS])
        OrderEvent.record(order, kind=OrderEvent.Kind.UPDATED, actor=actor, from_status=order.status,
                          to_status=order.status, data=changed)
        events.publish_order_updated(order, before)
    return order


def _current_discount(order: Order) -> DiscountInput | None:
    if not order.discount_type:
        return None
    return DiscountInput(order.discount_type, order.discount_value, order.discount_reason)  # type: ignore[arg-type]


def _reprice(order: Order, *, actor: Actor, line_items: Sequence[LineInput] | None, discount: DiscountInput | None,
             promotion_code: str | None) -> list[OrderLine]:
    """Price the draft again with what the PATCH changes (new lines are written; kept ones updated)."""
    discount = _current_discount(order) if discount is UNCHANGED else discount
    _refuse_bad_discount(discount, order.currency)
    if promotion_code is UNCHANGED:
        promotion_code = order.promotion_code.code if order.promotion_code_id else None  # type: ignore[union-attr]
    code, code_products = code_for_draft(promotion_code, customer_id=order.customer_id, currency=order.currency)
    if line_items is None:
        lines = list(with_lines(order).lines.all())
        price_draft(order, lines, actor=actor, discount=discount, code=code, code_products=code_products)
        OrderLine.objects.bulk_update(lines, DISCOUNT_FIELDS)
        return lines
    price_list_id = Customer.objects.filter(pk=order.customer_id).values_list("price_list_id", flat=True).first()
    list_prices = ListPrices.read(price_list_id, currency=order.currency,
                                  on=timezone.localdate(order.created_at),
                                  items=[(line.product_id, line.quantity) for line in line_items])
    lines = _build_lines(currency=order.currency, line_items=line_items, list_prices=list_prices)
    price_draft(order, lines, actor=actor, discount=discount, code=code, code_products=code_products)
    order.lines.all().delete()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    with_lines(order, reload=True)
    return lines
