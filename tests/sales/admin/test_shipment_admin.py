"""Shipments in the back-office, reached by clicking from the index: a warehouse user ships a processing order in
two parcels from two warehouses with "Ship some lines…", follows each parcel from the order's "Parcels" tab and
delivers it; a refused parcel changes nothing; the pick lists show what each warehouse still has to pick."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from sales.models import Order, OrderStatus, Shipment
from tests.admin.helpers import button_link, data_attrs, hidden_form, messages_text, page_form
from tests.admin.navigation import click, link, open_from_index, text_of
from tests.sales.shipment_helpers import shipping_state, two_warehouse_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def split() -> tuple[Order, Any, Any, str, str]:
    return two_warehouse_order()


def ship_lines(client: Client, order_page: Any, order: Order, *, warehouse: Any, quantities: dict[str, int],
               tracking: str) -> Any:
    """Press "Ship some lines…", fill the form (warehouse, a quantity per product, tracking, carrier), submit."""
    form_page = client.get(button_link(order_page, "action", "ship-lines"))
    assert form_page.status_code == 200
    data = page_form(form_page, "action-form")
    lines = {line.product_id: line.pk for line in order.lines.all()}
    data.update({"warehouse": warehouse.pk, "tracking_number": tracking, "carrier": "DHL",
                 **{f"quantity_{lines[product]}": str(quantity) for product, quantity in quantities.items()}})
    token = form_page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    return client.post(button_link(order_page, "action", "ship-lines"), {**data, "csrfmiddlewaretoken": token},
                       follow=True)


def test_a_warehouse_user_ships_in_two_parcels_and_delivers_them(split: Any, login: Callable[..., Client]) -> None:
    order, east, west, a, b = split
    client = login("warehouse")
    # when the warehouse opens the order from "To ship" and ships A from east
    page = open_from_index(client, "To ship", order.order_number)
    assert "ship-lines" in data_attrs(page, "action")
    done = ship_lines(client, page, order, warehouse=east, quantities={a: 2}, tracking="1Z-EAST")
    # then the parcel is recorded and the order is still processing, partially shipped
    assert "Parcel DHL 1Z-EAST" in messages_text(done, "success")
    assert Order.objects.get(pk=order.pk).fulfilment_status == "partially_shipped"
    # when B ships from west
    done = ship_lines(client, done, order, warehouse=west, quantities={b: 3}, tracking="1Z-WEST")
    # then the order has shipped, and its Parcels tab links both parcels
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert all("/admin/sales/shipment/" in link(done, f"DHL {tracking}") for tracking in ("1Z-EAST", "1Z-WEST"))
    # when each parcel is opened from the order's page and marked delivered
    for tracking in ("1Z-EAST", "1Z-WEST"):
        parcel_page = click(client, done, f"DHL {tracking}")
        url, data = hidden_form(parcel_page, "move-delivered")
        delivered = client.post(url, data, follow=True)
        assert f"Shipment DHL {tracking} delivered." in messages_text(delivered, "success")
        done = click(client, delivered, order.order_number)
    # then the order is delivered
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {"delivered"}


def test_a_refused_parcel_changes_nothing(split: Any, login: Callable[..., Client]) -> None:
    order, _east, west, a, _b = split
    client = login("warehouse")
    page = open_from_index(client, "To ship", order.order_number)
    before = shipping_state(order.pk)
    # when A is shipped from west, where none of it is allocated
    done = ship_lines(client, page, order, warehouse=west, quantities={a: 1}, tracking="1Z-WRONG")
    # then the refusal says so and nothing changed
    assert "shippable" in messages_text(done, "error")
    assert shipping_state(order.pk) == before


def test_only_the_warehouse_ships_and_only_processing_orders(split: Any, login: Callable[..., Client]) -> None:
    order, *_rest = split
    sales = login("sales")
    page = open_from_index(sales, "Orders", order.order_number)
    assert "ship-lines" not in data_attrs(page, "action")
    assert sales.get(f"/admin/sales/order/{order.pk}/ship-lines/").status_code == 403


def test_the_pick_lists_show_what_each_warehouse_still_picks(split: Any, login: Callable[..., Client]) -> None:
    order, east, west, a, _b = split
    client = login("warehouse")
    lists = click(client, client.get("/admin/"), "Pick lists")
    east_list = click(client, lists, str(east))
    rows = [text_of(row) for row in east_list.content.decode().split("data-pick-row=")[1:]]
    assert len(rows) == 1 and f"{order.order_number}" in rows[0] and "SHP-A" in rows[0]
    assert "2 units to pick" in text_of(east_list.content.decode())
    # once A has shipped from east, east has nothing left to pick; west still has B
    page = open_from_index(client, "To ship", order.order_number)
    ship_lines(client, page, order, warehouse=east, quantities={a: 2}, tracking="1Z-EAST")
    assert "Nothing to pick here." in text_of(click(client, lists, str(east)).content.decode())
    west_list = click(client, lists, str(west))
    assert "3 units to pick" in text_of(west_list.content.decode()) and "SHP-B" in west_list.content.decode()
    assert link(west_list, order.order_number).endswith(f"/admin/sales/order/{order.pk}/change/")


def test_the_parcels_list_is_reached_from_the_index(split: Any, login: Callable[..., Client]) -> None:
    order, east, _west, a, _b = split
    client = login("warehouse")
    ship_lines(client, open_from_index(client, "To ship", order.order_number), order, warehouse=east,
               quantities={a: 1}, tracking="1Z-LIST")
    parcel = open_from_index(client, "Parcels", "DHL 1Z-LIST")
    assert order.order_number in text_of(parcel.content.decode())
    assert "delivered" in data_attrs(parcel, "move")
