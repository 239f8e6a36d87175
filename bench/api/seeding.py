"""The API benchmark's data: customers, products with plenty of stock, draft orders of 3 lines and a shipping
charge, taxed, and one token of the ``sales`` role; fresh drafts for every confirm window, by bulk inserts.

``seed`` is the one set-up: a feature that the hot endpoints should pay for once it lands (taxes, a price list,
a promotion code, warehouses) adds a step to ``SETUP_STEPS`` that configures it (it gets the ``Seed`` and may
record in ``state.create_fields`` what the create body must carry, e.g. a promotion code), so every benchmark
and profile built on ``seed`` measures the product with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
PRICE = Decimal("129.99")
STOCK = 1_000_000_000  # per product: no confirm ever runs short
LINES = 3


@dataclass
class Seed:
    token: str
    user_id: int
    customer_ids: list[str]
    product_ids: list[str]
    read_ids: list[str]
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


# The features configured once for the whole run, in order, after the base data (see the module's docstring).
SETUP_STEPS: list[Callable[[Seed], None]] = [configure_taxes]


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


def _priced_template(state: Seed) -> tuple[Any, list[Any]]:
    """A draft and its lines priced in memory as creating it through the API would (the charges the create body
    carries, today's rates, the tax settings); every bulk draft copies its figures, line by line."""
    from django.utils import timezone

    from sales.models import Order, OrderLine
    from sales.pricing import ChargeInput, order_price
    from taxes.models import TaxSettings

    settings = TaxSettings.objects.filter(pk=1).first()
    order = Order(currency="USD", shipping_address=ADDRESS, created_at=timezone.now(),
                  prices_include_tax=bool(settings and settings.prices_include_tax),
                  tax_rounding=settings.rounding if settings else "line")
    lines = [OrderLine(position=k + 1, quantity=2, unit_price=PRICE, line_total=PRICE * 2, tax_class="standard")
             for k in range(LINES)]
    charges = [ChargeInput(kind=c["kind"], amount=Decimal(c["amount"]), description=c.get("description", ""),
                           tax_class=c.get("tax_class", "standard")) for c in state.create_fields.get("charges", [])]
    order_price(order, lines, charges, exempt_reason=None)
    return order, lines


def make_drafts(state: Seed, count: int, *, batch: int = 2000) -> list[str]:
    """``count`` draft orders of 3 lines (distinct products, spread over all of them so confirms seldom wait for
    each other's product locks) with the create body's charges, priced and taxed as the API prices them,
    numbered from the order sequence, each with its ``created`` history row. Bulk inserts: the benchmark's
    preparation, not what it measures."""
    from django.db import transaction

    from sales.models import Order, OrderEvent, OrderLine
    from sales.services.drafts import ORDER_NUMBER_SEQUENCE
    from synthesq.core.sequences import sequence_reserve_block

    ids: list[str] = []
    products = state.product_ids
    template, template_lines = _priced_template(state)
    priced = {name: getattr(template, name) for name in (
        "subtotal", "charges_total", "tax_total", "total", "charges", "taxes", "prices_include_tax", "tax_rounding")}
    for start in range(0, count, batch):
        size = min(batch, count - start)
        with transaction.atomic():
            first = sequence_reserve_block(ORDER_NUMBER_SEQUENCE, size)
            orders = Order.objects.bulk_create([
                Order(order_number=f"SO-{first + i:08d}", currency="USD",
                      customer_id=state.customer_ids[(start + i) % len(state.customer_ids)],
                      shipping_address=ADDRESS, created_by_id=state.user_id, **priced)
                for i in range(size)
            ])
            OrderLine.objects.bulk_create([
                OrderLine(order=order, position=k + 1, product_id=products[index], sku=f"BENCH-{index:03d}",
                          name=f"Bench product {index}", quantity=2, unit_price=PRICE, line_total=PRICE * 2,
                          tax_class="standard", tax_rate=template_lines[k].tax_rate,
                          net_amount=template_lines[k].net_amount, tax_amount=template_lines[k].tax_amount,
                          gross_amount=template_lines[k].gross_amount, taxes=template_lines[k].taxes)
                for n, order in enumerate(orders, start=state.drafts_made + start)
                for k in range(LINES)
                for index in [(n * LINES + k) % len(products)]
            ])
            OrderEvent.objects.bulk_create([
                OrderEvent(order=order, kind=OrderEvent.Kind.CREATED, actor_id=state.user_id, to_status="draft",
                           data={"lines": LINES, "total": str(template.total)})
                for order in orders
            ])
        ids.extend(order.pk for order in orders)
    state.drafts_made += count
    return ids


def create_body(state: Seed) -> dict[str, Any]:
    """The guide's body for creating an order, with 3 lines (and what the set-up steps add: the shipping
    charge)."""
    return {
        "customer_id": state.customer_ids[0],
        "currency": "USD",
        "line_items": [{"product_id": state.product_ids[k], "quantity": 2, "unit_price": 129.99}
                       for k in range(LINES)],
        "shipping_address": ADDRESS,
        **state.create_fields,
    }


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
