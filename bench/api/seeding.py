"""The API benchmark's data: customers on a price list, products with plenty of stock (some in 3 warehouses),
draft orders of 3 lines with a shipping charge and a promotion code, taxed, and one token of the ``sales`` role;
fresh drafts for every confirm window, by bulk inserts.

``seed`` is the one set-up: a feature that the hot endpoints should pay for once it lands (taxes, a price list,
a promotion code, warehouses) adds a step to ``SETUP_STEPS`` that configures it (it gets the ``Seed`` and may
record in ``state.create_fields`` what the create body must carry, e.g. a promotion code), so every benchmark
and profile built on ``seed`` measures the product with it. The bulk drafts copy an order created by the service
from the create body (and rolled back), so they carry what creating one through the API would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
PRICE = Decimal("129.99")
LIST_PRICES = ((1, Decimal("124.99")), (2, Decimal("119.99")))  # the price list's breaks: (min quantity, unit price)
QUANTITY = 2  # per line of the create body and the drafts: the price list's second break
STOCK = 1_000_000_000  # per product: no confirm ever runs short
LINES = 3
WAREHOUSES = 3  # the multi-warehouse products' (confirm-3wh)
PROMOTION_CODE = "BENCH10"


@dataclass
class Seed:
    token: str
    user_id: int
    customer_ids: list[str]
    product_ids: list[str]
    read_ids: list[str]
    multi_warehouse_product_ids: list[str] = field(default_factory=list)  # stocked in 3 warehouses
    drafts_made: int = 0
    create_fields: dict[str, Any] = field(default_factory=dict)  # what set-up steps add to the create body


SHIPPING = {"kind": "shipping", "description": "Ground", "amount": "9.90", "tax_class": "standard"}


def configure_taxes(state: Seed) -> None:
    """Taxes on everything the bench sells to Austin, TX: its products' class (``standard``) taxed at a country
    rate and at the state's rate (a region's rates add to the country's, so every line and charge carries two),
    and a taxed shipping charge on every order created or drafted."""
    from datetime import date

    from taxes.models import TaxClass
    from taxes.services import tax_rate_create

    standard, _created = TaxClass.objects.get_or_create(code="standard", defaults={"name": "Standard rate"})
    for name, region, percent in (("US local (bench)", "", "2.0000"), ("Texas sales tax", "TX", "6.2500")):
        tax_rate_create(actor=None, tax_class=standard.code, country=ADDRESS["country"], region=region, name=name,
                        rate=Decimal(percent), valid_from=date(2020, 1, 1))
    state.create_fields["charges"] = [dict(SHIPPING)]


def configure_warehouses(state: Seed) -> None:
    """Two more warehouses beside the default, and 30 products stocked in all 3: each plentifully in one of them
    (in turn) and 1 unit in the other two, so allocation reads 3 stock rows per product and a draft of 3
    consecutive ones takes each line from another warehouse (none holds the whole order). The other products stay
    in the default warehouse only."""
    from inventory.models import Product
    from inventory.services import product_create, stock_adjust, warehouse_create, warehouse_default

    warehouses = [warehouse_default(), *(warehouse_create(actor=None, code=f"BENCH-{n}", name=f"Bench {n}")
                                         for n in range(2, WAREHOUSES + 1))]
    for i in range(30):
        home = i % WAREHOUSES
        product = product_create(actor=None, sku=f"BENCH-WH-{i:03d}", name=f"Bench product {i} (3 warehouses)",
                                 price=PRICE, currency="USD", stock_quantity=STOCK if home == 0 else 1)
        for n, warehouse in enumerate(warehouses[1:], start=1):
            stock_adjust(product=Product.objects.get(pk=product.pk), quantity_delta=STOCK if home == n else 1,
                         reason="bench", actor=None, warehouse=warehouse)
        state.multi_warehouse_product_ids.append(product.pk)


def configure_price_list(state: Seed) -> None:
    """A price list for every bench customer, its second break at the create body's quantity (the body sends no
    unit price, so its lines take the list's)."""
    from sales.models import Customer
    from sales.services import customer_update
    from sales.services.promotions import price_list_save

    price_list = price_list_save(actor=None, data={"name": "Bench list", "currency": "USD", "entries": [
        {"product_id": product_id, "min_quantity": quantity, "unit_price": price}
        for product_id in (*state.product_ids, *state.multi_warehouse_product_ids)
        for quantity, price in LIST_PRICES]})
    for customer in Customer.objects.filter(pk__in=state.customer_ids):
        customer_update(customer=customer, actor=None, data={"price_list_id": price_list.pk})


def configure_promotion_code(state: Seed) -> None:
    """A 10 % code without a usage limit (the bench cannot use it up), in the create body and on every draft:
    each confirm counts a use (the code's row locked)."""
    from sales.services.promotions import promotion_code_create

    promotion_code_create(actor=None, data={"code": PROMOTION_CODE, "description": "Bench",
                                            "discount_type": "percent", "discount_value": Decimal("10")})
    state.create_fields["promotion_code"] = PROMOTION_CODE


# The features configured once for the whole run, in order, after the base data (see the module's docstring).
SETUP_STEPS: list[Callable[[Seed], None]] = [configure_taxes, configure_warehouses, configure_price_list,
                                             configure_promotion_code]


def seed(*, read_orders: int) -> Seed:
    from inventory.services import product_create
    from sales.services import customer_create
    from synthesq.core.services import api_token_create, api_user_provision

    user, _created = api_user_provision(username="bench-api", groups=["sales"])
    _token, plain = api_token_create(user=user, name="bench.api")
    customer_ids = [
        customer_create(actor=None, name=f"Bench Customer {i}", email=f"bench{i}@example.com",
                        default_shipping_address=ADDRESS).pk
        for i in range(20)
    ]
    product_ids = [
        product_create(actor=None, sku=f"BENCH-{i:03d}", name=f"Bench product {i}", price=PRICE, currency="USD",
                       stock_quantity=STOCK).pk
        for i in range(60)
    ]
    state = Seed(token=plain, user_id=user.pk, customer_ids=customer_ids, product_ids=product_ids, read_ids=[])
    for step in SETUP_STEPS:
        step(state)
    state.read_ids = make_drafts(state, read_orders)
    return state


# What a bulk draft does not copy from the template: its identity, customer, status, product and timestamps.
_ORDER_OWN = {"id", "order_number", "customer", "created_by", "status", "created_at", "updated_at"}
_LINE_OWN = {"id", "order", "position", "product", "sku", "name"}


def _template(state: Seed) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fields of an order created from the create body by the service (priced from the price list,
    discounted by the code, taxed, with the charges), then rolled back: what every bulk draft and its lines
    copy."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from sales.models import Order, OrderLine
    from sales.pricing import ChargeInput
    from sales.services import LineInput, order_create

    body = create_body(state)
    actor = get_user_model().objects.get(pk=state.user_id)
    with transaction.atomic():
        order = order_create(
            actor=actor, customer_id=body["customer_id"], currency=body["currency"],
            line_items=[LineInput(item["product_id"], item["quantity"]) for item in body["line_items"]],
            shipping_address=body["shipping_address"], promotion_code=body.get("promotion_code"),
            charges=[ChargeInput(kind=c["kind"], amount=Decimal(c["amount"]), description=c["description"],
                                 tax_class=c["tax_class"]) for c in body.get("charges", [])])
        fields = {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields if f.name not in _ORDER_OWN}
        lines = [{f.attname: getattr(line, f.attname) for f in OrderLine._meta.concrete_fields
                  if f.name not in _LINE_OWN} for line in order.lines.order_by("position")]
        transaction.set_rollback(True)
    return fields, lines


def make_drafts(state: Seed, count: int, *, batch: int = 2000, multi_warehouse: bool = False) -> list[str]:
    """``count`` draft orders of 3 lines (distinct products, spread over all of them so confirms seldom wait for
    each other's product locks; ``multi_warehouse``: the products stocked in 3 warehouses, each line from another)
    copying an order created from the create body (``_template``: price list, code, taxes, charges), numbered from
    the order sequence, each with its ``created`` history row. Bulk inserts: the benchmark's preparation, not what
    it measures."""
    from django.db import transaction

    from inventory.models import Product
    from sales.models import Order, OrderEvent, OrderLine
    from sales.services.drafts import ORDER_NUMBER_SEQUENCE
    from synthesq.core.sequences import sequence_reserve_block

    ids: list[str] = []
    products = state.multi_warehouse_product_ids if multi_warehouse else state.product_ids
    names = {pk: (sku, name) for pk, sku, name in Product.objects.filter(pk__in=products).values_list(
        "pk", "sku", "name")}
    template, template_lines = _template(state)
    for start in range(0, count, batch):
        size = min(batch, count - start)
        with transaction.atomic():
            first = sequence_reserve_block(ORDER_NUMBER_SEQUENCE, size)
            orders = Order.objects.bulk_create([
                Order(order_number=f"SO-{first + i:08d}", customer_id=state.customer_ids[(start + i) % len(
                    state.customer_ids)], created_by_id=state.user_id, **template)
                for i in range(size)
            ])
            OrderLine.objects.bulk_create([
                OrderLine(order=order, position=k + 1, product_id=products[index], sku=names[products[index]][0],
                          name=names[products[index]][1], **template_lines[k])
                for n, order in enumerate(orders, start=state.drafts_made + start)
                for k in range(LINES)
                for index in [(n * LINES + k) % len(products)]
            ])
            OrderEvent.objects.bulk_create([
                OrderEvent(order=order, kind=OrderEvent.Kind.CREATED, actor_id=state.user_id, to_status="draft",
                           data={"lines": LINES, "total": str(template["total"])})
                for order in orders
            ])
        ids.extend(order.pk for order in orders)
    state.drafts_made += count
    return ids


def create_body(state: Seed) -> dict[str, Any]:
    """The guide's body for creating an order, with 3 lines at the price list's quantity break (no unit price
    sent), and what the set-up steps add (the shipping charge, the promotion code)."""
    return {
        "customer_id": state.customer_ids[0],
        "currency": "USD",
        "line_items": [{"product_id": state.product_ids[k], "quantity": QUANTITY} for k in range(LINES)],
        "shipping_address": ADDRESS,
        **state.create_fields,
    }


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
