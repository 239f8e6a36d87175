"""Payments in the back-office: listed (filters, exports), each linked to its invoice, order and customer; they
are recorded from their invoice's page ("Record payment…")."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.contrib.import_export.forms import ExportForm

from sales.admin.orders import CurrencyFilter
from synthesq.core.admin_filters import AmountRangeFilter, LocalDateRangeFilter
from synthesq.core.admin_tools import admin_link, local_minute
from synthesq.core.money import format_money

from ..models import Payment
from .exports import PaymentResource


@admin.register(Payment)
class PaymentAdmin(ExportMixin, ModelAdmin):
    list_display = ["received", "reference", "invoice_link", "customer", "amount_display", "payment_method",
                    "recorded_by"]
    list_filter = [("payment_method", ChoicesDropdownFilter), CurrencyFilter, ("created_at", LocalDateRangeFilter),
                   ("amount", AmountRangeFilter)]
    list_filter_submit = True
    search_fields = ["reference", "invoice__number", "invoice__order__order_number", "invoice__customer_name"]
    search_help_text = "Payment reference, invoice or order number, customer"
    list_select_related = ["invoice", "invoice__order", "recorded_by"]
    resource_classes = [PaymentResource]
    export_form_class = ExportForm
    ordering = ["-created_at", "-id"]
    fields = readonly_fields = ("received", "amount_display", "payment_method", "reference", "invoice_link",
                                "order_link", "customer_link", "recorded_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).select_related("invoice", "invoice__order", "recorded_by")

    @admin.display(description="received", ordering="created_at")
    def received(self, payment: Payment) -> str:
        return local_minute(payment.created_at)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return format_money(payment.amount, payment.currency)

    @admin.display(description="invoice")
    def invoice_link(self, payment: Payment) -> str:
        return admin_link("admin:billing_invoice_change", payment.invoice_id, str(payment.invoice))

    @admin.display(description="order")
    def order_link(self, payment: Payment) -> str:
        order = payment.invoice.order
        return admin_link("admin:sales_order_change", order.pk, order.order_number)

    @admin.display(description="customer")
    def customer_link(self, payment: Payment) -> str:
        invoice = payment.invoice
        return admin_link("admin:sales_customer_change", invoice.customer_id, invoice.customer_name)

    @admin.display(description="customer", ordering="invoice__customer_name")
    def customer(self, payment: Payment) -> str:
        return payment.invoice.customer_name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False
