"""Tax classes, rates and settings; the classes ``standard`` (every product's default) and ``zero``, and the
settings row (prices exclude tax, line rounding)."""

import django.db.models.deletion
import django.utils.timezone
import synthesq.core.ids
from django.db import migrations, models


def create_defaults(apps, schema_editor):
    tax_class = apps.get_model("taxes", "TaxClass")
    tax_class.objects.get_or_create(code="standard", defaults={"name": "Standard rate"})
    tax_class.objects.get_or_create(code="zero", defaults={"name": "Zero rate"})
    apps.get_model("taxes", "TaxSettings").objects.get_or_create(id=1)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='TaxClass',
            fields=[
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('code', models.SlugField(max_length=32, primary_key=True, serialize=False)),
                ('name', models.CharField(max_length=100)),
            ],
            options={
                'verbose_name_plural': 'tax classes',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='TaxSettings',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('prices_include_tax', models.BooleanField(default=False, help_text='Prices and charges are entered gross.')),
                ('rounding', models.CharField(choices=[('line', "Round each line's tax"), ('document', 'Round once per rate on the document')], default='line', max_length=8)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'tax settings',
                'verbose_name_plural': 'tax settings',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='taxsettings_single_row')],
            },
        ),
        migrations.CreateModel(
            name='TaxRate',
            fields=[
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('id', synthesq.core.ids.PrefixedIdField(editable=False, max_length=40, prefix='txr', primary_key=True, serialize=False)),
                ('country', models.CharField(help_text='ISO 3166-1 alpha-2', max_length=2)),
                ('region', models.CharField(blank=True, help_text="Empty: the whole country; else the address's state, e.g. TX.", max_length=100)),
                ('name', models.CharField(max_length=100)),
                ('rate', models.DecimalField(decimal_places=4, help_text='Percent, up to 4 decimals.', max_digits=9)),
                ('valid_from', models.DateField()),
                ('valid_to', models.DateField(blank=True, help_text='Last day valid; empty: open-ended.', null=True)),
                ('tax_class', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='rates', to='taxes.taxclass')),
            ],
            options={
                'ordering': ['country', 'region', 'tax_class', 'valid_from', 'id'],
                'indexes': [models.Index(fields=['country', 'tax_class', 'valid_from'], name='taxrate_lookup')],
                'constraints': [models.CheckConstraint(condition=models.Q(('rate__gte', 0)), name='taxrate_rate_not_negative'), models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_to__gte', models.F('valid_from')), _connector='OR'), name='taxrate_valid_to_after_from')],
            },
        ),
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
    ]
