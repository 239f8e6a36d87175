"""The issue's invariants on real orders and their invoices, made through the services: random baskets of lines
and charges, in USD, JPY and BHD, with country and stacked region rates, prices exclusive and inclusive of tax,
both rounding modes. Every document adds up exactly, and the invoice shows what the order showed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Invoice
from billing.representations import invoice_representation
from sales import services
from sales.representations import order_representation
from synthesq.core.money import minor_unit
from taxes.models import TaxClass, TaxRate
from tests.factories import CustomerFactory, ProductFactory
from tests.taxes.helpers import assert_adds_up, rate, tax_settings

pytestmark = pytest.mark.django_db

CURRENCIES = ["USD", "JPY", "BHD"]
PERCENTS = ["0", "2", "5.5", "6.25", "7", "8.875", "19", "20", "22"]


def amount(currency: str) -> st.SearchStrategy[Decimal]:
    scale = minor_unit(currency)
    return st.integers(min_value=0, max_value=100_000 * 10**scale).map(lambda units: Decimal(units).scaleb(-scale))


@st.composite
def baskets(draw: Any) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    return {
        "currency": currency,
        "inclusive": draw(st.booleans()),
        "rounding": draw(st.sampled_from(["line", "document"])),
        "state": draw(st.sampled_from(["", "TX"])),
        "rates": draw(st.lists(st.tuples(st.sampled_from(["standard", "reduced"]), st.sampled_from(["", "TX"]),
                                         st.sampled_from(PERCENTS)), max_size=4, unique_by=lambda r: r[:2])),
        "lines": draw(st.lists(st.tuples(amount(currency), st.integers(1, 500), st.sampled_from(["standard",
                                                                                               "reduced"])),
                               min_size=1, max_size=6)),
        "charges": draw(st.lists(st.tuples(st.sampled_from(["shipping", "handling", "other"]), amount(currency),
                                           st.sampled_from(["standard", "reduced", "zero"])), max_size=3)),
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(basket=baskets())
def test_every_order_and_its_invoice_add_up(basket: dict[str, Any]) -> None:
    # given the basket's rates (in the US, a state's rates stacked on the country's) and settings
    TaxRate.objects.all().delete()  # the examples share the test's transaction
    TaxClass.objects.get_or_create(code="reduced", defaults={"name": "Reduced"})  # even when no rate names it
    tax_settings(prices_include_tax=basket["inclusive"], rounding=basket["rounding"])
    for tax_class, region, percent in basket["rates"]:
        rate(percent, country="US", region=region, tax_class=tax_class, name=f"{tax_class} {region or 'US'}",
             valid_from=date(2020, 1, 1))
    currency = basket["currency"]
    lines = [services.LineInput(product_id=ProductFactory(price=price, currency=currency, tax_class_id=tax_class,
                                                          stock=1000).pk, quantity=quantity)
             for price, quantity, tax_class in basket["lines"]]
    charges = [services.ChargeInput(kind=kind, amount=value, tax_class=tax_class)
               for kind, value, tax_class in basket["charges"]]
    address = {"line1": "1 Main St", "city": "Austin", "state": basket["state"], "postal_code": "78701",
               "country": "US"}
    # when the order is made and confirmed
    order = services.order_create(actor=None, customer_id=CustomerFactory().pk, currency=currency,
                                  line_items=lines, shipping_address=address, charges=charges)
    shown = order_representation(order)
    services.order_confirm(order_id=order.pk, actor=None)
    invoice = Invoice.objects.with_overdue().prefetch_related("lines").get(order_id=order.pk)
    # then both add up, and the invoice shows the order's figures
    assert_adds_up(shown)
    billed = invoice_representation(invoice)
    assert_adds_up(billed)
    for field in ("subtotal", "charges_total", "tax_total", "total", "taxes", "charges", "prices_include_tax",
                  "tax_rounding"):
        assert billed[field] == shown[field], field
    assert [line["gross_amount"] for line in billed["line_items"]] == [line["gross_amount"]
                                                                      for line in shown["line_items"]]
    if not basket["inclusive"]:  # prices as entered are the net
        entered = sum((price * quantity for price, quantity, _ in basket["lines"]), Decimal(0))
        assert Decimal(shown["subtotal"]) == entered
    else:  # prices as entered are the gross
        entered = sum((price * quantity for price, quantity, _ in basket["lines"]), Decimal(0)) + sum(
            (value for _, value, _ in basket["charges"]), Decimal(0))
        assert Decimal(shown["total"]) == entered
