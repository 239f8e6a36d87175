"""Compiled queries (``synthesq.core.compiled``): the rows equal the plain queryset's, each shape compiles once,
and a slot the SQL cannot carry whole is refused when compiling."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.sql.compiler import SQLCompiler

from inventory.models import Product
from sales.models import Customer, Order
from sales.pricing_models import PriceListEntry
from synthesq.core.compiled import CompiledQuery, Date, Int, IntList, SlotError, Text, TextList
from tests.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.factories.pricing import PriceListFactory

pytestmark = pytest.mark.django_db


def _state(obj: Any) -> dict[str, Any]:
    """An instance as a comparable dict: its fields, annotations and the related objects select_related cached."""
    values = {name: value for name, value in vars(obj).items() if name != "_state"}
    cached = obj._state.fields_cache
    return {**values, "_cached": {name: _state(rel) if rel is not None else None for name, rel in cached.items()},
            "_db": obj._state.db, "_adding": obj._state.adding}


def _orders(customer_id: str, statuses: list[str]) -> Any:
    lines = Order.objects.filter(pk=OuterRef("pk")).annotate(n=Count("lines")).values("n")
    return (Order.objects.select_related("customer").filter(customer_id=customer_id, status__in=statuses)
            .annotate(line_count=Subquery(lines[:1]),
                      other_orders=Exists(Order.objects.filter(customer_id=customer_id).exclude(pk=OuterRef("pk"))))
            .order_by("pk"))


ORDERS = CompiledQuery("test.orders", _orders, customer_id=Text(), statuses=TextList())


def test_model_rows_with_select_related_and_subquery_annotations_equal_the_querysets() -> None:
    # given two customers with orders in two statuses
    customer = CustomerFactory()
    OrderFactory(customer=customer)
    OrderFactory(customer=customer, status="confirmed")
    OrderFactory()
    # when the compiled query runs for each shape of statuses
    for statuses in (["draft"], ["draft", "confirmed"], ["cancelled", "draft", "confirmed"]):
        compiled = ORDERS(customer_id=customer.pk, statuses=statuses)
        # then it gives what the queryset gives: fields, the customer, the annotations, the state
        plain = list(_orders(customer.pk, statuses))
        assert [_state(row) for row in compiled] == [_state(row) for row in plain]
        assert compiled and all(row.customer.pk == customer.pk and row.line_count == 1 for row in compiled)


def test_a_second_call_of_a_shape_does_not_compile() -> None:
    # given a compiled query called once for a shape
    customer = CustomerFactory()
    order = OrderFactory(customer=customer)
    ORDERS.clear()
    ORDERS(customer_id=customer.pk, statuses=["draft", "confirmed"])
    # when it is called again with other values of that shape
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        rows = ORDERS(customer_id=customer.pk, statuses=["shipped", "draft"])
        compiled_for_the_known_shape = as_sql.call_count
        other_shape = ORDERS(customer_id=customer.pk, statuses=["draft"])
        compiled_for_a_new_shape = as_sql.call_count
        again = ORDERS(customer_id=customer.pk, statuses=["confirmed"])
    # then nothing is compiled for a known shape; a new shape compiles once (its query and subqueries)
    assert [row.pk for row in rows] == [order.pk] == [row.pk for row in other_shape] and again == []
    assert compiled_for_the_known_shape == 0 < compiled_for_a_new_shape == as_sql.call_count


def test_values_list_flat_and_values_rows_with_int_and_date_slots() -> None:
    # given a price list with breaks and a validity window
    products = ProductFactory.create_batch(3)
    price_list = PriceListFactory(entries=[(products[0], 1, "9.00"), (products[0], 10, "8.00"),
                                           (products[1], 5, "7.50"), (products[2], 1, "1.25")],
                                  valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))

    def entries(list_id: str, product_ids: list[str], most: int, on: date) -> Any:
        return (PriceListEntry.objects.filter(Q(price_list__valid_from__lte=on) & Q(price_list__valid_to__gte=on),
                                              price_list_id=list_id, product_id__in=product_ids,
                                              min_quantity__lte=most)
                .order_by("product_id", "min_quantity"))

    as_tuples = CompiledQuery("test.tuples", lambda **s: entries(**s).values_list("product_id", "min_quantity",
                                                                                   "unit_price"),
                              list_id=Text(), product_ids=TextList(), most=Int(), on=Date())
    as_flat = CompiledQuery("test.flat", lambda **s: entries(**s).values_list("unit_price", flat=True),
                            list_id=Text(), product_ids=TextList(), most=Int(), on=Date())
    as_dicts = CompiledQuery("test.dicts", lambda **s: entries(**s).values("product_id", "unit_price"),
                             list_id=Text(), product_ids=TextList(), most=Int(), on=Date())
    cases = [([products[0].pk, products[1].pk], 10, date(2026, 6, 1)), ([products[0].pk], 9, date(2026, 6, 1)),
             ([p.pk for p in products], 100, date(2027, 1, 1))]
    for ids, most, on in cases:
        values = {"list_id": price_list.pk, "product_ids": ids, "most": most, "on": on}
        # when each kind of row is read compiled, then it equals the queryset's (Decimals included)
        assert as_tuples(**values) == list(entries(**values).values_list("product_id", "min_quantity", "unit_price"))
        assert as_flat(**values) == list(entries(**values).values_list("unit_price", flat=True))
        assert as_dicts(**values) == list(entries(**values).values("product_id", "unit_price"))
    assert as_flat(list_id=price_list.pk, product_ids=[products[0].pk], most=10,
                   on=date(2026, 6, 1)) == [Decimal("9.00"), Decimal("8.00")]


def test_int_list_slots_and_deferred_fields() -> None:
    # given products read by their stock with some fields deferred
    products = ProductFactory.create_batch(3)
    by_ids = CompiledQuery("test.deferred", lambda names, ids: Product.objects.filter(name__in=names, pk__in=ids)
                           .only("sku", "price").order_by("sku"), names=TextList(), ids=TextList())
    compiled = by_ids(names=[p.name for p in products], ids=[products[0].pk, products[2].pk])
    plain = list(Product.objects.filter(name__in=[p.name for p in products], pk__in=[products[0].pk, products[2].pk])
                 .only("sku", "price").order_by("sku"))
    # then the instances defer the same fields and load them on access
    assert [_state(row) for row in compiled] == [_state(row) for row in plain]
    assert compiled[0].get_deferred_fields() == plain[0].get_deferred_fields() != set()
    assert compiled[0].name == plain[0].name
    numbers = CompiledQuery("test.ints", lambda ns: Order.objects.filter(lines__quantity__in=ns)
                            .values_list("pk", flat=True).distinct(), ns=IntList())
    order = OrderFactory()
    assert numbers(ns=[2, 7]) == [order.pk] and numbers(ns=[3]) == []


@pytest.mark.parametrize(("builder", "message"), [
    (lambda name: Customer.objects.filter(name__icontains=name), "inside the parameter"),
    (lambda name: Customer.objects.filter(name=name.upper()), "not a parameter"),
    (lambda name: Customer.objects.filter(name__startswith=name), "inside the parameter"),
])
def test_a_slot_wrapped_or_transformed_is_refused_when_compiling(builder: Any, message: str) -> None:
    # given a builder that does not pass the slot whole; when it compiles; then it refuses
    compiled = CompiledQuery("test.refused", builder, name=Text())
    with pytest.raises(SlotError, match=message):
        compiled(name="Acme")


def test_list_elements_used_unevenly_and_wrong_values_are_refused() -> None:
    uneven = CompiledQuery("test.uneven", lambda ns: Order.objects.filter(lines__quantity__in=ns,
                                                                          lines__quantity__lte=max(ns)), ns=IntList())
    with pytest.raises(SlotError, match="not used alike"):
        uneven(ns=[1, 2])
    typed = CompiledQuery("test.typed", lambda n: Order.objects.filter(lines__quantity=n), n=Int())
    for wrong in ("2", True, None, 2.0):
        with pytest.raises(SlotError, match="takes an int"):
            typed(n=wrong)
    with pytest.raises(SlotError, match="takes the slots"):
        typed(m=1)
    with pytest.raises(SlotError, match="takes a date"):
        CompiledQuery("test.date", lambda d: PriceListEntry.objects.filter(price_list__valid_from=d), d=Date())(
            d="2026-01-01")


def test_an_empty_list_shape_gives_no_rows_without_a_statement(django_assert_num_queries: Any) -> None:
    OrderFactory()
    with django_assert_num_queries(0):
        assert ORDERS(customer_id="cust_x", statuses=[]) == []


def test_threads_share_the_compiled_shapes() -> None:
    # given orders; when several threads (each with its own connection) call the same compiled query
    if connection.vendor == "sqlite":
        pytest.skip("an in-memory SQLite test database is not shared between threads")
    customer = CustomerFactory()
    order = OrderFactory(customer=customer)
    results: list[Any] = []

    def call() -> None:
        try:
            results.append([row.pk for row in ORDERS(customer_id=customer.pk, statuses=["draft"])])
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then each thread saw the rows (in its own transaction: the test's rows are not committed, so none)
    assert len(results) == 4 and all(rows in ([], [order.pk]) for rows in results)


def test_prefetch_related_runs_after_the_compiled_rows(django_assert_num_queries: Any) -> None:
    # given an order of two lines; when it is read compiled with its lines prefetched
    order = OrderFactory(lines=[(ProductFactory(), 1), (ProductFactory(), 2)])
    with_lines = CompiledQuery("test.prefetch", lambda pk: Order.objects.filter(pk=pk).prefetch_related("lines"),
                               pk=Text())
    with_lines(pk=order.pk)
    expected = [line.pk for line in order.lines.order_by("position")]
    with django_assert_num_queries(2):
        (compiled,) = with_lines(pk=order.pk)
        # then the lines come with it, as the queryset brings them
        assert [line.pk for line in compiled.lines.all()] == expected


SHARED = CompiledQuery("test.orders_shared", _orders, shared_related=True, customer_id=Text(),
                       statuses=TextList())


def test_shared_related_rows_equal_the_querysets_and_share_each_related_instance() -> None:
    # given a customer with three orders, and another customer's order
    customer = CustomerFactory()
    for status in ("draft", "confirmed", "draft"):
        OrderFactory(customer=customer, status=status)
    OrderFactory()
    # when the compiled query that shares related rows runs
    compiled = SHARED(customer_id=customer.pk, statuses=["draft", "confirmed"])
    # then each row equals the queryset's, and the orders share one customer instance
    plain = list(_orders(customer.pk, ["draft", "confirmed"]))
    assert [_state(row) for row in compiled] == [_state(row) for row in plain]
    assert len(compiled) == 3 and len({id(row.customer) for row in compiled}) == 1
    # and a new call makes its own instances
    again = SHARED(customer_id=customer.pk, statuses=["draft", "confirmed"])
    assert again[0].customer is not compiled[0].customer
