from __future__ import annotations

import django_filters

from sales.models import Customer, Order, OrderStatus, Return, ReturnStatus, Shipment, ShipmentStatus
from synthesq.core.filters import (
    BoundedIsoDateTimeFromToRangeFilter,
    CurrencyFilter,
    StrictBooleanFilter,
    StrictFilterSet,
)

MULTI_STATUS_HELP = (
    "One or more statuses: status=draft&status=confirmed. The guide's status[]=draft&status[]=confirmed and the "
    "comma-separated status=draft,confirmed mean the same."
)


class CustomerFilter(StrictFilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact", help_text="Exact e-mail (any case).")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Customer
        fields = ["email", "search"]


class OrderFilter(StrictFilterSet):
    """``status`` once, repeated (``status=a&status=b``), as ``status[]=a&status[]=b`` (the guide's form)
    or comma separated (``status=draft,confirmed``)."""

    customer_id = django_filters.CharFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices, help_text=MULTI_STATUS_HELP)
    currency = CurrencyFilter(field_name="currency")
    created_at = BoundedIsoDateTimeFromToRangeFilter(
        field_name="created_at", help_text="created_at_after / created_at_before (ISO 8601)."
    )
    order_number = django_filters.CharFilter(field_name="order_number", lookup_expr="iexact")
    on_hold = StrictBooleanFilter(field_name="on_hold")
    search = django_filters.CharFilter(field_name="order_number", lookup_expr="icontains",
                                       help_text="Part of the order number.")
    promotion_code = django_filters.CharFilter(field_name="promotion_code__code", lookup_expr="iexact",
                                               help_text="Orders carrying this promotion code (any case).")
    price_list_id = django_filters.CharFilter(field_name="lines__price_list_id", distinct=True,
                                              help_text="Orders with a line priced from this price list.")

    class Meta:
        model = Order
        fields = ["customer_id", "status", "currency", "created_at", "order_number", "on_hold", "search",
                  "promotion_code", "price_list_id"]


class ReturnFilter(StrictFilterSet):
    """``status`` as for orders: once, repeated, as ``status[]=…`` or comma separated."""

    order_id = django_filters.CharFilter(field_name="order_id")
    customer_id = django_filters.CharFilter(field_name="order__customer_id")
    status = django_filters.MultipleChoiceFilter(
        choices=ReturnStatus.choices,
        help_text="One or more statuses: status=requested&status=received (or status[]=…, or comma separated).",
    )
    return_number = django_filters.CharFilter(field_name="return_number", lookup_expr="iexact")

    class Meta:
        model = Return
        fields = ["order_id", "customer_id", "status", "return_number"]


class ShipmentFilter(StrictFilterSet):
    order_id = django_filters.CharFilter(field_name="order_id")
    warehouse_id = django_filters.CharFilter(field_name="warehouse_id")
    status = django_filters.MultipleChoiceFilter(
        choices=ShipmentStatus.choices, help_text="One or more statuses (repeated, status[]=…, or comma separated).")
    tracking_number = django_filters.CharFilter(field_name="tracking_number", lookup_expr="iexact")

    class Meta:
        model = Shipment
        fields = ["order_id", "warehouse_id", "status", "tracking_number"]
