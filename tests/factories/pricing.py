"""Promotion codes and price lists (issue 23)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from sales.pricing_models import PriceList, PriceListEntry, PromotionCode


class PromotionCodeFactory(factory.django.DjangoModelFactory):
    """``PromotionCodeFactory()``: 10 % off, no limit, active, valid now. ``products=[...]`` limits it."""

    class Meta:
        model = PromotionCode
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"SAVE{n:04d}")
    discount_type = "percent"
    discount_value = Decimal("10")
    currency = ""

    @factory.post_generation
    def products(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.products.set(extracted)


class PriceListFactory(factory.django.DjangoModelFactory):
    """``PriceListFactory(entries=[(product, min_quantity, "9.00"), ...])``: a list in USD, active, no dates."""

    class Meta:
        model = PriceList
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Key account {n}")
    currency = "USD"

    @factory.post_generation
    def entries(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            PriceListEntry.objects.bulk_create([
                PriceListEntry(price_list=self, product=product, min_quantity=minimum, unit_price=Decimal(price))
                for product, minimum, price in extracted
            ])
