"""A write sent with the caller's next statement (``synthesq.core.postgres.LaterWrite``, issue 25): a confirmation's
stock reservation goes with the statement that writes the order on PostgreSQL, unless an event reads the stock it
changes first (``stock.low``); on its own, or elsewhere, it is written at once. Either way the stock, the ledger and
the allocations are what the reservation wrote before."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import Event
from inventory.models import Product, StockMovement, WarehouseStock
from sales import services
from sales.allocation_models import OrderLineAllocation
from synthesq.core.postgres import add_to_rows_and_record_later, write_now
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _reserved(order: Any, product: Product, quantity: int) -> None:
    product.refresh_from_db()
    assert product.stock_quantity == 10 - quantity
    assert WarehouseStock.objects.get(product=product).quantity == 10 - quantity
    assert StockMovement.objects.get(reference=order.pk, product=product).quantity_delta == -quantity
    assert OrderLineAllocation.objects.get(line__order=order, line__product=product).quantity == quantity


def test_a_confirmation_reserves_its_stock_in_the_statement_that_writes_the_order() -> None:
    # given a draft of two products
    products = [ProductFactory(stock=10), ProductFactory(stock=10)]
    order = OrderFactory(lines=[(products[0], 2), (products[1], 3)])
    # when it is confirmed
    with CaptureQueriesContext(connection) as queries:
        services.order_confirm(order_id=order.pk, actor=None)
    # then the stock, the ledger and the allocations are written
    _reserved(order, products[0], 2)
    _reserved(order, products[1], 3)
    # and on PostgreSQL by the statement that writes the order's status
    if connection.vendor == "postgresql":
        writes = [q["sql"] for q in queries.captured_queries if 'UPDATE "inventory_product"' in q["sql"]]
        assert len(writes) == 1 and 'UPDATE "sales_order"' in writes[0]


def test_a_reservation_that_takes_stock_low_is_written_before_its_event_reads_it(settings: Any) -> None:
    # given a draft taking a product from 10 to 4 units, below the threshold of 5
    settings.EVENTS_ENABLED = True
    product = ProductFactory(stock=10)
    order = OrderFactory(lines=[(product, 6)])
    # when it is confirmed
    services.order_confirm(order_id=order.pk, actor=None)
    # then the stock is reserved, and the low-stock event shows the product as the reservation left it
    _reserved(order, product, 6)
    low = Event.objects.get(type="stock.low", object_id=product.pk)
    assert low.data["object"]["stock_quantity"] == 4 and low.data["previous_attributes"] == {"stock_quantity": 10}


@pytest.mark.postgres
def test_a_later_write_sent_on_its_own_checks_every_row_was_found() -> None:
    # given a write adding to a product that exists and to one that does not
    product = ProductFactory(stock=10)
    movement = StockMovement(product=product, warehouse=WarehouseStock.objects.get(product=product).warehouse,
                             kind=StockMovement.Kind.ADJUSTMENT, quantity_delta=1, balance_after=11, reference="x")
    write = add_to_rows_and_record_later([(Product, "stock_quantity", {product.pk: 1, "prod_missing": 1})],
                                         records=[movement])
    assert write is not None
    # when it is sent on its own, then it is refused and writes no ledger row
    with pytest.raises(RuntimeError):
        write_now(write)
    assert not StockMovement.objects.filter(reference="x").exists()
