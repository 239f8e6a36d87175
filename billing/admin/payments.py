"""Payments in the back-office: listed (filters, exports), each linked to its invoice, order, customer and
refunds; they are recorded from their invoice's page ("Record payment…"), and refunded from their own page
("Refund…", finance, through ``billing.services.refund_record``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action

from synthesq.core.actors import acting_user
from synthesq.core.admin_filters import AmountRangeFilter, CurrencyFilter, LocalDateRangeFilter
from synthesq.core.admin_tools import (
    RECORDED_BY,
    BackofficeForm,
    ReadOnlyInline,
    ViewOnlyAdmin,
    action_form_page,
    admin_link,
    admin_object,
    back_to,
    local_minute,
    money_column,
    run_service,
)
from synthesq.core.money import format_money

from .. import services
from ..models import Payment, Refund
from .exports import PaymentResource


class RefundForm(BackofficeForm):
    amount = forms.DecimalField(min_value=0, max_digits=18, decimal_places=4)
    reason = forms.CharField(max_length=255)
    reference = forms.CharField(max_length=100, help_text="The bank transfer or card refund that pays it back.")

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refundable = payment.invoice.amount_refundable
        self.fields["amount"].help_text = (f"Owed back on the invoice: {format_money(refundable, payment.currency)}; "
                                           f"this payment was {format_money(payment.amount, payment.currency)}.")


class PaymentRefundInline(ReadOnlyInline):
    model = Refund
    fk_name = "payment"
    view_permission = "billing.view_refund"
    fields = readonly_fields = ("refund_link", "recorded", "amount_display", "reason")
    ordering = ["recorded_at", "id"]

    @admin.display(description="reference")
    def refund_link(self, refund: Refund) -> str:
        return admin_link("admin:billing_refund_change", refund.pk, refund.reference)

    @admin.display(description="recorded")
    def recorded(self, refund: Refund) -> str:
        return local_minute(refund.recorded_at)

    amount_display = money_column("amount", "amount")


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin, ExportMixin, ModelAdmin):
    # Recorded from the invoice's page or the API.
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
    fields = readonly_fields = ("received", "amount_display", "refunded_display", "payment_method", "reference",
                                "invoice_link", "order_link", "customer_link", RECORDED_BY)
    inlines = [PaymentRefundInline]
    actions_detail = ["refund"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        return super().get_queryset(request).select_related("invoice", "invoice__order", "recorded_by")

    @admin.display(description="received", ordering="created_at")
    def received(self, payment: Payment) -> str:
        return local_minute(payment.created_at)

    amount_display = money_column("amount", "amount", ordering="amount")

    @admin.display(description="refunded")
    def refunded_display(self, payment: Payment) -> str:
        refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        return format_money(refunded, payment.currency)

    def has_refund_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        return request.user.has_perm("billing.add_refund")  # the service checks the amounts

    @action(description="Refund…", url_path="refund", permissions=["refund"], icon="undo",
            attrs={"data-action": "refund"})
    def refund(self, request: HttpRequest, object_id: str) -> HttpResponse:
        payment: Payment = admin_object(self, request, object_id)
        form = RefundForm(request.POST or None, payment=payment)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            ok = run_service(request, lambda: services.refund_record(
                payment_id=payment.pk, amount=data["amount"], reason=data["reason"], reference=data["reference"],
                actor=acting_user(request)), f"Refund of {format_money(data['amount'], payment.currency)} recorded.")
            if ok:
                return back_to(payment)
        invoice = payment.invoice
        facts = [("Payment", str(payment)), ("Invoice", str(invoice)),
                 ("Refundable on the invoice", format_money(invoice.amount_refundable, invoice.currency))]
        return action_form_page(self, request, payment, form, title=f"Refund payment {payment.reference}",
                                submit_label="Record refund", facts=facts,
                                intro="Money goes back only when a credit note makes it owed.")

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
