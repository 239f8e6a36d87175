"""Inventory's renderings (the API's output and the data of inventory's events) are exactly what the serializers'
declared fields give, key for key and type for type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory import services
from inventory.api.serializers import ProductSerializer, StockMovementSerializer
from inventory.representations import product_representation, stock_movement_representation
from inventory.selectors import product_list, stock_movement_list
from tests.factories import ProductFactory, UserFactory
from tests.representation_parity import assert_renders_as_declared

pytestmark = pytest.mark.django_db


def test_products_and_their_movements_render_as_declared() -> None:
    # given a parent with a variant, an inactive product in yen and a product adjusted by a person
    parent = ProductFactory()
    ProductFactory(parent=parent, stock=3)
    ProductFactory(inactive=True, jpy=True, description="Noren")
    adjusted = ProductFactory(stock=5, price=Decimal("0"))
    movement = services.stock_adjust(product=adjusted, quantity_delta=-2, reason="cycle count",
                                     actor=UserFactory(roles=["warehouse"]))
    # then every one renders as its declared fields
    for product in product_list():
        assert_renders_as_declared(ProductSerializer, product_representation(product))
        assert product_representation(product) == ProductSerializer(product).data
        for row in stock_movement_list(product_id=product.pk):
            assert_renders_as_declared(StockMovementSerializer, stock_movement_representation(row))
            assert stock_movement_representation(row) == StockMovementSerializer(row).data
    assert stock_movement_representation(movement) == StockMovementSerializer(movement).data  # as the service made it
