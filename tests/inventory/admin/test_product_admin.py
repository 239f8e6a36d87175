"""The products back-office: stock and price in the list, the low-stock filter, variants and the stock
ledger on the product page, and the stock-adjustment form (warehouse only). Given / when / then."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from inventory.models import Product, StockMovement
from tests.admin.helpers import data_attrs, form_errors, management, messages_text, page_form
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/inventory/product/"


def url(product: Product, suffix: str = "change/") -> str:
    return f"/admin/inventory/product/{quote(product.pk)}/{suffix}"


def ledger(product: Product) -> list[tuple[str, int, int, str]]:
    return list(StockMovement.objects.filter(product=product).order_by("id")
                .values_list("kind", "quantity_delta", "balance_after", "reason"))


@pytest.fixture
def catalogue() -> dict[str, Product]:
    """A shirt with variants (the parent holds no stock), and single products with stock 0, 5, 6 and 40."""
    shirt = ProductFactory(sku="TEE", name="Logo T-shirt", price=Decimal("19.00"))
    return {
        "parent": shirt,
        "tee-s": ProductFactory(sku="TEE-S", parent=shirt, price=Decimal("19.00"), stock=2),
        "tee-m": ProductFactory(sku="TEE-M", parent=shirt, price=Decimal("19.00"), stock=60),
        "out": ProductFactory(sku="CABLE", stock=0),
        "at-threshold": ProductFactory(sku="LAMP-LED", price=Decimal("39.50"), stock=5),
        "above": ProductFactory(sku="CHAIR-ERG", stock=6),
        "plenty": ProductFactory(sku="DESK-STD", price=Decimal("129.99"), stock=40),
    }


def listed(client: Client, query: str = "") -> set[str]:
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    return {product.sku for product in response.context["cl"].result_list}


def test_list_shows_stock_and_price(warehouse_client: Client, catalogue: dict[str, Product]) -> None:
    response = warehouse_client.get(CHANGELIST)
    page = response.content.decode()
    row = next(r for r in page.split("<tr") if "DESK-STD" in r)
    assert "129.99" in row and "USD" in row and ">40<" in row
    row = next(r for r in page.split("<tr") if "LAMP-LED" in r)
    assert "39.50" in row and ">5<" in row
    headers = page.split("<thead>")[1].split("</thead>")[0].lower()
    assert "stock quantity" in headers and "price" in headers


def test_low_stock_filter(warehouse_client: Client, catalogue: dict[str, Product], settings: object) -> None:
    # given the threshold of 5 (the default)
    settings.LOW_STOCK_THRESHOLD = 5  # type: ignore[attr-defined]
    # then "low" lists sellable products at or under it (not the shirt, which is only a grouping)
    assert listed(warehouse_client, "stock=low") == {"TEE-S", "CABLE", "LAMP-LED"}
    # and "out" lists those with none
    assert listed(warehouse_client, "stock=out") == {"CABLE"}
    # and without the filter, everything
    assert listed(warehouse_client) == {"TEE", "TEE-S", "TEE-M", "CABLE", "LAMP-LED", "CHAIR-ERG", "DESK-STD"}

    # when the threshold is raised, the filter follows it
    settings.LOW_STOCK_THRESHOLD = 6  # type: ignore[attr-defined]
    assert listed(warehouse_client, "stock=low") == {"TEE-S", "CABLE", "LAMP-LED", "CHAIR-ERG"}


def test_parent_page_shows_its_variants_and_a_variant_its_parent(
    warehouse_client: Client, catalogue: dict[str, Product]
) -> None:
    # when the warehouse opens the shirt
    response = warehouse_client.get(url(catalogue["parent"]))
    page = response.content.decode()
    # then its variants are listed inline, linked, with their stock, and not editable
    assert response.status_code == 200
    for variant in ("tee-s", "tee-m"):
        assert f'href="{url(catalogue[variant])}"' in page
    variants = page.split('id="variants-group"')[1].split('id="movements-group"')[0]
    assert "TEE-S" in variants and "TEE-M" in variants and ">60<" in variants
    data = page_form(response, "product_form")
    assert not [name for name in data if name.startswith("variants-0-") and name not in ("variants-0-id",
                                                                                            "variants-0-parent")]
    # and a variant's page names its parent
    page = warehouse_client.get(url(catalogue["tee-m"])).content.decode()
    assert "TEE Logo T-shirt" in page


def test_product_page_shows_the_stock_ledger(warehouse_client: Client) -> None:
    # given a product with stock 10 and an order confirmed for 3 of it
    product = ProductFactory(sku="DESK-STD", stock=10)
    order = OrderFactory(status="confirmed", lines=[(product, 3)])
    # when the warehouse opens it
    response = warehouse_client.get(url(product))
    # then the ledger rows are shown read-only: the initial stock and the reservation with its order (by its
    # number, linked; never its id)
    ledger_html = response.content.decode().split('id="movements-group"')[1]
    for text in ("Initial stock", "initial stock", "Reserved for an order", "-3", f"order {order.order_number}",
                 f'href="/admin/sales/order/{quote(order.pk)}/change/">{order.order_number}</a>'):
        assert text in ledger_html, text
    assert order.pk not in ledger_html.replace(quote(order.pk), "")
    data = page_form(response, "product_form")
    assert not [name for name in data if name.startswith("movements-0-") and name not in ("movements-0-id",
                                                                                          "movements-0-product")]


def test_stock_adjustment_writes_a_ledger_row_with_the_reason(warehouse_client: Client) -> None:
    # given a product with stock 4 and a warehouse user, who sees the adjust link
    product = ProductFactory(sku="DESK-STD", stock=4)
    assert "adjust-stock" in data_attrs(warehouse_client.get(url(product)), "action")
    form = warehouse_client.get(url(product, "adjust-stock/"))
    assert form.status_code == 200 and "now 4" in form.content.decode()

    # when adding 6 received units
    response = warehouse_client.post(url(product, "adjust-stock/"),
                                     {"quantity_delta": "6", "reason": "goods received"}, follow=True)

    # then stock is 10 with a ledger row (delta, balance, reason, who), shown on the page
    assert response.status_code == 200
    assert f"Stock of DESK-STD {product.name} adjusted by +6." in messages_text(response, "success")
    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert ledger(product)[-1] == ("adjustment", 6, 10, "goods received")
    assert StockMovement.objects.filter(product=product).latest("id").actor == warehouse_client.user
    assert "goods received" in response.content.decode()

    # when removing 3 damaged units, then 7
    warehouse_client.post(url(product, "adjust-stock/"), {"quantity_delta": "-3", "reason": "damaged"})
    product.refresh_from_db()
    assert product.stock_quantity == 7
    assert ledger(product)[-1] == ("adjustment", -3, 7, "damaged")


def test_stock_adjustment_below_zero_is_refused(warehouse_client: Client) -> None:
    # given a product with stock 4
    product = ProductFactory(stock=4)
    before = ledger(product)

    # when removing 5
    response = warehouse_client.post(url(product, "adjust-stock/"), {"quantity_delta": "-5", "reason": "count"})

    # then the form is shown again with the reason, and nothing was written
    assert response.status_code == 200
    assert "Not enough stock" in messages_text(response, "error")
    assert "(requested 5, available 4)" in messages_text(response, "error")
    product.refresh_from_db()
    assert product.stock_quantity == 4
    assert ledger(product) == before


@pytest.mark.parametrize(
    ("data", "error"),
    [({"quantity_delta": "0", "reason": "count"}, "Must not be zero."),
     ({"quantity_delta": "3", "reason": ""}, "This field is required."),
     ({"quantity_delta": "1.5", "reason": "count"}, "Enter a whole number.")],
)
def test_stock_adjustment_form_errors(warehouse_client: Client, data: dict[str, str], error: str) -> None:
    product = ProductFactory(stock=4)
    before = ledger(product)
    response = warehouse_client.post(url(product, "adjust-stock/"), data)
    assert response.status_code == 200
    assert error in form_errors(response)
    assert ledger(product) == before


def test_stock_adjustment_of_a_product_with_variants_is_refused(
    warehouse_client: Client, catalogue: dict[str, Product]
) -> None:
    parent = catalogue["parent"]
    response = warehouse_client.post(url(parent, "adjust-stock/"), {"quantity_delta": "5", "reason": "count"})
    assert response.status_code == 200
    assert "has variants" in messages_text(response, "error")
    parent.refresh_from_db()
    assert parent.stock_quantity == 0 and ledger(parent) == []


@pytest.mark.parametrize("role", ["sales", "finance"])
def test_only_the_warehouse_adjusts_stock(login: Callable[..., Client], role: str) -> None:
    # given a product and a sales or finance user, who may view it
    product = ProductFactory(stock=4)
    client = login(role)
    response = client.get(url(product))
    assert response.status_code == 200
    # then there is no adjust link, and the form is forbidden both ways, nothing written
    assert "adjust-stock" not in data_attrs(response, "action")
    assert client.get(url(product, "adjust-stock/")).status_code == 403
    assert client.post(url(product, "adjust-stock/"), {"quantity_delta": "5", "reason": "x"}).status_code == 403
    product.refresh_from_db()
    assert product.stock_quantity == 4 and len(ledger(product)) == 1


def test_warehouse_edits_a_product_but_not_its_stock(warehouse_client: Client) -> None:
    # given a product with stock 4
    product = ProductFactory(sku="DESK-STD", stock=4)
    data = page_form(warehouse_client.get(url(product)), "product_form")

    # when the warehouse renames it and posts a stock figure too
    data.update({"name": "Standing desk (oak)", "stock_quantity": "999", "_save": "Save"})
    response = warehouse_client.post(url(product), data)

    # then the name changed (through the service), the stock did not
    assert response.status_code == 302, form_errors(response)
    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == ("Standing desk (oak)", 4)


def test_sales_may_not_edit_products(sales_client: Client) -> None:
    product = ProductFactory(sku="DESK-STD", name="Desk", stock=4)
    data = {"sku": "DESK-STD", "name": "Hacked", "description": "", "price": "1.00", "currency": "USD",
            "is_active": "on", **management("movements", 0, 1), **management("variants")}
    assert sales_client.post(url(product), data).status_code == 403
    product.refresh_from_db()
    assert (product.name, product.price) == ("Desk", Decimal("129.99"))
