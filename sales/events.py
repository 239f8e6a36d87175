"""What sales publishes: customers created and changed, every step of an order — created, draft edits, each
status it reaches, holds placed and released — every step of a return and of a shipment. Objects are rendered as the API
renders them (an order or a return with its lines; ``allowed_statuses`` are the moves possible now, whoever may
make them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from integrations.events import previous_attributes, publish, register_event_types

from . import selectors
from .models import Customer, Order, OrderStatus, Return, Shipment, return_with_lines, with_lines
from .representations import (
    customer_representation,
    order_representation_for_event,
    order_representation_written,
    order_representations,
    return_representation,
    shipment_representation,
)

register_event_types({
    "customer.created": "A customer was created.",
    "customer.updated": "A customer's details changed.",
    "order.created": "A draft order was created.",
    "order.updated": "A draft's lines or shipping address changed.",
    "order.confirmed": "An order was confirmed (stock reserved, invoice created).",
    "order.processing": "The warehouse picked an order up.",
    "order.shipped": "An order left the warehouse (tracking number and carrier).",
    "order.delivered": "An order was delivered.",
    "order.closed": "An order was closed (its invoice issued if it was a draft).",
    "order.cancelled": "An order was cancelled (its stock released, its invoice voided).",
    "order.hold_placed": "An order was put on hold.",
    "order.hold_released": "An order's hold was released.",
    "order.amended": "A confirmed or processing order was amended (its lines and totals before and after).",
    "return.requested": "A customer's return of a delivered order was recorded.",
    "return.received": "Returned goods arrived (restocked lines are back in stock).",
    "return.credited": "A received return was credited (billing issued its credit note).",
    "return.rejected": "A requested return was rejected, with the reason.",
    "shipment.created": "A parcel of an order left a warehouse (its lines, tracking number and carrier).",
    "shipment.delivered": "A parcel of an order was delivered.",
})

STATUS_EVENTS = {status: f"order.{status}" for status in OrderStatus.values if status != OrderStatus.DRAFT}


def customer_data(customer: Customer) -> dict[str, Any]:
    """The customer as the API renders it."""
    return customer_representation(customer)


def order_data(order: Order) -> dict[str, Any]:
    """The order as the API renders it; its lines are read once per request. Kept on the instance with the state
    it was rendered from, so the answer to the same request shares it (``order_representation_shared``)."""
    return order_representation_for_event(with_lines(order))


def publish_customer(event_type: str, customer: Customer, before: dict[str, Any] | None = None) -> None:
    after = customer_data(customer)
    changed = previous_attributes(before, after) if before is not None else None
    if before is not None and not changed:
        return  # nothing a client would see changed
    publish(event_type, object_id=customer.pk, obj=after, previous_attributes=changed)


def publish_order(event_type: str, order: Order, *, previous: dict[str, Any] | None = None) -> None:
    publish(event_type, object_id=order.pk, obj=lambda: order_data(order), previous_attributes=previous)


def publish_order_created(order: Order, insert: Callable[[], None]) -> None:
    """``order.created`` for a new order that ``insert`` writes, rendered before it: the insert takes the order's
    number, whose counter's row stays locked until the commit, and every other create waits for that row, so the
    rendering is done before it (it was a quarter of the Python a create ran with the row held; the events'
    statement and its preparation are the rest). The insert's number and ``updated_at`` are then put into the
    rendering (``order_representation_written``)."""
    publish_order("order.created", order)
    insert()
    order_representation_written(order)


def publish_order_updated(order: Order, before: dict[str, Any]) -> None:
    after = order_data(order)
    publish("order.updated", object_id=order.pk, obj=after, previous_attributes=previous_attributes(before, after))


def publish_order_moved(order: Order, from_status: str) -> None:
    """The move's event; its rendering is shared with the answer (``order_representation_shared``)."""
    publish(STATUS_EVENTS[str(order.status)], object_id=order.pk, obj=lambda: order_data(order),
            previous_attributes={"status": str(from_status)})


def publish_orders_closed(order_ids: Sequence[str]) -> None:
    """The batch close's ``order.closed`` events: the chunk's orders rendered together (two queries)."""
    for data in order_representations(selectors.order_list().filter(pk__in=list(order_ids))):
        publish("order.closed", object_id=data["id"], obj=data,
                previous_attributes={"status": OrderStatus.DELIVERED.value})


def return_data(return_: Return) -> dict[str, Any]:
    """The return as the API renders it; its lines are read once per request."""
    return return_representation(return_with_lines(return_))


def publish_return(event_type: str, return_: Return, *, previous: dict[str, Any] | None = None) -> None:
    publish(event_type, object_id=return_.pk, obj=lambda: return_data(return_), previous_attributes=previous)


def publish_shipment(event_type: str, shipment: Shipment, *, previous: dict[str, Any] | None = None) -> None:
    """A shipment as the API renders it (its lines in memory, with their order lines)."""
    publish(event_type, object_id=shipment.pk, obj=lambda: shipment_representation(shipment),
            previous_attributes=previous)
