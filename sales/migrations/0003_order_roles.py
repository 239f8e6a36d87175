"""Give the role groups their order and transition permissions."""

from django.db import migrations

from synthesq.core.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0002_orders"),
        ("core", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
