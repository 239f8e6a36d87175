import django_filters

from sales.models import Customer


class CustomerFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact", help_text="Exact e-mail (any case).")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Customer
        fields = ["email", "search"]
