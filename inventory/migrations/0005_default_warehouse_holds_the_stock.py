"""One default warehouse holds today's stock: each product's stock becomes its row there, and every ledger row names
it, so a one-warehouse seller sees nothing change. The warehouse role manages warehouses and transfers stock."""

import django.db.models.deletion
from django.db import migrations, models

from synthesq.core.roles import sync_roles

DEFAULT_CODE = "MAIN"


def default_warehouse_holds_the_stock(apps, schema_editor):
    warehouse_model = apps.get_model("inventory", "Warehouse")
    product_model = apps.get_model("inventory", "Product")
    stock_model = apps.get_model("inventory", "WarehouseStock")
    movement_model = apps.get_model("inventory", "StockMovement")
    default, _ = warehouse_model.objects.get_or_create(
        is_default=True, defaults={"code": DEFAULT_CODE, "name": "Main warehouse", "priority": 0},
    )
    stock_model.objects.bulk_create(
        stock_model(product_id=pk, warehouse_id=default.pk, quantity=quantity)
        for pk, quantity in product_model.objects.filter(stock_quantity__gt=0).values_list("pk", "stock_quantity")
    )
    movement_model.objects.filter(warehouse__isnull=True).update(warehouse_id=default.pk)


def stock_back_to_products(apps, schema_editor):
    """Backwards: the product's ``stock_quantity`` already holds the sum; the tables go with the schema."""


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0004_warehouses"),
    ]

    operations = [
        migrations.RunPython(default_warehouse_holds_the_stock, stock_back_to_products),
        migrations.AlterField(
            model_name="stockmovement",
            name="warehouse",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="movements",
                                    to="inventory.warehouse"),
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
