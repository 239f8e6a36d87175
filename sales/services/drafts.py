"""Draft orders: creating them and editing their lines and shipping address. Prices are captured when a
line is written; the order number comes from a locked counter in the creating transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Exists, JSONField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from integrations.events import publishes_events
from inventory.models import Product
from synthesq.core import postgres
from synthesq.core.actors import Actor, require_permission
from synthesq.core.compiled import CompiledQuery, Date, Slot, Text, TextList
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.json_fields import fields_from_json, fields_json
from synthesq.core.money import AMOUNT_MAX_EXCLUSIVE, quantize, scale_error
from taxes.models import TaxRounding, TaxSettings
from taxes.selectors import ClassRates, class_rates_from_json, class_rates_json, rate_place

from .. import events, selectors
from ..discounts import DiscountInput
from ..exceptions import CurrencyMismatch, OrderNotEditable
from ..history import OrderHistory
from ..models import Customer, Order, OrderEvent, OrderLine, OrderStatus, set_lines, with_lines
from ..pricing import ChargeInput, charges_of, charges_validate
from ..selectors import promotions as promotion_reads
from .discounting import DISCOUNT_FIELDS, ORDER_DISCOUNT_FIELDS, CodeRead, ListPrices, code_for_draft, price_draft

ORDER_NUMBER_SEQUENCE = "order_number"
ORDER_NUMBER = postgres.Number(field="order_number", counter=ORDER_NUMBER_SEQUENCE, prefix="SO-", width=8)


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
    if not 0 <= discount.value < AMOUNT_MAX_EXCLUSIVE or (discount.type == "percent" and discount.value > 100):
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
        tax_class=str(product.tax_class_id),
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
    """What creating a draft reads in one statement: whether the customer exists, its default shipping address,
    exemption and price list, the tax settings, the ordered products with their price-list entries, the promotion
    code named (with this customer's uses of it) and the rates of the products' tax classes at the ship-to
    address (``rates``: by class; None when not read: SQLite, or a stored address not as ``rate_place`` has it)."""

    found: bool
    default_address: dict[str, str] | None
    price_list_id: str | None
    products: dict[str, Product]
    code: CodeRead | None
    exempt_reason: str | None = None
    prices_include_tax: bool = False
    rounding: str = TaxRounding.LINE
    entries: dict[str, list[list[Any]]] | None = None  # each product's price-list entries (None: not read)
    rates: dict[str, ClassRates] | None = None


_CUSTOMER_FIELDS = ("default_shipping_address", "price_list_id", "tax_exempt", "tax_exempt_reason")
_TAX_FIELDS = ("prices_include_tax", "rounding")


def _draft_read_query(customer_id: str, product_ids: list[str], currency: str, day: date, code: str | None = None,
                      country: str | None = None, region: str | None = None) -> QuerySet[Product]:
    """The ordered products, each row carrying the customer's values, the tax settings and (with ``code``, a
    code's key) the code's, each read as one JSON object, its entries in the customer's price list (valid on
    ``day``, in ``currency``) and its tax class's rates on ``day`` at ``country`` and ``region`` (the address
    sent; None: the customer's default address as stored), each as one JSON array: one statement."""
    customer = Customer.objects.filter(pk=customer_id)
    tax_settings = TaxSettings.objects.filter(pk=1).values(tax=fields_json(TaxSettings, _TAX_FIELDS))
    annotations = promotion_reads.code_annotations(code, customer_id) if code is not None else {}
    place: tuple[Any, ...] = (country, region) if country is not None else tuple(
        Subquery(customer.values(part=KT(f"default_shipping_address__{part}"))[:1]) for part in ("country", "state"))
    return _catalogue().annotate(
        draft_customer=Subquery(customer.values(customer=fields_json(Customer, _CUSTOMER_FIELDS))[:1],
                                output_field=JSONField()),
        draft_tax=Subquery(tax_settings[:1], output_field=JSONField()),
        draft_entries=promotion_reads.price_list_entries_json(Subquery(customer.values("price_list_id")[:1]),
                                                              currency=currency, on=day),
        draft_rates=class_rates_json(OuterRef("tax_class_id"), country=place[0], region=place[1], day=day),
        **annotations,
    ).filter(pk__in=product_ids).order_by()


def _draft_read(name: str, **slots: Slot) -> CompiledQuery[Product]:
    return CompiledQuery(name, _draft_read_query, customer_id=Text(), product_ids=TextList(), currency=Text(),
                         day=Date(), **slots)  # type: ignore[arg-type]


# Compiled once per number of distinct products (``synthesq.core.compiled``): building and compiling its
# subqueries was half of a create's CPU. By whether a code is named and an address sent.
_DRAFT_READS = {
    (False, False): _draft_read("sales.draft_read"),
    (True, False): _draft_read("sales.draft_read_with_code", code=Text()),
    (False, True): _draft_read("sales.draft_read_to_address", country=Text(), region=Text()),
    (True, True): _draft_read("sales.draft_read_with_code_to_address", code=Text(), country=Text(), region=Text()),
}


def _customer_and_products(customer_id: str, line_items: Sequence[LineInput], code_text: str | None, *,
                           currency: str, day: date, address: dict[str, str] | None) -> DraftRead:
    """One statement: each product row carries the customer's values, its price-list entries, the code's and its
    class's rates at ``address`` (the ship-to sent; None: the customer's default) (with no known product, the
    customer is read alone, the code on its own)."""
    products: dict[str, Product] = {}
    if line_items:
        slots: dict[str, Any] = {"customer_id": customer_id, "currency": currency, "day": day,
                                 "product_ids": list(dict.fromkeys(line.product_id for line in line_items))}
        if code_text:
            slots["code"] = promotion_reads.code_key(code_text)
        if address:
            country, regions = rate_place(str(address.get("country") or ""), str(address.get("state") or ""))
            slots.update(country=country, region=regions[-1])
        rows = _DRAFT_READS[(bool(code_text), bool(address))](**slots)
        products.update((product.pk, product) for product in rows)
    for product in products.values():
        code = promotion_reads.code_from_annotations(list(products.values())) if code_text else None
        values = vars(product)
        customer = fields_from_json(Customer, _CUSTOMER_FIELDS, values["draft_customer"] or {})
        tax = fields_from_json(TaxSettings, _TAX_FIELDS, values["draft_tax"] or {})
        return DraftRead(
            values["draft_customer"] is not None, customer["default_shipping_address"], customer["price_list_id"],
            products, code,
            exempt_reason=customer["tax_exempt_reason"] if customer["tax_exempt"] else None,
            prices_include_tax=bool(tax["prices_include_tax"]),
            rounding=tax["rounding"] or TaxRounding.LINE,
            entries={pk: vars(row)["draft_entries"] for pk, row in products.items()},
            rates=_rates_read(products) if address or _as_rated(customer["default_shipping_address"]) else None)
    row = Customer.objects.filter(pk=customer_id).values_list("default_shipping_address", "price_list_id").first()
    return DraftRead(row is not None, row[0] if row else None, row[1] if row else None, products, None)


def _as_rated(stored: dict[str, Any] | None) -> bool:
    """Whether the rates read at an address as stored (its ``country`` and ``state`` as they are) are those of
    ``rate_place`` (the parts already trimmed and in upper case, as ``address_clean`` stores a country)."""
    country, state = (stored or {}).get("country"), (stored or {}).get("state")
    return isinstance(country, str) and rate_place(country, str(state or "")) == (
        country, ["", state] if state else [""])


def _rates_read(products: dict[str, Product]) -> dict[str, ClassRates] | None:
    """The products' classes' rates as read with them (None where the database did not read them)."""
    rates: dict[str, ClassRates] = {}
    for product in products.values():
        class_rates = class_rates_from_json(vars(product)["draft_rates"])
        if class_rates is None:
            return None
        rates[str(product.tax_class_id)] = class_rates
    return rates


@publishes_events
def order_create(
    *,
    actor: Actor,
    customer_id: str,
    currency: str,
    line_items: Sequence[LineInput],
    shipping_address: dict[str, str] | None = None,
    charges: Sequence[ChargeInput] = (),
    discount: DiscountInput | None = None,
    promotion_code: str | None = None,
) -> Order:
    """Create a draft. Prices are captured now: ``unit_price`` as sent, else the customer's price list, else the
    product's price (which must be in the order's currency). The shipping address defaults to the customer's.
    Discounts (the lines', the order's, the promotion code's) are decided now, then lines and charges are taxed
    with the rates valid today (``sales.pricing``), under the tax settings of now, which the order keeps."""
    require_permission(actor, "sales.add_order", "Your role may not create orders.")
    now = timezone.now()
    read = _customer_and_products(customer_id, line_items, promotion_code, currency=currency,
                                  day=timezone.localdate(now), address=shipping_address)
    if not read.found:
        raise ValidationFailed(f"Unknown customer {customer_id!r}.",
                               errors=[field_error("customer_id", f"Unknown customer {customer_id!r}.", "not_found")])
    _refuse_bad_discount(discount, currency)
    items = [(line.product_id, line.quantity) for line in line_items]
    list_prices = (ListPrices(promotion_reads.prices_from_entries(read.price_list_id, items, read.entries))
                   if read.entries is not None else
                   ListPrices.read(read.price_list_id, currency=currency, on=timezone.localdate(now), items=items))
    lines = _build_lines(currency=currency, line_items=line_items, products=read.products, list_prices=list_prices)
    charges_validate(charges, currency)
    address = shipping_address or read.default_address
    if not address:
        raise ValidationFailed("A shipping address is required (the customer has no default).",
                               errors=[field_error("shipping_address", "This field is required.", "required")])
    code, code_products = code_for_draft(promotion_code, customer_id=customer_id, currency=currency, read=read.code)
    order = Order(customer_id=customer_id, currency=currency, shipping_address=address, created_by=actor,
                  prices_include_tax=read.prices_include_tax, tax_rounding=read.rounding, created_at=now)
    price_draft(order, lines, charges, actor=actor, discount=discount, code=code, code_products=code_products,
                exempt_reason=read.exempt_reason, rates=read.rates)
    set_lines(order, lines)  # the response and the event render them
    created = OrderEvent.build(order, kind=OrderEvent.Kind.CREATED, actor=actor, to_status=order.status,
                               data={OrderHistory.LINES: len(lines), OrderHistory.TOTAL: str(order.total)})
    # the order numbered from its counter, with its lines and its history row: one statement on PostgreSQL; its
    # event rendered before it (the counter stays locked from that statement to the commit)
    events.publish_order_created(
        order, lambda: postgres.insert_together([[order], lines, [created]], number=ORDER_NUMBER))
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
    charges: Sequence[ChargeInput] | None = None,
    discount: DiscountInput | None = UNCHANGED,
    promotion_code: str | None = UNCHANGED,
) -> Order:
    """Replace the lines, the charges, the shipping address, the order's discount and/or its promotion code of a
    draft (409 in any other status); ``discount``/``promotion_code`` None removes it. The draft is priced again:
    lines with its customer's price list on its creation date, the rates of its creation date and the tax
    settings it was created under."""
    require_permission(actor, "sales.change_order", "Your role may not change orders.")
    order = selectors.order_get_for_update(order_id)
    if order.status != OrderStatus.DRAFT:
        raise OrderNotEditable(current_status=order.status)
    changed: dict[str, Any] = {}
    before = events.order_data(order)
    if charges is not None:
        charges_validate(charges, order.currency)
        changed[OrderHistory.CHARGES] = len(charges)
    if shipping_address is not None:
        order.shipping_address = shipping_address
        changed[OrderHistory.SHIPPING_ADDRESS] = shipping_address
    if line_items is not None or discount is not UNCHANGED or promotion_code is not UNCHANGED or changed:
        lines = _reprice(order, actor=actor, line_items=line_items, charges=charges, discount=discount,
                         promotion_code=promotion_code)
        if line_items is not None:
            changed[OrderHistory.LINES] = len(lines)
        changed[OrderHistory.TOTAL] = str(order.total)
        order.save(update_fields=[*_PRICED_FIELDS, *ORDER_DISCOUNT_FIELDS, "shipping_address", "updated_at"])
        OrderEvent.record(order, kind=OrderEvent.Kind.UPDATED, actor=actor, from_status=order.status,
                          to_status=order.status, data=changed)
        events.publish_order_updated(order, before)
    return order


def _current_discount(order: Order) -> DiscountInput | None:
    if not order.discount_type:
        return None
    return DiscountInput(order.discount_type, order.discount_value, order.discount_reason)  # type: ignore[arg-type]


_PRICED_FIELDS = ("subtotal", "charges_total", "tax_total", "total", "charges", "taxes", "tax_exempt_reason")
_LINE_PRICED_FIELDS = ("tax_rate", "net_amount", "tax_amount", "gross_amount", "taxes", *DISCOUNT_FIELDS)


def _reprice(order: Order, *, actor: Actor, line_items: Sequence[LineInput] | None,
             charges: Sequence[ChargeInput] | None, discount: DiscountInput | None,
             promotion_code: str | None) -> list[OrderLine]:
    """Price the draft again with what the PATCH changes (new lines are written; kept ones updated), the
    customer's exemption and price list as they are now."""
    discount = _current_discount(order) if discount is UNCHANGED else discount
    _refuse_bad_discount(discount, order.currency)
    price_list_id, exempt, reason = (Customer.objects.filter(pk=order.customer_id)
                                     .values_list("price_list_id", "tax_exempt", "tax_exempt_reason").first()
                                     or (None, False, ""))
    lines = list(with_lines(order).lines.all()) if line_items is None else _build_lines(
        currency=order.currency, line_items=line_items,
        list_prices=ListPrices.read(price_list_id, currency=order.currency, on=timezone.localdate(order.created_at),
                                    items=[(line.product_id, line.quantity) for line in line_items]))
    if promotion_code is UNCHANGED:  # kept as it is: its limits and window are checked again at confirmation
        code = order.promotion_code
        code_products = frozenset(code.products.values_list("pk", flat=True)) if code else frozenset()
    else:
        code, code_products = code_for_draft(promotion_code, customer_id=order.customer_id, currency=order.currency)
    price_draft(order, lines, charges_of(order) if charges is None else charges, actor=actor, discount=discount,
                code=code, code_products=code_products, exempt_reason=reason if exempt else None)
    if line_items is None:
        OrderLine.objects.bulk_update(lines, _LINE_PRICED_FIELDS)
        return lines
    order.lines.all().delete()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    with_lines(order, reload=True)
    return lines
