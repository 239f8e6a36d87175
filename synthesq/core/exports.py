"""What every back-office export shares: amounts as decimals in the currency's minor unit (numbers in XLSX,
"129.99" in CSV) next to their currency, and times in the staff member's time zone to the minute."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from import_export import fields, resources, widgets

from .money import quantize


class AmountWidget(widgets.Widget):
    """Exports an already quantized Decimal as is (a number in XLSX, its text in CSV)."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class CountWidget(widgets.Widget):
    """A whole number (a quantity, a balance): its digits in CSV, a number in XLSX."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else str(value)


class LocalTimeWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class AmountField(fields.Field):
    """An amount of a row that has a ``currency``, in that currency's minor unit (129.99, not 129.9900)."""

    def get_value(self, instance: Any) -> Any:
        value = super().get_value(instance)
        return None if value is None else quantize(value, instance.currency)


def amount(column: str, attribute: str) -> fields.Field:
    return AmountField(attribute=attribute, column_name=column, widget=AmountWidget(), readonly=True)


def count(column: str, attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=CountWidget(), readonly=True)


def local_time(column: str, attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=LocalTimeWidget(), readonly=True)


def text(column: str, attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, readonly=True)


class ExportResource(resources.ModelResource):
    """Export only: every field is read-only and declared by the subclass, in column order (``Meta.fields``).
    The dataset tells the XLSX format (``synthesq.core.xlsx``) which columns are amounts and times, and which
    holds the currency, so a spreadsheet gets numbers with the currency's decimals and real date-times."""

    def export(self, *args: Any, **kwargs: Any) -> Any:
        dataset = super().export(*args, **kwargs)
        declared = list(self.fields.values())
        dataset.money_columns = [field.column_name for field in declared if isinstance(field.widget, AmountWidget)]
        dataset.time_columns = [field.column_name for field in declared if isinstance(field.widget, LocalTimeWidget)]
        dataset.count_columns = [field.column_name for field in declared if isinstance(field.widget, CountWidget)]
        dataset.currency_column = next((field.column_name for field in declared if field.attribute == "currency"),
                                       None)
        return dataset
