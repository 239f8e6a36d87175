from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from inventory.models import Product, StockMovement


class ProductFactory(factory.django.DjangoModelFactory):
    """A sellable product. ``ProductFactory(stock=10)`` gives it stock with its ``initial`` ledger row, so the
    ledger invariant holds for factory-made products too."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("129.99")
    currency = "USD"
    is_active = True

    class Params:
        inactive = factory.Trait(is_active=False)
        jpy = factory.Trait(currency="JPY", price=Decimal("1300"))

    @factory.post_generation
    def stock(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            StockMovement.objects.create(
                product=self, kind=StockMovement.Kind.INITIAL, quantity_delta=extracted,
                balance_after=extracted, reason="initial stock",
            )
            Product.objects.filter(pk=self.pk).update(stock_quantity=extracted)
            self.stock_quantity = extracted


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockMovement

    product = factory.SubFactory(ProductFactory)
    kind = StockMovement.Kind.ADJUSTMENT
    quantity_delta = 1
    balance_after = 1
    reason = "test"
