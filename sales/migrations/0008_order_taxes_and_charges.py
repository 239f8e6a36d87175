"""Taxes and charges: existing lines were untaxed, so their net and gross are their total."""

import synthesq.core.money
from django.db import migrations, models
from django.db.models import F


def untaxed_lines(apps, schema_editor):
    apps.get_model("sales", "orderline").objects.update(net_amount=F("line_total"), gross_amount=F("line_total"))


class Migration(migrations.Migration):

    dependencies = [
        ('sales', '0007_returns'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='tax_exempt',
            field=models.BooleanField(default=False, help_text='Pays no tax on new orders.'),
        ),
        migrations.AddField(
            model_name='customer',
            name='tax_exempt_reason',
            field=models.CharField(blank=True, help_text='Required when exempt (printed).', max_length=255),
        ),
        migrations.AddField(
            model_name='customer',
            name='tax_id',
            field=models.CharField(blank=True, help_text='VAT number or the like.', max_length=64, verbose_name='tax id'),
        ),
        migrations.AddField(
            model_name='order',
            name='charges',
            field=models.JSONField(blank=True, default=list, help_text='Shipping, handling and other charges, priced.'),
        ),
        migrations.AddField(
            model_name='order',
            name='charges_total',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, help_text='Net of the charges.', max_digits=18),
        ),
        migrations.AddField(
            model_name='order',
            name='prices_include_tax',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='order',
            name='tax_exempt_reason',
            field=models.CharField(blank=True, help_text='Why no tax (an exempt customer).', max_length=255),
        ),
        migrations.AddField(
            model_name='order',
            name='tax_rounding',
            field=models.CharField(default='line', max_length=8),
        ),
        migrations.AddField(
            model_name='order',
            name='tax_total',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='order',
            name='taxes',
            field=models.JSONField(blank=True, default=list, help_text='One row per rate used: name, rate, country, region, taxable_amount, tax_amount (the rates copied at pricing).'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='gross_amount',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='orderline',
            name='net_amount',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='orderline',
            name='tax_amount',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name='orderline',
            name='tax_class',
            field=models.CharField(default='standard', max_length=32),
        ),
        migrations.AddField(
            model_name='orderline',
            name='tax_rate',
            field=models.DecimalField(decimal_places=4, default=0, help_text='The summed percent.', max_digits=9),
        ),
        migrations.AddField(
            model_name='orderline',
            name='taxes',
            field=models.JSONField(blank=True, default=list, help_text='The tax per rate: name, rate, country, region, tax_amount.'),
        ),
        migrations.AlterField(
            model_name='order',
            name='subtotal',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, help_text='Net of the lines.', max_digits=18),
        ),
        migrations.AlterField(
            model_name='order',
            name='total',
            field=synthesq.core.money.MoneyField(decimal_places=4, default=0, help_text='Gross: what a payment of the whole must be.', max_digits=18),
        ),
        migrations.AlterField(
            model_name='orderline',
            name='line_total',
            field=synthesq.core.money.MoneyField(decimal_places=4, help_text='Quantity times unit price, as entered (gross when prices include tax).', max_digits=18),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.CheckConstraint(condition=models.Q(('tax_exempt', False), models.Q(('tax_exempt_reason', ''), _negated=True), _connector='OR'), name='customer_exempt_has_reason'),
        ),
        migrations.RunPython(untaxed_lines, migrations.RunPython.noop),
    ]
