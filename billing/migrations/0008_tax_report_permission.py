"""The tax report's permission, given to finance."""

from django.db import migrations

from synthesq.core.roles import sync_roles


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0007_credit_note_taxes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="invoice",
            options={"ordering": ["-id"], "permissions": [("issue_invoice", "Can issue invoices"),
                                                          ("void_invoice", "Can void invoices"),
                                                          ("view_tax_report", "Can view the tax report")]},
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
