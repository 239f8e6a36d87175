import django_filters
from django.db.models import Q, QuerySet

from inventory.models import Product
from synthesq.core.filters import CurrencyFilter, StrictBooleanFilter, StrictFilterSet, WholeNumberFilter


class ProductFilter(StrictFilterSet):
    sku = django_filters.CharFilter(field_name="sku", lookup_expr="iexact", help_text="Exact SKU (any case).")
    active = StrictBooleanFilter(field_name="is_active")
    currency = CurrencyFilter(field_name="currency")
    parent_id = django_filters.CharFilter(field_name="parent_id", help_text="Variants of this product.")
    stock_lte = WholeNumberFilter(field_name="stock_quantity", lookup_expr="lte", min_value=0,
                                  max_value=2_000_000_000, help_text="Stock at or below this quantity.")
    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name or SKU.")

    class Meta:
        model = Product
        fields = ["sku", "active", "currency", "parent_id", "stock_lte", "search"]

    def filter_search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return queryset.filter(Q(name__icontains=value) | Q(sku__icontains=value))
