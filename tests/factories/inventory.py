from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.db.models import F

from inventory.models import Product, StockMovement, Warehouse, WarehouseStock
from inventory.services import warehouse_default


class ProductFactory(factory.django.DjangoModelFactory):
    """A sellable product. ``ProductFactory(stock=10)`` gives it stock in the default warehouse with its ``initial``
    ledger row, so the ledger invariants hold for factory-made products too."""

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
            warehouse = warehouse_default()
            WarehouseStock.objects.create(product=self, warehouse=warehouse, quantity=extracted)
            StockMovement.objects.create(
                product=self, warehouse=warehouse, kind=StockMovement.Kind.INITIAL, quantity_delta=extracted,
                balance_after=extracted, reason="initial stock",
            )
            Product.objects.filter(pk=self.pk).update(stock_quantity=extracted)
            self.stock_quantity = extracted


class StockMovementFactory(factory.django.DjangoModelFactory):
    """A ledger row that also moves the product's stock, so the ledger still sums to ``stock_quantity``
    (``balance_after`` is computed). For behaviour, prefer the services; this is for building history."""

    class Meta:
        model = StockMovement

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.LazyFunction(warehouse_default)
    kind = StockMovement.Kind.ADJUSTMENT
    quantity_delta = 1
    reason = "test"

    @classmethod
    def _create(cls, model_class: type[StockMovement], *args: Any, **kwargs: Any) -> StockMovement:
        product = kwargs["product"]
        Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") + kwargs["quantity_delta"])
        row, _ = WarehouseStock.objects.get_or_create(product=product, warehouse=kwargs["warehouse"])
        WarehouseStock.objects.filter(pk=row.pk).update(quantity=F("quantity") + kwargs["quantity_delta"])
        product.refresh_from_db(fields=["stock_quantity"])
        kwargs.setdefault("balance_after", product.stock_quantity)
        return super()._create(model_class, *args, **kwargs)


class WarehouseFactory(factory.django.DjangoModelFactory):
    """An active warehouse (not the default one)."""

    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH-{n:03d}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    priority = 100
    is_active = True
