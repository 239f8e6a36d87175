"""Writes for customers."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from synthesq.core.errors import ValidationFailed

from ..models import Customer

_CUSTOMER_FIELDS = ("name", "email", "phone", "default_shipping_address")


@transaction.atomic
def customer_create(
    *, name: str, email: str, phone: str = "", default_shipping_address: dict[str, str] | None = None
) -> Customer:
    return Customer.objects.create(
        name=name, email=email.strip(), phone=phone, default_shipping_address=default_shipping_address
    )


@transaction.atomic
def customer_update(*, customer: Customer, data: dict[str, Any]) -> Customer:
    unknown = set(data) - set(_CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed(f"Not updatable: {', '.join(sorted(unknown))}.")
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    for field, value in data.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*data.keys(), "updated_at"])
    return locked
