"""Taxes and charges: existing lines were untaxed, so their net and gross are their total."""

import synthesq.core.money
from django.db import migrations, models
from django.db.models import F


def untaxed_lines(apps, schema_editor):
    apps.get_model("billing", "invoiceline").objects.update(net_amount=F("line_total"), gross_amount=F("line_total"))


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0005_credit_note_return'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='charges_total',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, help_text='Net of the charges.', max_digits=18),
        ),
        migrations.AddField(
            model_name='invoice',
            name='customer_tax_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='invoice',
            name='prices_include_tax',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='invoice',
            name='tax_exempt_reason',
            field=models.CharField(blank=True, help_text='Why no tax (an exempt customer).', max_length=255),
        ),
        migrations.AddField(
            model_name='invoice',
            name='tax_rounding',
            field=models.CharField(default='line', max_length=8),
        ),
        migrations.AddField(
            model_name='invoice',
            name='tax_total',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='invoice',
            name='taxes',
            field=models.JSONField(blank=True, default=list, help_text='One row per rate: name, rate, country, region, taxable_amount, tax_amount.'),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='gross_amount',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='kind',
            field=models.CharField(choices=[('product', 'Product'), ('shipping', 'Shipping'), ('handling', 'Handling'), ('other', 'Other charge')], default='product', max_length=16),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='net_amount',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='tax_amount',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='tax_class',
            field=models.CharField(default='standard', max_length=32),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='tax_rate',
            field=models.DecimalField(decimal_places=4, default=0, help_text='The summed percent.', max_digits=9),
        ),
        migrations.AddField(
            model_name='invoiceline',
            name='taxes',
            field=models.JSONField(blank=True, default=list, help_text='The tax per rate: name, rate, country, region, tax_amount.'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='subtotal',
            field=synthesq.core.money.MoneyField(decimal_places=4, help_text='Net of the lines.', max_digits=18),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='total',
            field=synthesq.core.money.MoneyField(decimal_places=4, help_text='Gross: what the customer pays.', max_digits=18),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='line_total',
            field=synthesq.core.money.MoneyField(decimal_places=4, help_text='As prices are entered (gross when they include tax).', max_digits=18),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='product_id',
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='sku',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(untaxed_lines, migrations.RunPython.noop),
    ]
