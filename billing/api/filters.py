from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Payment
from synthesq.core.filters import normalise_multi_value


class InvoiceFilter(django_filters.FilterSet):
    order_id = django_filters.CharFilter(field_name="order_id")
    customer_id = django_filters.CharFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(
        choices=InvoiceStatus.choices, help_text="One or more statuses; also status[]=… or status=a,b."
    )
    overdue = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")], coerce=lambda v: v == "true", method="filter_overdue",
        help_text="true: issued and past due_at; false: all others.",
    )
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact")

    class Meta:
        model = Invoice
        fields = ["order_id", "customer_id", "status", "overdue", "number"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(normalise_multi_value(data, "status"), *args, **kwargs)

    def filter_overdue(self, queryset: QuerySet[Invoice], name: str, value: bool) -> QuerySet[Invoice]:
        overdue = Q(status=InvoiceStatus.ISSUED, due_at__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class PaymentFilter(django_filters.FilterSet):
    invoice_id = django_filters.CharFilter(field_name="invoice_id")
    payment_method = django_filters.ChoiceFilter(choices=Payment.Method.choices)
    reference = django_filters.CharFilter(field_name="reference")

    class Meta:
        model = Payment
        fields = ["invoice_id", "payment_method", "reference"]
