from datetime import date

import django_filters
from django import forms
from django.db.models import QuerySet

from synthesq.core.filters import StrictFilterSet
from taxes.models import TaxRate
from taxes.selectors import valid_on


class TaxRateFilter(StrictFilterSet):
    country = django_filters.CharFilter(method="filter_country", help_text="ISO 3166-1 alpha-2, any case.")
    tax_class = django_filters.CharFilter(field_name="tax_class_id", help_text="A tax class code.")
    active_on = django_filters.DateFilter(method="filter_active_on", help_text="Valid on this day (YYYY-MM-DD).")

    class Meta:
        model = TaxRate
        fields = ["country", "tax_class", "active_on"]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if "active_on" in self.data and "" in self.data.getlist("active_on"):  # the schema's date has no empty value
            self.form.add_error("active_on", forms.ValidationError("active_on: an empty value is not allowed.",
                                                                   code="blank"))
            valid = False
        return valid

    def filter_country(self, queryset: QuerySet[TaxRate], name: str, value: str) -> QuerySet[TaxRate]:
        return queryset.filter(country=value.strip().upper())

    def filter_active_on(self, queryset: QuerySet[TaxRate], name: str, value: date) -> QuerySet[TaxRate]:
        return queryset.filter(valid_on(value))
