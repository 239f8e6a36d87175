"""Creating a draft reads its customer, products, code, price-list entries and its classes' tax rates in one
statement (issue 25): what it reads is what the separate reads (``price_list_prices``, ``rates_by_class``) give,
on PostgreSQL and SQLite alike (SQLite reads the rates apart: its JSON aggregate cannot be ordered), and every
change to the configuration counts on the next draft."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models.functions import JSONArray
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import Product
from sales.models import Order, OrderStatus
from sales.selectors.promotions import price_list_prices, prices_from_entries
from sales.services.drafts import LineInput, _customer_and_products
from synthesq.core.json_fields import json_array_of
from taxes.models import TaxClass, TaxRate
from taxes.selectors import rates_by_class
from tests.factories import CustomerFactory, OrderFactory, PriceListFactory, ProductFactory, PromotionCodeFactory
from tests.sales.helpers import ORDERS_URL, order_payload
from tests.taxes.helpers import AUSTIN, rate

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("sales")


def texas_rates() -> None:
    """Rates whose order depends on their names and regions: a country rate, three of Texas (names in mixed
    case), one of another state, one not valid yet and one expired."""
    today = timezone.localdate()
    rate("1", country="US", name="US federal")
    rate("6.25", country="US", region="TX", name="texas state")
    rate("2", country="US", region="TX", name="Austin local")
    rate("0.5", country="US", region="TX", name="Bexar transit")
    rate("7", country="US", region="CA", name="California")
    rate("9", country="US", region="TX", name="Future", valid_from=today + timedelta(days=1))
    rate("3", country="US", region="TX", name="Expired", valid_from=date(2020, 1, 1),
         valid_to=today - timedelta(days=1))


def replace_fields(order: Order, **fields: Any) -> Order:
    """A copy of ``order`` (not saved) with ``fields`` changed."""
    return Order(**{**{field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields},
                    **fields})


def read(customer: Any, products: list[Any], *, address: dict[str, str] | None = AUSTIN) -> Any:
    return _customer_and_products(customer.pk, [LineInput(product.pk, 2) for product in products], None,
                                  currency="USD", day=timezone.localdate(), address=address)


@pytest.mark.parametrize("sent", [True, False], ids=["address sent", "customer's default address"])
def test_the_rates_read_with_the_products_are_rates_by_class(sent: bool) -> None:
    # given Texas's rates and products of two classes, one of which has no rate
    texas_rates()
    TaxClass.objects.create(code="books", name="Books")
    products = [ProductFactory(tax_class_id="standard"), ProductFactory(tax_class_id="books")]
    # when a draft to Austin (sent, or the customer's default) reads its products
    drafted = read(CustomerFactory(), products, address=AUSTIN if sent else None)
    # then on PostgreSQL the rates came with them, as rates_by_class gives them (SQLite reads them apart)
    expected = rates_by_class(country="US", region="TX", tax_classes=["standard", "books"],
                              day=timezone.localdate())
    assert drafted.rates == (expected if ON_POSTGRESQL else None)
    assert [name for name, *_ in expected["standard"]] == ["US federal", "Austin local", "Bexar transit",
                                                           "texas state"]
    assert expected["books"] == []


def test_a_stored_address_not_as_the_rates_have_it_is_read_apart(api: APIClient) -> None:
    # given Texas's rates and a customer whose default address has its state in lower case
    texas_rates()
    customer = CustomerFactory(default_shipping_address={**AUSTIN, "state": "tx"})
    # when its draft reads its products, then the rates are not taken from that read
    assert read(customer, [ProductFactory()], address=None).rates is None
    # and an order to that address is taxed with Texas's rates all the same (the rates read by their statement)
    response = api.post(ORDERS_URL, order_payload(customer.pk, [(ProductFactory(price="100.00").pk, 1)]),
                        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["tax_total"] == "9.75"


def test_a_change_of_rate_or_price_counts_on_the_next_draft(api: APIClient) -> None:
    # given a taxed product on a customer's price list
    texas = rate("6.25", country="US", region="TX", name="Texas state")
    product = ProductFactory(price="10.00")
    customer = CustomerFactory(price_list=PriceListFactory(entries=[(product, 1, "8.00")]))
    body = {**order_payload(customer.pk, [(product.pk, 2)], address=AUSTIN),
            "charges": [{"kind": "shipping", "amount": "5.00"}]}
    first = api.post(ORDERS_URL, body, format="json").json()
    # when the rate and the list's price change
    TaxRate.objects.filter(pk=texas.pk).update(rate=Decimal("8.25"))
    customer.price_list.entries.update(unit_price=Decimal("7.00"))
    second = api.post(ORDERS_URL, body, format="json").json()
    # then the next draft takes both, the earlier one keeps what it was priced with
    assert (first["line_items"][0]["unit_price"], first["tax_total"]) == ("8.00", "1.31")
    assert (second["line_items"][0]["unit_price"], second["tax_total"]) == ("7.00", "1.57")


def test_a_charge_of_a_class_no_product_has_is_taxed_at_its_rates(api: APIClient) -> None:
    # given Texas's standard rate and a handling class of its own
    rate("6.25", country="US", region="TX", name="Texas state")
    rate("1", country="US", region="TX", name="Handling", tax_class="handling")
    body = {**order_payload(CustomerFactory().pk, [(ProductFactory(price="10.00").pk, 1)], address=AUSTIN),
            "charges": [{"kind": "handling", "amount": "10.00", "tax_class": "handling"}]}
    # when an order carries a handling charge, then its tax is the handling rate's
    order = api.post(ORDERS_URL, body, format="json").json()
    assert [charge["tax_amount"] for charge in order["charges"]] == ["0.10"]
    assert order["tax_total"] == "0.73"


def test_the_entries_read_with_the_products_price_as_price_list_prices() -> None:
    # given a list with breaks for two products, in a second currency too, and a product not on it
    first, second, unlisted = ProductFactory(), ProductFactory(), ProductFactory()
    price_list = PriceListFactory(entries=[(first, 1, "9.50"), (first, 50, "9.00"), (second, 10, "4.1234")])
    PriceListFactory(currency="EUR", entries=[(first, 1, "1.00")])
    customer = CustomerFactory(price_list=price_list)
    items = [(first.pk, 49), (first.pk, 50), (second.pk, 9), (second.pk, 10), (unlisted.pk, 3)]
    # when a draft reads its products
    drafted = _customer_and_products(customer.pk, [LineInput(pk, quantity) for pk, quantity in items], None,
                                     currency="USD", day=timezone.localdate(), address=AUSTIN)
    # then its entries price its lines as the list's own read does
    assert drafted.entries is not None
    prices = prices_from_entries(drafted.price_list_id, items, drafted.entries)
    assert prices == price_list_prices(price_list.pk, currency="USD", on=timezone.localdate(), items=items)
    assert prices == {(first.pk, 49): (Decimal("9.50"), price_list.pk),
                      (first.pk, 50): (Decimal("9.00"), price_list.pk),
                      (second.pk, 10): (Decimal("4.1234"), price_list.pk)}


def test_a_json_array_of_rows_is_one_value_never_null() -> None:
    # given three products
    made = [ProductFactory(sku=sku, price=price) for sku, price in (("B", "2.50"), ("A", "1.00"), ("C", "3.25"))]
    rows = Product.objects.filter(pk__in=[product.pk for product in made])
    # when their skus are read as one JSON array, unordered and ordered, and an empty one
    unordered = json_array_of(rows, JSONArray("sku"))
    ordered = json_array_of(rows, JSONArray("sku"), order_by=("sku",))
    none = json_array_of(rows.filter(sku="none"), JSONArray("sku"))
    values = Product.objects.annotate(unordered=unordered, ordered=ordered, none=none).values(
        "unordered", "ordered", "none")[0]
    # then each is one array ([] for none); ordered on PostgreSQL, NULL on SQLite (it cannot order an aggregate)
    assert sorted(values["unordered"]) == [["A"], ["B"], ["C"]]
    assert values["ordered"] == ([["A"], ["B"], ["C"]] if ON_POSTGRESQL else None)
    assert values["none"] == []


@pytest.mark.postgres
def test_a_prepared_draft_read_with_a_code_keeps_one_plan() -> None:
    # given 20 customers with 200 drafts each with a code, a few of them confirmed (counted as uses: only these are
    # in the partial index on the uses), analysed, and the statement by which the first customer's draft with that
    # code to Austin reads its products
    customers, code = CustomerFactory.create_batch(20), PromotionCodeFactory()
    customer, template = customers[0], OrderFactory(customer=customers[0])
    Order.objects.bulk_create([
        replace_fields(template, id=Order._meta.pk.get_default(), order_number=f"USES-{n:04d}",
                       customer_id=customers[n % 20].pk, promotion_code_id=code.pk,
                       status=OrderStatus.CONFIRMED if n % 500 == 0 else OrderStatus.DRAFT) for n in range(4000)])
    products = [ProductFactory(), ProductFactory()]
    statements: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sales_order")
    with connection.execute_wrapper(keep):
        _customer_and_products(customer.pk, [LineInput(product.pk, 1) for product in products], code.code,
                               currency="USD", day=timezone.localdate(), address=AUSTIN)
    [(sql, params)] = statements
    # when it runs ten times as a prepared statement (as psycopg runs what a connection runs often), marked by a
    # comment so that no statement an earlier test prepared on this connection is taken for it
    marked = f"/* keeps one plan */ {sql}"
    with connection.cursor() as cursor:
        for _ in range(10):
            cursor.cursor.execute(marked, params, prepare=True)
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["/* keeps one plan */ %"])
        generic, custom = cursor.fetchone()
    # then after its five first runs PostgreSQL runs the plan it made once for any parameters: it reads the counted
    # uses by the partial index in that plan too (with the statuses as parameters it could not, so it planned
    # every run anew, about 1 ms of its CPU per create, rather than read all of the customer's orders)
    assert (generic, custom) == (5, 5), (generic, custom)
