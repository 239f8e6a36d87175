"""Give the role groups their tax permissions: finance changes the configuration, every role reads it."""

from django.db import migrations

from synthesq.core.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("taxes", "0001_tax_configuration"),
        ("core", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
