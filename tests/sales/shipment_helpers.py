"""Shared by the shipment tests: two warehouses with stock placed in each, a processing order whose lines were
allocated from both, the URLs and bodies of the shipment API, and a snapshot of every row shipping may touch."""

from __future__ import annotations

from typing import Any

from integrations.models import Event
from inventory import services as inventory_services
from inventory.models import Warehouse
from sales import services
from sales.models import Order, OrderEvent, OrderStatus, Shipment, ShipmentEvent, ShipmentLine
from tests.factories import OrderFactory, ProductFactory, WarehouseFactory

SHIPMENTS_URL = "/api/v1/sales/shipments"
SHIPMENT_FIELDS = {"id", "order_id", "warehouse_id", "status", "tracking_number", "carrier", "lines",
                   "allowed_statuses", "shipped_at", "delivered_at", "created_at", "updated_at"}


def shipment_url(shipment_id: str, suffix: str = "") -> str:
    return f"{SHIPMENTS_URL}/{shipment_id}{suffix}"


def order_shipments_url(order_id: str) -> str:
    return f"/api/v1/sales/orders/{order_id}/shipments"


def shipment_body(warehouse_id: str, *lines: tuple[str, int], tracking: str = "1Z-PARCEL-1",
                  carrier: str = "UPS") -> dict[str, Any]:
    return {"warehouse_id": warehouse_id, "lines": [{"product_id": p, "quantity": q} for p, q in lines],
            "tracking_number": tracking, "carrier": carrier}


def warehouse(code: str, priority: int) -> Warehouse:
    return WarehouseFactory(code=code, name=f"Warehouse {code}", priority=priority)


def default_warehouse() -> Warehouse:
    return Warehouse.objects.get(is_default=True)


def place_stock(product: Any, where: Warehouse, quantity: int) -> None:
    """Receive ``quantity`` of ``product`` into ``where`` (an adjustment through the service, with its ledger row)."""
    inventory_services.stock_adjust(product=product, quantity_delta=quantity, reason="goods received", actor=None,
                                    warehouse=where)


def two_warehouse_order() -> tuple[Order, Warehouse, Warehouse, str, str]:
    """A processing order of 2 A and 3 B where A is held only in the first warehouse and B only in the second:
    confirmation allocated A from one and B from the other. Returns the order, the warehouses, A and B."""
    east, west = warehouse("EAST", 10), warehouse("WEST", 20)
    a, b = ProductFactory(sku="SHP-A", stock=0), ProductFactory(sku="SHP-B", stock=0)
    place_stock(a, east, 5)
    place_stock(b, west, 5)
    order = OrderFactory(lines=[(a, 2), (b, 3)])
    services.order_confirm(order_id=order.pk, actor=None)
    services.order_start_processing(order_id=order.pk, actor=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    return order, east, west, a.pk, b.pk


def shipping_state(order_id: str) -> dict[str, Any]:
    """Every row shipping may touch, to show that a refused request changed nothing."""
    return {
        "order": list(Order.objects.filter(pk=order_id).values()),
        "history": list(OrderEvent.objects.filter(order_id=order_id).order_by("id").values()),
        "shipments": list(Shipment.objects.order_by("id").values()),
        "shipment_lines": list(ShipmentLine.objects.order_by("id").values()),
        "shipment_history": list(ShipmentEvent.objects.order_by("id").values()),
        "events": list(Event.objects.order_by("sequence").values_list("type", "object_id")),
    }


def event_types(object_id: str) -> list[str]:
    return list(Event.objects.filter(object_id=object_id).order_by("sequence").values_list("type", flat=True))
