"""Taxed orders for the billing tests, made through the services: German rates (USt 19 % standard, 7 % reduced),
products of either class, an order shipped to Berlin with optional charges, walked to a status; returns of its
lines walked to credited; the breakdowns of stored documents summed per rate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from billing.models import CreditNote, Invoice
from inventory.models import Product
from sales import services
from sales.models import Order, Return
from taxes.models import TaxClass, TaxRate
from tests.factories import CustomerFactory, ProductFactory
from tests.factories.sales import _PATH
from tests.taxes.helpers import BERLIN, german_rates, tax_settings

__all__ = ["BERLIN", "german_rates", "per_rate", "product", "return_credited", "tax_settings", "taxed_order"]


def ensure_german_rates() -> None:
    """The German rates, once per test (hypothesis runs many examples in one test's database)."""
    if not TaxRate.objects.filter(country="DE").exists():
        german_rates()


def product(price: str, *, tax_class: str = "standard", currency: str = "USD", stock: int = 100_000) -> Product:
    TaxClass.objects.get_or_create(code=tax_class, defaults={"name": tax_class.title()})
    return ProductFactory(price=Decimal(price), currency=currency, tax_class_id=tax_class, stock=stock)


def taxed_order(lines: Sequence[tuple[Product, int]], *, status: str = "delivered", currency: str = "USD",
                charges: Sequence[dict[str, Any]] = (), customer: Any = None,
                address: dict[str, str] = BERLIN) -> Order:
    """An order of ``lines`` shipped to ``address`` with ``charges`` ({kind, amount, tax_class, description}),
    created and walked to ``status`` by the services, as the factories do."""
    order = services.order_create(
        actor=None, customer_id=(customer or CustomerFactory()).pk, currency=currency, shipping_address=address,
        line_items=[services.LineInput(product_id=p.pk, quantity=q) for p, q in lines],
        charges=[services.ChargeInput(kind=c["kind"], amount=Decimal(c["amount"]),
                                      description=c.get("description", ""),
                                      tax_class=c.get("tax_class", "standard")) for c in charges])
    for service_name, extra in _PATH[status]:
        getattr(services, service_name)(order_id=order.pk, actor=None, **extra)
    order.refresh_from_db()
    return order


def return_credited(order: Order, lines: Iterable[tuple[str, int]], *, actor: Any = None) -> Return:
    """A return of (product_id, quantity) lines, requested, received and credited through the services."""
    return_ = services.return_request(order_id=order.pk, actor=actor, reason="returned",
                                      lines=[services.ReturnLineInput(product_id=p, quantity=q) for p, q in lines])
    services.return_receive(return_id=return_.pk, actor=actor)
    services.return_credit(return_id=return_.pk, actor=actor)
    return_.refresh_from_db()
    return return_


def per_rate(rows: Iterable[dict[str, Any]], *, key: str = "tax_amount") -> dict[tuple[str, str], Decimal]:
    """Stored breakdown rows (or an item's taxes) summed per (name, rate)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[(row["name"], row["rate"])] += Decimal(row[key])
    return dict(sums)


def credited_per_rate(invoice: Invoice) -> dict[tuple[str, str], Decimal]:
    """The tax the invoice's credit notes credited, per rate."""
    rows = [row for note in CreditNote.objects.filter(invoice=invoice) for row in note.taxes]
    return {rate: tax for rate, tax in per_rate(rows).items() if rate != ("", "0.0000")}
