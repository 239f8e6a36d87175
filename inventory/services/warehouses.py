"""Writes for warehouses (the warehouse role). Stock moves into or out of one only through ``stock``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import ValidationFailed, field_error, refuse_unknown_fields

from ..models import Warehouse

_UPDATABLE_FIELDS = ("code", "name", "address", "priority", "is_active")


def _validate(warehouse: Warehouse) -> None:
    errors = []
    if not warehouse.code.strip():
        errors.append(field_error("code", "This field may not be blank.", "blank"))
    elif Warehouse.objects.filter(code__iexact=warehouse.code).exclude(pk=warehouse.pk).exists():
        errors.append(field_error("code", "A warehouse with this code already exists.", "unique"))
    if not warehouse.name.strip():
        errors.append(field_error("name", "This field may not be blank.", "blank"))
    if warehouse.is_default and not warehouse.is_active:
        errors.append(field_error("active", "The default warehouse stays active.", "invalid"))
    if errors:
        raise ValidationFailed(errors=errors)


@transaction.atomic
def warehouse_create(*, actor: Actor, code: str, name: str, address: str = "", priority: int = 100,
                     is_active: bool = True) -> Warehouse:
    require_permission(actor, "inventory.add_warehouse", "Your role may not add warehouses.")
    warehouse = Warehouse(code=code.strip(), name=name.strip(), address=address, priority=priority,
                          is_active=is_active)
    _validate(warehouse)
    warehouse.save()
    return warehouse


@transaction.atomic
def warehouse_update(*, warehouse: Warehouse, actor: Actor, data: dict[str, Any]) -> Warehouse:
    """Change a warehouse's fields (the row locked). Deactivating one keeps its stock where it is; allocation
    no longer takes from it."""
    require_permission(actor, "inventory.change_warehouse", "Your role may not change warehouses.")
    refuse_unknown_fields(data, _UPDATABLE_FIELDS)
    locked = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    for name, value in data.items():
        setattr(locked, name, value.strip() if name in ("code", "name") else value)
    _validate(locked)
    locked.save(update_fields=[*data.keys(), "updated_at"])
    return locked
