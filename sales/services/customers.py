"""Writes for customers."""

from __future__ import annotations

from typing import Any

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import refuse_unknown_fields

from .. import events
from ..models import Customer
from .promotions import customer_price_list_check

_CUSTOMER_FIELDS = ("name", "email", "phone", "default_shipping_address", "price_list_id")


def _price_list(actor: Actor, data: dict[str, Any]) -> None:
    """A customer's price list is finance's to give (``sales.change_pricelist``); 400 for an unknown one."""
    if "price_list_id" in data:
        require_permission(actor, "sales.change_pricelist", "Your role may not give customers price lists.")
        customer_price_list_check(data["price_list_id"])


@publishes_events
def customer_create(
    *, actor: Actor, name: str, email: str, phone: str = "", default_shipping_address: dict[str, str] | None = None,
    price_list_id: str | None = None,
) -> Customer:
    require_permission(actor, "sales.add_customer", "Your role may not add customers.")
    if price_list_id is not None:
        _price_list(actor, {"price_list_id": price_list_id})
    customer = Customer.objects.create(
        name=name, email=email.strip(), phone=phone, default_shipping_address=default_shipping_address,
        price_list_id=price_list_id,
    )
    events.publish_customer("customer.created", customer)
    return customer


@publishes_events
def customer_update(*, customer: Customer, actor: Actor, data: dict[str, Any]) -> Customer:
    require_permission(actor, "sales.change_customer", "Your role may not change customers.")
    refuse_unknown_fields(data, _CUSTOMER_FIELDS)
    _price_list(actor, data)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = events.customer_data(locked)
    for field, value in data.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*data.keys(), "updated_at"])
    events.publish_customer("customer.updated", locked, before)
    return locked
