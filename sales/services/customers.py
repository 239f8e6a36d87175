"""Writes for customers."""

from __future__ import annotations

from typing import Any

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import refuse_unknown_fields

from .. import events
from ..models import Customer

_CUSTOMER_FIELDS = ("name", "email", "phone", "default_shipping_address")


@publishes_events
def customer_create(
    *, actor: Actor, name: str, email: str, phone: str = "", default_shipping_address: dict[str, str] | None = None
) -> Customer:
    require_permission(actor, "sales.add_customer", "Your role may not add customers.")
    customer = Customer.objects.create(
        name=name, email=email.strip(), phone=phone, default_shipping_address=default_shipping_address
    )
    events.publish_customer("customer.created", customer)
    return customer


@publishes_events
def customer_update(*, customer: Customer, actor: Actor, data: dict[str, Any]) -> Customer:
    require_permission(actor, "sales.change_customer", "Your role may not change customers.")
    refuse_unknown_fields(data, _CUSTOMER_FIELDS)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = events.customer_data(locked)
    for field, value in data.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*data.keys(), "updated_at"])
    events.publish_customer("customer.updated", locked, before)
    return locked
