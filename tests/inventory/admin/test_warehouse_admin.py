"""Warehouses in the back-office, reached by clicking from the admin index: the warehouse role adds one, sees
stock by warehouse on a product's page, adjusts stock in a chosen warehouse and transfers stock between two; sales
reads warehouses but neither changes them nor transfers. Given / when / then."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from inventory.models import StockMovement, Warehouse
from inventory.selectors import stock_ledger_mismatches, warehouse_ledger_mismatches
from inventory.services import warehouse_default
from tests.admin.helpers import button_link, data_attrs, messages_text
from tests.admin.navigation import click, open_from_index, text_of
from tests.factories import ProductFactory, WarehouseFactory
from tests.inventory.helpers import held, snapshot

pytestmark = pytest.mark.django_db


def inline_rows(response, title: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of the page's inline table headed ``title`` (its rows, as read)."""
    page = response.content.decode()
    start = page.find(title)
    assert start >= 0, f"no {title!r} on the page"
    return [text_of(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page[start:start + 20000], re.S)]


def test_a_warehouse_user_adds_a_warehouse_by_clicking(warehouse_client: Client) -> None:
    # given the warehouses list, reached from the index
    listing = click(warehouse_client, warehouse_client.get("/admin/"), "Warehouses")
    assert "MAIN" in listing.content.decode()
    # when the add form is filled in and saved
    add = re.search(r'<a href="([^"]+)"[^>]*title="Add warehouse"', listing.content.decode())
    assert add, "no 'Add warehouse' button"
    assert warehouse_client.get(add.group(1)).status_code == 200
    response = warehouse_client.post(add.group(1), {
        "code": "BER-1", "name": "Berlin", "address": "Hafenstr. 1", "priority": "5", "is_active": "on",
        "stocks-TOTAL_FORMS": "0", "stocks-INITIAL_FORMS": "0",
    }, follow=True)
    # then it exists, made through the service
    assert response.status_code == 200
    warehouse = Warehouse.objects.get(code="BER-1")
    assert (warehouse.name, warehouse.priority, warehouse.is_active, warehouse.is_default) == ("Berlin", 5, True,
                                                                                               False)


def test_a_warehouse_user_transfers_stock_from_the_product_page(warehouse_client: Client) -> None:
    # given a product with 6 in the default warehouse and a second warehouse
    product, other, default = ProductFactory(sku="DESK-STD", stock=6), WarehouseFactory(code="BER-1"), \
        warehouse_default()
    # when the product's page is opened from the index, and "Transfer stock…" pressed
    page = open_from_index(warehouse_client, "Products", "DESK-STD")
    assert any("MAIN" in row and "6" in row for row in inline_rows(page, "Stock by warehouse"))
    assert {"adjust-stock", "transfer-stock"} <= data_attrs(page, "action")
    transfer = button_link(page, "action", "transfer-stock")
    form = warehouse_client.get(transfer)
    assert form.status_code == 200 and "MAIN: 6" in form.content.decode()
    response = warehouse_client.post(transfer, {"from_warehouse": default.pk, "to_warehouse": other.pk,
                                                "quantity": "4", "reason": "rebalance"}, follow=True)
    # then the stock moved, said so, and the product page shows both warehouses
    assert "4 of DESK-STD moved from MAIN to BER-1." in messages_text(response, "success")
    assert (held(product.pk, default.pk), held(product.pk, other.pk)) == (2, 4)
    rows = inline_rows(response, "Stock by warehouse")
    assert any("BER-1" in row and "4" in row for row in rows)
    assert stock_ledger_mismatches() == [] and warehouse_ledger_mismatches() == []


def test_a_transfer_of_more_than_held_is_refused_and_changes_nothing(warehouse_client: Client) -> None:
    ProductFactory(sku="LAMP", stock=2)
    other = WarehouseFactory(code="BER-1")
    page = open_from_index(warehouse_client, "Products", "LAMP")
    before = snapshot()
    response = warehouse_client.post(button_link(page, "action", "transfer-stock"), {
        "from_warehouse": warehouse_default().pk, "to_warehouse": other.pk, "quantity": "3", "reason": "x"})
    assert response.status_code == 200
    assert "Not enough stock" in messages_text(response, "error")
    assert snapshot() == before


def test_an_adjustment_in_a_chosen_warehouse(warehouse_client: Client) -> None:
    product, other = ProductFactory(sku="CHAIR", stock=1), WarehouseFactory(code="BER-1")
    page = open_from_index(warehouse_client, "Products", "CHAIR")
    response = warehouse_client.post(button_link(page, "action", "adjust-stock"), {
        "quantity_delta": "5", "reason": "goods received", "warehouse": other.pk}, follow=True)
    assert "adjusted by +5" in messages_text(response, "success")
    assert held(product.pk, other.pk) == 5
    assert StockMovement.objects.filter(product=product).latest("id").warehouse_id == other.pk


def test_sales_reads_warehouses_but_neither_changes_them_nor_transfers(sales_client: Client) -> None:
    # given a product and a warehouse
    product, other = ProductFactory(sku="DESK-STD", stock=6), WarehouseFactory(code="BER-1")
    # then sales opens the warehouse from the index, read-only, and the product page offers no transfer
    page = open_from_index(sales_client, "Warehouses", "BER-1")
    assert 'name="code"' not in page.content.decode()
    assert "transfer-stock" not in data_attrs(open_from_index(sales_client, "Products", "DESK-STD"), "action")
    before = snapshot()
    refused = sales_client.post(f"/admin/inventory/product/{product.pk}/transfer-stock/", {
        "from_warehouse": warehouse_default().pk, "to_warehouse": other.pk, "quantity": "1", "reason": "x"})
    assert refused.status_code == 403
    assert snapshot() == before
