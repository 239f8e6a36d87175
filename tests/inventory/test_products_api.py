"""Products API: /api/v1/inventory/products (create with initial stock, update, variants, filters, roles)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory.models import Product, StockMovement
from tests.factories import CustomerFactory, ProductFactory

from .helpers import PRODUCTS_URL as URL
from .helpers import assert_problem, error_fields, product_url, snapshot

pytestmark = pytest.mark.django_db

FIELDS = {"id", "sku", "name", "description", "price", "currency", "stock_quantity", "parent_id", "tax_class",
          "has_variants", "active", "created_at", "updated_at"}
# token lookup, the user's permissions, its groups' permissions, the page itself
LIST_QUERY_BUDGET = 4


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": "TSHIRT-M", "name": "T-shirt M", "description": "Cotton", "price": "129.99",
                            "currency": "USD"}
    body.update(overrides)
    return body


def raw_json(price: str, **fields: Any) -> str:
    """A create body whose ``price`` is spliced in as raw JSON (a number stays a number)."""
    base = json.dumps({"sku": "RAW-1", "name": "Raw", "currency": "USD", **fields})
    return base[:-1] + f', "price": {price}}}'


def post_raw(api: APIClient, body: str) -> Any:
    return api.post(URL, data=body, content_type="application/json")



# --- create ---------------------------------------------------------------------------------------------


def test_create_returns_201_with_the_product(warehouse_api: APIClient) -> None:
    # when a warehouse user creates a product without stock
    response = warehouse_api.post(URL, payload(), format="json")
    # then it is returned whole, with a prefixed id and defaults
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"].startswith("prod_")
    assert {k: body[k] for k in ("sku", "name", "description", "price", "currency")} == payload()
    assert body["stock_quantity"] == 0
    assert body["parent_id"] is None
    assert body["has_variants"] is False
    assert body["active"] is True
    # and it is stored, with no ledger row for zero stock
    stored = Product.objects.get(pk=body["id"])
    assert stored.price == Decimal("129.99")
    assert not StockMovement.objects.exists()


def test_create_accepts_a_trailing_slash_and_inactive(warehouse_api: APIClient) -> None:
    response = warehouse_api.post(f"{URL}/", payload(active=False), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["active"] is False
    assert Product.objects.get(pk=response.json()["id"]).is_active is False


@pytest.mark.parametrize(
    ("price", "currency", "expected"),
    [
        ("129.99", "USD", "129.99"),
        ('"129.99"', "USD", "129.99"),
        ("129.990", "USD", "129.99"),
        ("10", "USD", "10.00"),
        ('"10"', "USD", "10.00"),
        ("0", "USD", "0.00"),
        ("1e2", "USD", "100.00"),
        ("0.1", "USD", "0.10"),
        ("1300", "JPY", "1300"),
        ('"1300"', "JPY", "1300"),
        ("1300.00", "JPY", "1300"),
        ("1.234", "BHD", "1.234"),
        ("9999999999999.99", "USD", "9999999999999.99"),
        pytest.param("99999999999999.99", "USD", "99999999999999.99", marks=pytest.mark.postgres,
                     id="largest-amount"),  # 18 digits: SQLite keeps only 15 significant digits
    ],
)
def test_price_is_returned_as_a_string_with_the_currency_decimals(
    warehouse_api: APIClient, price: str, currency: str, expected: str
) -> None:
    # when the price is sent as a JSON number or string
    response = post_raw(warehouse_api, raw_json(price, currency=currency))
    # then it comes back as a decimal string quantized to the currency
    assert response.status_code == 201, response.content
    assert response.json()["price"] == expected
    assert response.json()["currency"] == currency
    # and the stored amount is exact (never went through float)
    assert Product.objects.get(pk=response.json()["id"]).price == Decimal(expected)
    # and reading it back gives the same string
    assert warehouse_api.get(product_url(response.json()["id"])).json()["price"] == expected


@pytest.mark.parametrize(
    ("price", "currency"),
    [
        ("1.005", "USD"),
        ('"1.005"', "USD"),
        ("1.00001", "USD"),
        ("1.5", "JPY"),
        ('"1.5"', "JPY"),
        ("1.0001", "BHD"),
        ("-1", "USD"),
        ('"-0.01"', "USD"),
        ("true", "USD"),
        ("false", "USD"),
        ('"abc"', "USD"),
        ('"NaN"', "USD"),
        ('"Infinity"', "USD"),
        ("null", "USD"),
        ("[]", "USD"),
        ('{"amount": 1}', "USD"),
        ('""', "USD"),
        ("1e20", "USD"),
        ("100000000000000", "USD"),  # 15 whole digits: more than NUMERIC(18, 4) holds
    ],
)
def test_invalid_price_is_400_naming_price(warehouse_api: APIClient, price: str, currency: str) -> None:
    # when the price is not a valid amount for the currency
    body = assert_problem(post_raw(warehouse_api, raw_json(price, currency=currency)), 400, "validation_error")
    # then the problem names the price
    assert "price" in error_fields(body)
    # and nothing is created
    assert not Product.objects.exists()


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity", "1.2.3"])
def test_non_json_number_is_malformed_request(warehouse_api: APIClient, price: str) -> None:
    assert_problem(post_raw(warehouse_api, raw_json(price)), 400, "malformed_request")
    assert not Product.objects.exists()


@pytest.mark.parametrize("currency", ["XYZ", "usd", "Usd", "US", "USDD", "", "XXX", "XAU", 840, None])
def test_unknown_currency_is_400(warehouse_api: APIClient, currency: Any) -> None:
    # ISO 4217 codes are upper case; test/metal codes without a minor unit are not money
    body = assert_problem(warehouse_api.post(URL, payload(currency=currency), format="json"), 400,
                          "validation_error")
    assert "currency" in error_fields(body)
    assert not Product.objects.exists()


def test_duplicate_sku_is_400_naming_sku(warehouse_api: APIClient) -> None:
    # given a product with the SKU
    ProductFactory(sku="TSHIRT-M")
    before = snapshot()
    # when another product is created with the same SKU
    body = assert_problem(warehouse_api.post(URL, payload(sku="TSHIRT-M"), format="json"), 400,
                          "validation_error")
    # then the SKU is named and nothing is created
    assert error_fields(body) == ["sku"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sku": None}, "sku"),
        ({"sku": ""}, "sku"),
        ({"sku": "has space"}, "sku"),
        ({"sku": "-leading-dash"}, "sku"),
        ({"sku": "X" * 65}, "sku"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"currency": None}, "currency"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"stock_quantity": True}, "stock_quantity"),
        ({"stock_quantity": "many"}, "stock_quantity"),
        ({"stock_quantity": 2_000_000_001}, "stock_quantity"),
        ({"stock_quantity": None}, "stock_quantity"),
        ({"active": "maybe"}, "active"),
        ({"active": None}, "active"),
        ({"parent_id": "prod_nope"}, "parent_id"),
        ({"parent_id": 123}, "parent_id"),
    ],
)
def test_invalid_field_is_400_naming_it(warehouse_api: APIClient, overrides: dict[str, Any], field: str) -> None:
    body_in = payload(**overrides)
    for key in [k for k, v in overrides.items() if v is None and k in ("sku", "name", "currency")]:
        del body_in[key]  # "None" here means "missing"
    body = assert_problem(warehouse_api.post(URL, body_in, format="json"), 400, "validation_error")
    assert field in error_fields(body)
    assert snapshot() == ([], [])


def test_fractional_stock_quantity_is_400(warehouse_api: APIClient) -> None:
    # the JSON number 1.5 reaches the serializer as Decimal("1.5"), not as a float
    raw = '{"sku": "FRAC", "name": "n", "price": "1.00", "currency": "USD", "stock_quantity": 1.5}'
    body = assert_problem(post_raw(warehouse_api, raw), 400, "validation_error")
    assert "stock_quantity" in error_fields(body)
    assert not Product.objects.exists()


def test_initial_stock_writes_one_initial_ledger_row(warehouse_api: APIClient) -> None:
    # when a product is created with stock
    response = warehouse_api.post(URL, payload(stock_quantity=7), format="json")
    # then it holds that stock
    assert response.status_code == 201, response.content
    product_id = response.json()["id"]
    assert response.json()["stock_quantity"] == 7
    # and exactly one ledger row of kind initial explains it
    movements = list(StockMovement.objects.filter(product_id=product_id))
    assert len(movements) == 1
    movement = movements[0]
    assert movement.kind == StockMovement.Kind.INITIAL
    assert (movement.quantity_delta, movement.balance_after) == (7, 7)
    assert movement.actor_id == warehouse_api.user.pk  # type: ignore[attr-defined]


# --- update ---------------------------------------------------------------------------------------------


def test_patch_changes_catalogue_fields_but_not_stock(warehouse_api: APIClient) -> None:
    # given a product with stock
    product = ProductFactory(stock=4, name="Old")
    # when its name and price are patched
    response = warehouse_api.patch(product_url(product.pk), {"name": "New", "price": 5}, format="json")
    # then they change and the stock stays
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["price"], body["stock_quantity"]) == ("New", "5.00", 4)
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.price, stored.stock_quantity, stored.sku) == ("New", Decimal(5), 4, product.sku)
    assert StockMovement.objects.filter(product=product).count() == 1


@pytest.mark.parametrize("extra", [{}, {"name": "Also renamed"}])
def test_patch_stock_quantity_is_400_and_changes_nothing(warehouse_api: APIClient, extra: dict) -> None:
    # given a product with stock
    product = ProductFactory(stock=4)
    before = snapshot()
    # when stock_quantity is patched (alone or with other fields)
    response = warehouse_api.patch(product_url(product.pk), {"stock_quantity": 100, **extra}, format="json")
    # then it is refused, naming stock_quantity
    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == ["stock_quantity"]
    # and neither the stock, the ledger nor the other fields changed
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "JPY"}, "price"),  # 129.99 does not fit JPY
        ({"price": "1.005"}, "price"),
        ({"price": -1}, "price"),
        ({"price": 1e20}, "price"),  # whole, but more digits than any amount
        ({"price": 1.622e308}, "price"),  # beyond what the decimal context can even quantize
        ({"currency": "usd"}, "currency"),
        ({"sku": "OTHER-SKU"}, "sku"),
        ({"parent_id": "SELF"}, "parent_id"),
    ],
)
def test_patch_refuses_invalid_changes(warehouse_api: APIClient, change: dict[str, Any], field: str) -> None:
    # given two products
    ProductFactory(sku="OTHER-SKU")
    product = ProductFactory()
    if change.get("parent_id") == "SELF":
        change = {"parent_id": product.pk}
    before = snapshot()
    # when an invalid change is patched
    body = assert_problem(warehouse_api.patch(product_url(product.pk), change, format="json"), 400,
                          "validation_error")
    # then the field is named and nothing changed
    assert field in error_fields(body)
    assert snapshot() == before


def test_patch_keeping_its_own_sku_is_fine(warehouse_api: APIClient) -> None:
    product = ProductFactory(sku="SAME")
    response = warehouse_api.patch(product_url(product.pk), {"sku": "SAME", "name": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert Product.objects.get(pk=product.pk).name == "Renamed"


def test_put_replaces_catalogue_fields(warehouse_api: APIClient) -> None:
    product = ProductFactory(stock=2)
    replacement = {"sku": "NEW-SKU", "name": "New", "description": "d", "price": "1300", "currency": "JPY",
                   "active": False}
    response = warehouse_api.put(product_url(product.pk), replacement, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in replacement} == replacement
    assert body["stock_quantity"] == 2
    stored = Product.objects.get(pk=product.pk)
    assert (stored.sku, stored.currency, stored.price, stored.is_active) == ("NEW-SKU", "JPY", Decimal(1300), False)


def test_patch_unknown_product_is_404(warehouse_api: APIClient) -> None:
    ProductFactory()
    before = snapshot()
    assert_problem(warehouse_api.patch(product_url("prod_nope"), {"name": "x"}, format="json"), 404, "not_found")
    assert_problem(warehouse_api.get(product_url(CustomerFactory().pk)), 404, "not_found")
    assert snapshot() == before


# --- variants -------------------------------------------------------------------------------------------


def test_creating_a_variant_marks_the_parent(warehouse_api: APIClient) -> None:
    # given a product without stock
    parent = ProductFactory()
    assert warehouse_api.get(product_url(parent.pk)).json()["has_variants"] is False
    # when a variant of it is created (with its own stock)
    response = warehouse_api.post(URL, payload(parent_id=parent.pk, stock_quantity=3), format="json")
    # then the variant points at the parent, and the parent has variants
    assert response.status_code == 201, response.content
    variant = response.json()
    assert variant["parent_id"] == parent.pk
    assert variant["has_variants"] is False
    assert variant["stock_quantity"] == 3
    assert warehouse_api.get(product_url(parent.pk)).json()["has_variants"] is True
    listed = {row["id"]: row["has_variants"] for row in warehouse_api.get(URL).json()["results"]}
    assert listed == {parent.pk: True, variant["id"]: False}


def test_a_variant_cannot_have_variants(warehouse_api: APIClient) -> None:
    # given a parent and its variant
    parent = ProductFactory()
    variant = ProductFactory(parent=parent)
    before = snapshot()
    # when a product is created under the variant
    body = assert_problem(warehouse_api.post(URL, payload(parent_id=variant.pk), format="json"), 400,
                          "validation_error")
    # then parent_id is named and nothing is created
    assert error_fields(body) == ["parent_id"]
    assert snapshot() == before


def test_a_parent_with_stock_is_refused_with_422(warehouse_api: APIClient) -> None:
    # given a product holding stock
    parent = ProductFactory(stock=2)
    before = snapshot()
    # when a variant of it is created
    body = assert_problem(warehouse_api.post(URL, payload(parent_id=parent.pk), format="json"), 422,
                          "product_has_stock")
    # then the problem names the parent and nothing is created
    assert body["product_id"] == parent.pk
    assert snapshot() == before


def test_a_product_with_variants_cannot_become_a_variant(warehouse_api: APIClient) -> None:
    parent = ProductFactory()
    ProductFactory(parent=parent)
    other = ProductFactory()
    before = snapshot()
    body = assert_problem(warehouse_api.patch(product_url(parent.pk), {"parent_id": other.pk}, format="json"),
                          400, "validation_error")
    assert error_fields(body) == ["parent_id"]
    assert snapshot() == before


def test_unknown_parent_is_400(warehouse_api: APIClient) -> None:
    customer = CustomerFactory()
    for parent_id in ("prod_01ARZ3NDEKTSV4RRFFQ69G5FAV", customer.pk, "x" * 41):
        body = assert_problem(warehouse_api.post(URL, payload(parent_id=parent_id), format="json"), 400,
                              "validation_error")
        assert error_fields(body) == ["parent_id"]
    assert snapshot() == ([], [])


# --- list: filters, sorting -----------------------------------------------------------------------------


def _skus(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["sku"] for row in response.json()["results"]]


@pytest.fixture
def catalogue() -> dict[str, Product]:
    parent = ProductFactory(sku="SHIRT", name="Shirt", price=Decimal("20.00"))
    return {
        "parent": parent,
        "small": ProductFactory(sku="SHIRT-S", name="Shirt small", parent=parent, stock=2,
                                price=Decimal("25.00")),
        "large": ProductFactory(sku="SHIRT-L", name="Shirt large", parent=parent, stock=9,
                                price=Decimal("30.00")),
        "mug": ProductFactory(sku="MUG", name="Coffee mug", stock=3, price=Decimal("7.50"), inactive=True),
        "yen": ProductFactory(sku="TEA-JP", name="Green tea", stock=50, jpy=True),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sku": "SHIRT"}, ["SHIRT"]),
        ({"sku": "shirt"}, ["SHIRT"]),  # SKUs are unique and matched in any case
        ({"active": "false"}, ["MUG"]),
        ({"active": "true"}, ["SHIRT", "SHIRT-L", "SHIRT-S", "TEA-JP"]),
        ({"currency": "JPY"}, ["TEA-JP"]),
        ({"parent_id": "PARENT"}, ["SHIRT-L", "SHIRT-S"]),
        ({"stock_lte": 3}, ["MUG", "SHIRT", "SHIRT-S"]),
        ({"stock_lte": 0}, ["SHIRT"]),
        ({"search": "shirt"}, ["SHIRT", "SHIRT-L", "SHIRT-S"]),
        ({"search": "MUG"}, ["MUG"]),
        ({"search": "tea-j"}, ["TEA-JP"]),
        ({"search": "green"}, ["TEA-JP"]),
        ({"currency": "USD", "stock_lte": 5, "active": "true"}, ["SHIRT", "SHIRT-S"]),
    ],
)
def test_list_filters(warehouse_api: APIClient, catalogue: dict[str, Product], params: dict, expected: list) -> None:
    if params.get("parent_id") == "PARENT":
        params = {"parent_id": catalogue["parent"].pk}
    assert sorted(_skus(warehouse_api.get(URL, params))) == expected


def test_list_sorts(warehouse_api: APIClient, catalogue: dict[str, Product]) -> None:
    usd = {"currency": "USD"}
    assert _skus(warehouse_api.get(URL, {**usd, "sort": "price"})) == ["MUG", "SHIRT", "SHIRT-S", "SHIRT-L"]
    assert _skus(warehouse_api.get(URL, {**usd, "sort": "-price"})) == ["SHIRT-L", "SHIRT-S", "SHIRT", "MUG"]
    assert _skus(warehouse_api.get(URL, {"sort": "-stock_quantity"})) == [
        "TEA-JP", "SHIRT-L", "MUG", "SHIRT-S", "SHIRT"]
    assert _skus(warehouse_api.get(URL, {"sort": "sku"})) == ["MUG", "SHIRT", "SHIRT-L", "SHIRT-S", "TEA-JP"]
    # default: newest first
    assert _skus(warehouse_api.get(URL)) == ["TEA-JP", "MUG", "SHIRT-L", "SHIRT-S", "SHIRT"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "bogus"}, "sort"),
        ({"sort": "has_variants"}, "sort"),
        ({"sort": "price,-description"}, "sort"),
        ({"stock_lte": "lots"}, "stock_lte"),
    ],
)
def test_list_with_invalid_parameters_is_400(warehouse_api: APIClient, catalogue: dict, params: dict,
                                             field: str) -> None:
    body = assert_problem(warehouse_api.get(URL, params), 400, "validation_error")
    assert body["errors"][0]["field"] == field


def test_list_pages_with_limit(warehouse_api: APIClient, catalogue: dict[str, Product]) -> None:
    first = warehouse_api.get(URL, {"limit": 2, "sort": "sku"}).json()
    assert [row["sku"] for row in first["results"]] == ["MUG", "SHIRT"]
    second = warehouse_api.get(first["next"]).json()
    assert [row["sku"] for row in second["results"]] == ["SHIRT-L", "SHIRT-S"]
    third = warehouse_api.get(second["next"]).json()
    assert [row["sku"] for row in third["results"]] == ["TEA-JP"]
    assert third["next"] is None


def test_list_query_count_does_not_grow_with_the_page_size(
    warehouse_api: APIClient, django_assert_max_num_queries: Any
) -> None:
    # given a warmed-up token and products with and without variants
    warehouse_api.get(URL)
    parent = ProductFactory()
    ProductFactory.create_batch(4, parent=parent, stock=1)
    # when listing a page of 5, then (with 100 products) a page of 100
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        assert len(warehouse_api.get(URL, {"limit": 5}).json()["results"]) == 5
    ProductFactory.create_batch(95, stock=2)
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        rows = warehouse_api.get(URL, {"limit": 100}).json()["results"]
    # then both pages stay within the same budget (has_variants is annotated, not queried per row)
    assert len(rows) == 100
    assert sum(row["has_variants"] for row in rows) == 1


# --- roles ----------------------------------------------------------------------------------------------


def test_warehouse_may_create_update_adjust_and_view_movements(warehouse_api: APIClient) -> None:
    created = warehouse_api.post(URL, payload(stock_quantity=5), format="json")
    assert created.status_code == 201
    product_id = created.json()["id"]
    assert warehouse_api.patch(product_url(product_id), {"name": "Renamed"}, format="json").status_code == 200
    adjusted = warehouse_api.post(product_url(product_id, "/adjustments"),
                                  {"quantity_delta": 1, "reason": "found one"}, format="json")
    assert adjusted.status_code == 201
    movements = warehouse_api.get(product_url(product_id, "/movements"))
    assert movements.status_code == 200
    assert [m["kind"] for m in movements.json()["results"]] == ["initial", "adjustment"]
    assert Product.objects.get(pk=product_id).stock_quantity == 6


@pytest.mark.parametrize("role", ["sales", "finance"])
def test_sales_and_finance_may_only_view_products(client_for: Callable[..., APIClient], role: str) -> None:
    # given a product with stock, and a user of a role that may only view products
    product = ProductFactory(stock=5)
    api = client_for(role)
    before = snapshot()
    # then products can be listed and read
    assert [row["id"] for row in api.get(URL).json()["results"]] == [product.pk]
    assert api.get(product_url(product.pk)).json()["stock_quantity"] == 5
    # but not created, changed, adjusted, nor their ledger read
    assert_problem(api.post(URL, payload(), format="json"), 403, "permission_denied")
    assert_problem(api.patch(product_url(product.pk), {"name": "x"}, format="json"), 403, "permission_denied")
    assert_problem(api.post(product_url(product.pk, "/adjustments"), {"quantity_delta": -1, "reason": "x"},
                            format="json"), 403, "permission_denied")
    assert_problem(api.get(product_url(product.pk, "/movements")), 403, "permission_denied")
    # and nothing changed
    assert snapshot() == before


def test_user_without_a_role_cannot_list_products(client_for: Callable[..., APIClient]) -> None:
    ProductFactory()
    assert_problem(client_for().get(URL), 403, "permission_denied")
