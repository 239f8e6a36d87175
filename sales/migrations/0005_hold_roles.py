"""Give sales and finance the hold permission, finance the return-window waiver."""

from django.db import migrations

from synthesq.core.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_order_holds"),
        ("billing", "0002_billing_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
