"""Writes for customers."""

from __future__ import annotations

from typing import Any

from integrations.events import publishes_events
from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error, refuse_unknown_fields

from .. import events
from ..models import Customer
from .promotions import customer_price_list_check

_CUSTOMER_FIELDS = ("name", "email", "phone", "default_shipping_address", "tax_id", "tax_exempt",
                    "tax_exempt_reason", "price_list_id")


def _price_list(actor: Actor, data: dict[str, Any]) -> None:
    """A customer's price list is finance's to give (``sales.change_pricelist``); 400 for an unknown one."""
    if "price_list_id" in data:
        require_permission(actor, "sales.change_pricelist", "Your role may not give customers price lists.")
        customer_price_list_check(data["price_list_id"])


def _refuse_exempt_without_reason(customer: Customer) -> None:
    """An exempt customer's reason is printed on its invoices: required (400 naming it)."""
    if customer.tax_exempt and not customer.tax_exempt_reason.strip():
        raise ValidationFailed("A tax-exempt customer needs the reason.", errors=[
            field_error("tax_exempt_reason", "Required when tax_exempt is true.", "required")])


@publishes_events
def customer_create(
    *, actor: Actor, name: str, email: str, phone: str = "", default_shipping_address: dict[str, str] | None = None,
    tax_id: str = "", tax_exempt: bool = False, tax_exempt_reason: str = "", price_list_id: str | None = None,
) -> Customer:
    require_permission(actor, "sales.add_customer", "Your role may not add customers.")
    if price_list_id is not None:
        _price_list(actor, {"price_list_id": price_list_id})
    customer = Customer(
        name=name, email=email.strip(), phone=phone, default_shipping_address=default_shipping_address,
        tax_id=tax_id.strip(), tax_exempt=tax_exempt, tax_exempt_reason=tax_exempt_reason.strip(),
        price_list_id=price_list_id,
    )
    _refuse_exempt_without_reason(customer)
    customer.save(force_insert=True)
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
    _refuse_exempt_without_reason(locked)
    locked.save(update_fields=[*data.keys(), "updated_at"])
    events.publish_customer("customer.updated", locked, before)
    return locked
