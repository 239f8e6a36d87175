from __future__ import annotations

from typing import Any

import django_filters

from sales.models import Customer, Order, OrderStatus
from synthesq.core.filters import BoundedIsoDateTimeFromToRangeFilter, StrictBooleanFilter, normalise_multi_value


class CustomerFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact", help_text="Exact e-mail (any case).")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Customer
        fields = ["email", "search"]


class OrderFilter(django_filters.FilterSet):
    """``status`` once, repeated (``status=a&status=b``), as ``status[]=a&status[]=b`` (the guide's form)
    or comma separated (``status=draft,confirmed``)."""

    customer_id = django_filters.CharFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(
        choices=OrderStatus.choices, help_text="One or more statuses; also status[]=… or status=a,b."
    )
    currency = django_filters.CharFilter(field_name="currency")
    created_at = BoundedIsoDateTimeFromToRangeFilter(
        field_name="created_at", help_text="created_at_after / created_at_before (ISO 8601)."
    )
    order_number = django_filters.CharFilter(field_name="order_number", lookup_expr="iexact")
    on_hold = StrictBooleanFilter(field_name="on_hold")
    search = django_filters.CharFilter(field_name="order_number", lookup_expr="icontains",
                                       help_text="Part of the order number.")

    class Meta:
        model = Order
        fields = ["customer_id", "status", "currency", "created_at", "order_number", "on_hold", "search"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(normalise_multi_value(data, "status"), *args, **kwargs)
