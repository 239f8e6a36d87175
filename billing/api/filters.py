from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from rest_framework.request import Request

from billing.models import CreditNote, Invoice, InvoiceQuerySet, InvoiceStatus, Payment, Refund
from synthesq.core.filters import StrictBooleanFilter, StrictFilterSet, StrictOrderingFilter


class InvoiceFilter(StrictFilterSet):
    order_id = django_filters.CharFilter(field_name="order_id")
    customer_id = django_filters.CharFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(
        choices=InvoiceStatus.choices,
        help_text="One or more statuses: status=issued&status=paid. The guide's status[]=issued&status[]=paid and "
                  "the comma-separated status=issued,paid mean the same.",
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        help_text="true: issued and past due_at; false: all others.",
    )
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact")

    class Meta:
        model = Invoice
        fields = ["order_id", "customer_id", "status", "overdue", "number"]

    def filter_overdue(self, queryset: InvoiceQuerySet, name: str, value: bool) -> QuerySet[Invoice]:
        return queryset.overdue() if value else queryset.not_overdue()


class PaymentFilter(StrictFilterSet):
    invoice_id = django_filters.CharFilter(field_name="invoice_id")
    payment_method = django_filters.ChoiceFilter(choices=Payment.Method.choices)
    reference = django_filters.CharFilter(field_name="reference")

    class Meta:
        model = Payment
        fields = ["invoice_id", "payment_method", "reference"]


class CreditNoteFilter(StrictFilterSet):
    invoice_id = django_filters.CharFilter(field_name="invoice_id")
    customer_id = django_filters.CharFilter(field_name="invoice__customer_id")
    number = django_filters.CharFilter(field_name="number", lookup_expr="iexact")

    class Meta:
        model = CreditNote
        fields = ["invoice_id", "customer_id", "number"]


class RefundFilter(StrictFilterSet):
    payment_id = django_filters.CharFilter(field_name="payment_id")
    invoice_id = django_filters.CharFilter(field_name="invoice_id")

    class Meta:
        model = Refund
        fields = ["payment_id", "invoice_id"]


# Cursor pagination pages on the value of the first sort field, so that value must never be NULL (rows with a
# NULL after the cursor were silently left out of the next pages). Drafts have no number, issued_at or due_at:
# sorting on those uses a non-null key on which a missing value sorts first, on every database.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SORT_KEY_NAMES = {"number": "sort_number", "issued_at": "sort_issued_at", "due_at": "sort_due_at"}
_SORT_KEYS = {
    "sort_number": Coalesce("number", Value("")),
    "sort_issued_at": Coalesce("issued_at", Value(_EPOCH)),
    "sort_due_at": Coalesce("due_at", Value(_EPOCH)),
}


class InvoiceOrderingFilter(StrictOrderingFilter):
    """``sort=`` for invoices: nullable fields are sorted (and paginated) on their non-null keys."""

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        mapped = []
        for field in ordering:
            name = field.lstrip("-")
            mapped.append(field.replace(name, _SORT_KEY_NAMES.get(name, name)))
        return mapped

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        keys = {name: _SORT_KEYS[name] for name in (f.lstrip("-") for f in ordering) if name in _SORT_KEYS}
        return queryset.annotate(**keys).order_by(*ordering)
