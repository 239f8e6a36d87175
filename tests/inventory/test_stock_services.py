"""Stock services and the ledger invariant: for every product, the sum of its movements is its stock."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.exceptions import InsufficientStock, ProductHasVariants, ShortLine
from inventory.models import Product, StockMovement
from inventory.selectors import stock_ledger_mismatches
from inventory.services import product_create, stock_adjust, stock_release, stock_reserve, warehouse_default
from synthesq.core.errors import ValidationFailed
from tests.factories import ProductFactory, StockMovementFactory

from .helpers import snapshot

pytestmark = pytest.mark.django_db

_skus = itertools.count()


def new_product(stock: int = 0) -> Product:
    return product_create(actor=None, sku=f"SVC-{next(_skus):06d}", name="Service product",
                          price=Decimal("9.99"), currency="USD", stock_quantity=stock)


def assert_ledger_invariant() -> None:
    """For every product: movements sum to stock_quantity, stock is not negative, and the last movement's
    balance is the stock."""
    for product in Product.objects.all():
        deltas = list(StockMovement.objects.filter(product=product).order_by("id")
                      .values_list("quantity_delta", "balance_after"))
        assert sum(delta for delta, _ in deltas) == product.stock_quantity, product.pk
        assert product.stock_quantity >= 0
        running = 0
        for delta, balance in deltas:
            running += delta
            assert balance == running >= 0, product.pk
    assert stock_ledger_mismatches() == []


# --- the invariant under a random mix of operations ------------------------------------------------------

_index = st.integers(min_value=0, max_value=99)
_line = st.tuples(_index, st.integers(min_value=1, max_value=12))
_operation = st.one_of(
    st.tuples(st.just("create"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("adjust"), _index, st.integers(min_value=-15, max_value=15).filter(bool)),
    st.tuples(st.just("reserve"), st.lists(_line, min_size=1, max_size=5)),
    st.tuples(st.just("release"), st.lists(_line, min_size=1, max_size=3)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(_operation, min_size=1, max_size=25))
def test_ledger_matches_stock_after_any_mix_of_operations(operations: list[tuple[Any, ...]]) -> None:
    # each example runs in its own savepoint, rolled back at the end, so examples do not share rows
    with transaction.atomic():
        # given two products, and a model of what their stock should be
        products = [new_product(3), new_product(0)]
        expected = {p.pk: p.stock_quantity for p in products}

        def pick(index: int) -> str:
            return products[index % len(products)].pk

        # when the operations run (refused ones raise and must change nothing)
        for operation in operations:
            before = snapshot()
            kind = operation[0]
            if kind == "create":
                product = new_product(operation[1])
                products.append(product)
                expected[product.pk] = operation[1]
            elif kind == "adjust":
                pk, delta = pick(operation[1]), operation[2]
                if expected[pk] + delta < 0:
                    with pytest.raises(InsufficientStock) as refused:
                        stock_adjust(product=Product(pk=pk), quantity_delta=delta, reason="count", actor=None)
                    assert refused.value.lines == [ShortLine(pk, -delta, expected[pk])]
                    assert snapshot() == before
                else:
                    movement = stock_adjust(product=Product(pk=pk), quantity_delta=delta, reason="count",
                                            actor=None)
                    expected[pk] += delta
                    assert movement.balance_after == expected[pk]
            elif kind == "reserve":
                wanted: Counter[str] = Counter()
                for index, quantity in operation[1]:
                    wanted[pick(index)] += quantity
                items = [(pick(index), quantity) for index, quantity in operation[1]]
                short = [ShortLine(pk, qty, expected[pk]) for pk, qty in sorted(wanted.items())
                         if expected[pk] < qty]
                if short:
                    # all or nothing: every short line is listed, and nothing at all is reserved
                    with pytest.raises(InsufficientStock) as refused:
                        stock_reserve(items=items, reference="ord_test", actor=None)
                    assert refused.value.lines == short
                    assert snapshot() == before
                else:
                    movements = stock_reserve(items=items, reference="ord_test", actor=None)
                    assert sorted((m.product_id, -m.quantity_delta) for m in movements) == sorted(wanted.items())
                    for pk, quantity in wanted.items():
                        expected[pk] -= quantity
            else:  # release
                items = [(pick(index), quantity) for index, quantity in operation[1]]
                stock_release(items=items, reference="ord_test", actor=None)
                for pk, quantity in items:
                    expected[pk] += quantity

        # then the stock is what the model says, and the ledger explains it
        assert dict(Product.objects.values_list("id", "stock_quantity")) == expected
        assert_ledger_invariant()
        transaction.set_rollback(True)


# --- stock_reserve --------------------------------------------------------------------------------------


def test_reserve_is_all_or_nothing_and_lists_every_short_line() -> None:
    # given three products, two of them short for the order
    plenty, few, none = new_product(5), new_product(1), new_product(0)
    before = snapshot()
    # when all three are reserved in one call
    with pytest.raises(InsufficientStock) as refused:
        stock_reserve(items=[(plenty.pk, 2), (few.pk, 3), (none.pk, 1)], reference="ord_1", actor=None)
    # then both short lines are listed (in product id order) with what was requested and what is available
    assert refused.value.lines == sorted(
        [ShortLine(few.pk, 3, 1), ShortLine(none.pk, 1, 0)], key=lambda line: line.product_id)
    main = warehouse_default().pk
    assert refused.value.extra["lines"] == sorted([
        {"product_id": few.pk, "requested": 3, "available": 1,
         "available_by_warehouse": [{"warehouse_id": main, "available": 1}]},
        {"product_id": none.pk, "requested": 1, "available": 0, "available_by_warehouse": []},
    ], key=lambda line: str(line["product_id"]))
    assert refused.value.status == 422
    assert refused.value.code == "insufficient_stock"
    # and nothing was reserved, not even the line that had enough
    assert snapshot() == before


def test_reserve_writes_one_reservation_row_per_product() -> None:
    a, b = new_product(5), new_product(7)
    movements = stock_reserve(items=[(a.pk, 2), (b.pk, 7)], reference="ord_2", actor=None, reason="order")
    assert {(m.product_id, m.kind, m.quantity_delta, m.balance_after, m.reference) for m in movements} == {
        (a.pk, "reservation", -2, 3, "ord_2"), (b.pk, "reservation", -7, 0, "ord_2")}
    assert dict(Product.objects.values_list("id", "stock_quantity")) == {a.pk: 3, b.pk: 0}
    assert_ledger_invariant()


def test_reserving_the_same_product_twice_sums_the_quantities() -> None:
    # given a product with 5 in stock
    product = new_product(5)
    # when it appears twice in one reservation, together within stock
    movements = stock_reserve(items=[(product.pk, 2), (product.pk, 3)], reference="ord_3", actor=None)
    # then one movement reserves the sum
    assert [(m.quantity_delta, m.balance_after) for m in movements] == [(-5, 0)]
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    # and two lines that are each within stock but together exceed it are refused on the sum
    other = new_product(5)
    before = snapshot()
    with pytest.raises(InsufficientStock) as refused:
        stock_reserve(items=[(other.pk, 3), (other.pk, 3)], reference="ord_4", actor=None)
    assert refused.value.lines == [ShortLine(other.pk, 6, 5)]
    assert snapshot() == before


def test_reserving_a_product_with_variants_is_refused() -> None:
    # given a parent with a variant, and an ordinary product
    parent = ProductFactory()
    variant = ProductFactory(parent=parent, stock=4)
    ordinary = new_product(4)
    before = snapshot()
    # when the parent is reserved, alone or with other products
    for items in ([(parent.pk, 1)], [(ordinary.pk, 1), (variant.pk, 1), (parent.pk, 1)]):
        with pytest.raises(ProductHasVariants) as refused:
            stock_reserve(items=items, reference="ord_5", actor=None)
        # then the parent is named and nothing is reserved
        assert refused.value.extra["product_id"] == parent.pk
        assert snapshot() == before


@pytest.mark.parametrize("items", [[("UNKNOWN", 1)], [("A", 0)], [("A", -1)], [("A", 1), ("UNKNOWN", 1)]])
def test_reserve_refuses_unknown_products_and_non_positive_quantities(items: list[tuple[str, int]]) -> None:
    product = new_product(5)
    resolved = [(product.pk if pk == "A" else "prod_unknown", qty) for pk, qty in items]
    before = snapshot()
    with pytest.raises(ValidationFailed):
        stock_reserve(items=resolved, reference="ord_6", actor=None)
    assert snapshot() == before


def test_reserving_nothing_writes_nothing() -> None:
    new_product(5)
    before = snapshot()
    assert stock_reserve(items=[], reference="ord_7", actor=None) == []
    assert snapshot() == before


def test_release_gives_stock_back() -> None:
    product = new_product(5)
    stock_reserve(items=[(product.pk, 4)], reference="ord_8", actor=None)
    movements = stock_release(items=[(product.pk, 3), (product.pk, 1)], reference="ord_8", actor=None)
    assert [(m.kind, m.quantity_delta, m.balance_after) for m in movements] == [("release", 4, 5)]
    assert Product.objects.get(pk=product.pk).stock_quantity == 5
    assert_ledger_invariant()


def test_adjusting_a_product_with_variants_is_refused() -> None:
    parent = ProductFactory()
    ProductFactory(parent=parent)
    before = snapshot()
    with pytest.raises(ProductHasVariants):
        stock_adjust(product=parent, quantity_delta=1, reason="receipt", actor=None)
    assert snapshot() == before


@pytest.mark.parametrize(("delta", "reason"), [(0, "zero"), (1, ""), (1, "   ")])
def test_adjust_refuses_zero_delta_and_blank_reason(delta: int, reason: str) -> None:
    product = new_product(5)
    before = snapshot()
    with pytest.raises(ValidationFailed):
        stock_adjust(product=product, quantity_delta=delta, reason=reason, actor=None)
    assert snapshot() == before


def test_product_create_refuses_negative_initial_stock() -> None:
    with pytest.raises(ValidationFailed) as refused:
        product_create(actor=None, sku="NEG", name="n", price=Decimal(1), currency="USD", stock_quantity=-1)
    assert refused.value.extra["errors"][0]["field"] == "stock_quantity"
    assert snapshot() == ([], [], [])


# --- database constraints -------------------------------------------------------------------------------


def test_database_refuses_negative_stock() -> None:
    # given a product with stock
    product = ProductFactory(stock=2)
    # when its stock is set below zero behind the services' back
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock_quantity=-1)
    # then the CHECK constraint refused it
    assert Product.objects.get(pk=product.pk).stock_quantity == 2


@pytest.mark.parametrize(
    "fields",
    [{"quantity_delta": 0, "balance_after": 1}, {"quantity_delta": -3, "balance_after": -1}],
    ids=["zero-delta", "negative-balance"],
)
def test_database_refuses_invalid_ledger_rows(fields: dict[str, int]) -> None:
    product = ProductFactory(stock=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovementFactory(product=product, **fields)
    assert StockMovement.objects.filter(product=product).count() == 1


def test_database_refuses_negative_price_and_own_parent() -> None:
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(price=Decimal("-0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(parent_id=product.pk)
    stored = Product.objects.get(pk=product.pk)
    assert (stored.price, stored.parent_id) == (Decimal("129.99"), None)


# --- query count ----------------------------------------------------------------------------------------


def _queries_to_reserve(count: int) -> int:
    products = [new_product(10) for _ in range(count)]
    with CaptureQueriesContext(connection) as captured:
        movements = stock_reserve(items=[(p.pk, 1) for p in products], reference="ord_q", actor=None)
    assert len(movements) == count
    return len(captured.captured_queries)


def test_reserve_query_count_does_not_grow_with_the_number_of_products() -> None:
    # when 1 product, then 50 products are reserved
    one, fifty = _queries_to_reserve(1), _queries_to_reserve(50)
    # then both take the same queries: lock, variant check, one UPDATE, one INSERT (plus savepoint)
    assert one == fifty
    assert one <= 6
    assert Product.objects.filter(stock_quantity=9).count() == 51
    assert_ledger_invariant()


def test_release_on_a_product_with_variants_is_refused_and_changes_nothing() -> None:
    from inventory.exceptions import ProductHasVariants
    from inventory.services import stock_release

    parent = ProductFactory()
    ProductFactory(parent=parent)
    with pytest.raises(ProductHasVariants):
        stock_release(items=[(parent.pk, 2)], reference="ord_x", actor=None)
    parent.refresh_from_db()
    assert parent.stock_quantity == 0
    assert not parent.movements.exists()
