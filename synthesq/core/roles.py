"""Roles are Django groups. This map is the single statement of what each role may do.

Data migrations call ``sync_roles`` to create the groups and give them exactly these permissions; a
migration that adds models or transition permissions adds them here and calls it again. Permissions
that do not exist yet (a later app's) are skipped, so early migrations stay valid.
"""

from __future__ import annotations

from typing import Any

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "sales": (
        "sales.add_customer",
        "sales.change_customer",
        "sales.view_customer",
        "inventory.view_product",
        "inventory.view_warehouse",
        "sales.add_order",
        "sales.change_order",
        "sales.view_order",
        "sales.confirm_order",
        "sales.cancel_order",
        "sales.amend_order",
        "sales.hold_order",
        "sales.add_return",
        "sales.view_return",
        "sales.reject_return",
        "sales.view_shipment",
        "billing.view_invoice",
        "billing.view_creditnote",
        "taxes.view_taxclass",
        "taxes.view_taxrate",
        "taxes.view_taxsettings",
        "sales.view_promotioncode",
        "sales.view_pricelist",
    ),
    "warehouse": (
        "sales.view_customer",
        "inventory.add_product",
        "inventory.change_product",
        "inventory.view_product",
        "inventory.adjust_stock",
        "inventory.view_stockmovement",
        "inventory.add_warehouse",
        "inventory.change_warehouse",
        "inventory.view_warehouse",
        "inventory.view_warehousestock",
        "inventory.transfer_stock",
        "sales.view_order",
        "sales.process_order",
        "sales.ship_order",
        "sales.deliver_order",
        "sales.view_shipment",
        "sales.view_return",
        "sales.receive_return",
        "taxes.view_taxclass",
        "taxes.view_taxrate",
        "taxes.view_taxsettings",
    ),
    "finance": (
        "sales.view_customer",
        "inventory.view_product",
        "inventory.view_warehouse",
        "sales.view_order",
        "sales.view_shipment",
        "sales.close_order",
        "sales.hold_order",
        "sales.waive_return_window",
        "sales.add_return",
        "sales.view_return",
        "sales.credit_return",
        "sales.reject_return",
        "billing.view_invoice",
        "billing.issue_invoice",
        "billing.void_invoice",
        "billing.view_payment",
        "billing.add_payment",
        "billing.view_creditnote",
        "billing.add_creditnote",
        "billing.view_tax_report",
        "billing.view_refund",
        "billing.add_refund",
        "taxes.view_taxclass",
        "taxes.view_taxrate",
        "taxes.view_taxsettings",
        "taxes.add_taxclass",
        "taxes.change_taxclass",
        "taxes.delete_taxclass",
        "taxes.add_taxrate",
        "taxes.change_taxrate",
        "taxes.delete_taxrate",
        "taxes.change_taxsettings",
        "sales.view_promotioncode",
        "sales.add_promotioncode",
        "sales.change_promotioncode",
        "sales.view_pricelist",
        "sales.add_pricelist",
        "sales.change_pricelist",
        "sales.delete_pricelist",
        "sales.give_unlimited_discount",
    ),
    "integrations": (
        "integrations.view_event",
        "integrations.add_webhookendpoint",
        "integrations.change_webhookendpoint",
        "integrations.delete_webhookendpoint",
        "integrations.view_webhookendpoint",
        "integrations.view_webhookdelivery",
        "integrations.change_webhookdelivery",
        "taxes.view_taxclass",
        "taxes.view_taxrate",
        "taxes.view_taxsettings",
    ),
}

ROLE_NAMES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)


def sync_roles(apps: Any, schema_editor: Any = None) -> None:
    """Create the role groups and set their permissions (usable as a ``RunPython`` operation)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".", 1)
            wanted.extend(
                permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def roles_with(permission: str) -> tuple[str, ...]:
    """The roles whose members hold ``permission`` (who takes a step, as staff read it)."""
    return tuple(role for role, names in ROLE_PERMISSIONS.items() if permission in names)
