"""Give the role groups their invoice and payment permissions."""

from django.db import migrations

from synthesq.core.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("sales", "0003_order_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
