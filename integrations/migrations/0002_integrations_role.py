"""The integrations role: reads events, manages webhook endpoints and their deliveries."""

from django.db import migrations

from synthesq.core.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("billing", "0002_billing_roles"),
        ("sales", "0006_order_delivered_has_delivered_at"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
