"""Two parcels from two warehouses in a real browser (Debian's Chromium, driven by Playwright), by clicking only:
a warehouse user signs in, opens a processing order from "To ship", ships its first product from one warehouse
and its second from the other with "Ship some lines…", then delivers the parcels one by one (the first from the
order's "Parcels" tab, the second from the "Parcels" list). Every page reached is checked with
``assert_page_sound`` (no 403, 404 or 500, every field drawn as a field)."""

from __future__ import annotations

from typing import Any

from sales.models import Order, OrderStatus, Shipment
from tests.admin.helpers import (
    BROWSER_TEST,
    PASSWORD,
    assert_page_sound,
    message,
    open_row,
    press,
    shot,
    sidebar,
    sign_in,
    tab,
)
from tests.factories import UserFactory
from tests.sales.shipment_helpers import two_warehouse_order

pytestmark = BROWSER_TEST


def ship_some_lines(page: Any, order: Order, *, warehouse: Any, product_id: str, quantity: int,
                    tracking: str) -> None:
    press(page, "[data-action=ship-lines]")
    line = order.lines.get(product_id=product_id)
    page.select_option("#id_warehouse", warehouse.pk)
    page.fill(f"#id_quantity_{line.pk}", str(quantity))
    page.fill("#id_tracking_number", tracking)
    page.fill("#id_carrier", "DHL")
    shot(page, f"shipments-form-{tracking}")
    press(page, "[data-submit=action]")


def test_a_warehouse_user_ships_an_order_in_two_parcels(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    # given a processing order of 2 A (allocated in EAST) and 3 B (allocated in WEST), and a warehouse login
    order, east, west, a, b = two_warehouse_order()
    UserFactory(username="wes", staff=True, roles=["warehouse"], password=PASSWORD)

    # when the warehouse opens it from "To ship" and ships A from EAST
    sign_in(page, live_server, "wes")
    sidebar(page, "To ship")
    open_row(page, order.order_number)
    ship_some_lines(page, order, warehouse=east, product_id=a, quantity=2, tracking="1Z-EAST")
    # then the parcel is recorded and the order waits for the rest
    assert "Parcel DHL 1Z-EAST" in message(page, "success")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PROCESSING

    # when B ships from WEST
    ship_some_lines(page, order, warehouse=west, product_id=b, quantity=3, tracking="1Z-WEST")
    # then the order has shipped, in two parcels
    assert "Parcel DHL 1Z-WEST" in message(page, "success")
    shot(page, "shipments-order-shipped")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert sorted(Shipment.objects.filter(order=order).values_list("warehouse_id", "tracking_number")) == sorted(
        [(east.pk, "1Z-EAST"), (west.pk, "1Z-WEST")])

    # when the first parcel is opened from the order's Parcels tab and marked delivered
    tab(page, "Parcels")
    page.locator("#content a, main a", has_text="DHL 1Z-EAST").first.click()
    page.wait_for_load_state()
    assert_page_sound(page)
    press(page, "[data-move=delivered]")
    assert "Shipment DHL 1Z-EAST delivered." in message(page, "success")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED

    # and the second from the Parcels list
    sidebar(page, "Parcels")
    open_row(page, "DHL 1Z-WEST")
    press(page, "[data-move=delivered]")
    assert "Shipment DHL 1Z-WEST delivered." in message(page, "success")
    shot(page, "shipments-delivered")

    # then the order is delivered, every parcel with it
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {"delivered"}
