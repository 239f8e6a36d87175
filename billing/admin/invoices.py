"""Invoices in the back-office: list (with ageing filters and exports), the invoice page with its customer and
order, lines, payments, credit notes, refunds and history, and the actions on one invoice (``invoice_actions``).
Every change goes through ``billing.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter, DropdownFilter
from unfold.contrib.import_export.forms import ExportForm

from sales.addresses import address_lines
from sales.admin.orders import charges_and_tax
from synthesq.core.admin_filters import AmountRangeFilter, CurrencyFilter, LocalDateRangeFilter
from synthesq.core.admin_tools import (
    RECORDED_BY,
    HistoryInline,
    ReadOnlyInline,
    ViewOnlyAdmin,
    admin_link,
    admin_object,
    flag,
    local_day,
    local_day_of,
    local_minute,
    money_column,
    status_badge,
)
from synthesq.core.money import format_money

from ..history import InvoiceHistory
from ..models import (
    AGEING_BUCKETS,
    CreditNote,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceQuerySet,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Refund,
)
from .exports import InvoiceResource
from .invoice_actions import InvoiceActionsMixin
from .tax_report import TaxReportAdminMixin

INVOICE_STATUS_COLOURS: dict[str, str] = {
    InvoiceStatus.DRAFT: "#6c757d", InvoiceStatus.ISSUED: "#0d6efd", InvoiceStatus.PAID: "#198754",
    InvoiceStatus.VOID: "#adb5bd",
}
# What an invoice's history rows carry in ``data`` (keys declared once in ``billing.history``), as staff read it.
# ``total`` is the invoice's on its Created row and the credit note's on a credit note's row (labelled by kind).
OVERDUE_COLOUR = "#dc3545"
INVOICE_EVENT_LABELS: dict[str, Any] = {
    InvoiceHistory.NUMBER: "Number", InvoiceHistory.ORDER_NUMBER: "Order", InvoiceHistory.TOTAL: "Total",
    InvoiceHistory.DUE_AT: lambda v: f"Due: {local_day_of(v)}", InvoiceHistory.AMOUNT: "Amount",
    InvoiceHistory.PAYMENT_METHOD: "Method", InvoiceHistory.REFERENCE: "Payment reference",
    InvoiceHistory.BATCH: lambda _v: "Issued by the nightly batch", InvoiceHistory.AMOUNT_PAID: "Paid in all",
    InvoiceHistory.AMOUNT_CREDITED: "Credited in all", InvoiceHistory.AMOUNT_REFUNDED: "Refunded in all",
    InvoiceHistory.AMOUNT_DUE: "Amount due", InvoiceHistory.AMOUNT_REFUNDABLE: "Refundable",
    InvoiceHistory.NET_TOTAL: "Net", InvoiceHistory.TAX_TOTAL: "Tax",
}
INVOICE_EVENT_LABELS_BY_KIND: dict[str, dict[str, Any]] = {
    InvoiceEvent.Kind.CREDIT_NOTE_ISSUED: {**INVOICE_EVENT_LABELS, InvoiceHistory.NUMBER: "Credit note",
                                           InvoiceHistory.TOTAL: "Credited"},
}
# Ids staff do not read: the same row names the order, payment, credit note or refund by its number or reference.
INVOICE_EVENT_UNSHOWN = frozenset({InvoiceHistory.ORDER_ID, InvoiceHistory.PAYMENT_ID, InvoiceHistory.CREDIT_NOTE_ID,
                                   InvoiceHistory.RETURN_ID, InvoiceHistory.REFUND_ID})


def invoice_status_badge(invoice: Invoice, label: str | None = None) -> str:
    return status_badge(invoice.status, INVOICE_STATUS_COLOURS, label)


class OverdueFilter(DropdownFilter):
    """Overdue or not, and the ageing buckets of the dashboard (days overdue)."""

    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue"), ("current", "Issued, not yet due"),
                *((bucket, f"Overdue {bucket} days") for bucket in AGEING_BUCKETS)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        assert isinstance(queryset, InvoiceQuerySet)
        value = self.value()
        if value == "yes":
            return queryset.overdue()
        if value == "no":
            return queryset.not_overdue()
        if value == "current" or value in AGEING_BUCKETS:
            return queryset.ageing(value)
        return queryset


class BillingInline(ReadOnlyInline):
    view_permission = "billing.view_invoice"


LINE_AMOUNTS = (money_column("unit_price", "unit price", document="invoice"),
                money_column("line_total", "amount", document="invoice"))


class InvoiceLineInline(BillingInline):
    model = InvoiceLine
    fields = readonly_fields = ("sku", "description", "quantity", *LINE_AMOUNTS)
    verbose_name = "line"
    ordering = ["position"]


class PaymentInline(BillingInline):
    model = Payment
    fields = readonly_fields = ("payment_link", "received", "amount_display", "payment_method", RECORDED_BY)
    ordering = ["created_at", "id"]  # chronological, like the history

    @admin.display(description="reference")
    def payment_link(self, payment: Payment) -> str:
        return self.link(Payment, payment.pk, payment.reference)

    @admin.display(description="received")
    def received(self, payment: Payment) -> str:
        return local_minute(payment.created_at)

    amount_display = money_column("amount", "amount")


class CreditNoteInline(BillingInline):
    model = CreditNote
    fields = readonly_fields = ("credit_note_link", "issued", "total_display", "reason")
    verbose_name = "credit note"
    ordering = ["issued_at", "id"]

    @admin.display(description="number")
    def credit_note_link(self, credit_note: CreditNote) -> str:
        return self.link(CreditNote, credit_note.pk, credit_note.number)

    @admin.display(description="issued")
    def issued(self, credit_note: CreditNote) -> str:
        return local_minute(credit_note.issued_at)

    total_display = money_column("total", "total")


class RefundInline(BillingInline):
    model = Refund
    fields = readonly_fields = ("refund_link", "recorded", "amount_display", "payment_reference", "reason")
    ordering = ["recorded_at", "id"]

    @admin.display(description="reference")
    def refund_link(self, refund: Refund) -> str:
        return self.link(Refund, refund.pk, refund.reference)

    @admin.display(description="recorded")
    def recorded(self, refund: Refund) -> str:
        return local_minute(refund.recorded_at)

    amount_display = money_column("amount", "amount")

    @admin.display(description="on payment")
    def payment_reference(self, refund: Refund) -> str:
        return self.link(Payment, refund.payment_id, refund.payment.reference)


class InvoiceEventInline(HistoryInline):
    model = InvoiceEvent
    fk_name = "invoice"
    view_permission = "billing.view_invoice"
    labels = INVOICE_EVENT_LABELS
    money = (InvoiceHistory.AMOUNT,)

    def readable(self, event: InvoiceEvent, data: dict[str, Any]) -> dict[str, Any]:
        if data.get(InvoiceHistory.PAYMENT_METHOD) in PaymentMethod.values:
            data[InvoiceHistory.PAYMENT_METHOD] = PaymentMethod(data[InvoiceHistory.PAYMENT_METHOD]).label
        return data

    def labels_for(self, event: InvoiceEvent) -> dict[str, Any]:
        return INVOICE_EVENT_LABELS_BY_KIND.get(event.kind, INVOICE_EVENT_LABELS)


@admin.register(Invoice)
class InvoiceAdmin(TaxReportAdminMixin, InvoiceActionsMixin, ViewOnlyAdmin, ExportMixin, ModelAdmin):
    # Made by confirming orders; changed through the buttons.
    list_display = ["number_display", "order_link", "customer_name", "status_display", "total_display",
                    "amount_due_display", "due_display", "overdue_display"]
    list_filter = [("status", ChoicesDropdownFilter), OverdueFilter, CurrencyFilter,
                   ("issued_at", LocalDateRangeFilter), ("due_at", LocalDateRangeFilter),
                   ("total", AmountRangeFilter)]
    list_filter_submit = True
    search_fields = ["number", "order__order_number", "customer_name", "customer_email"]
    search_help_text = "Invoice number, order number, customer name or e-mail"
    list_select_related = ["order"]
    inlines = [InvoiceLineInline, PaymentInline, CreditNoteInline, RefundInline, InvoiceEventInline]
    change_form_template = "admin/billing/invoice/change_form.html"
    actions_detail = ["issue", "record_payment", "issue_credit_note", "void", "print_invoice", "download_pdf"]
    actions_row = ["record_payment", "download_pdf"]
    resource_classes = [InvoiceResource]
    export_form_class = ExportForm
    ordering = ["-id"]
    fieldsets = [
        ("Invoice", {"fields": ["number_display", "status_display", "order_link", "customer_link", "currency",
                                "tax_display", "total_display", "amount_credited_display", "amount_paid_display",
                                "amount_refunded_display", "amount_due_display", "amount_refundable_display"]}),
        ("Billed to", {"fields": ["customer_name", "customer_email", "billing_address_display"]}),
        ("Dates", {"fields": ["created_at", "issued_at", "due_at", "paid_at", "voided_at", "void_reason"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        queryset = super().get_queryset(request)
        assert isinstance(queryset, InvoiceQuerySet)
        return queryset.with_overdue().select_related("order", "customer")

    @admin.display(description="number", ordering="number")
    def number_display(self, invoice: Invoice) -> str:
        return invoice.number or "Draft (numbered when issued)"

    @admin.display(description="order")
    def order_link(self, invoice: Invoice) -> str:
        return admin_link("admin:sales_order_change", invoice.order_id, invoice.order.order_number)

    @admin.display(description="customer")
    def customer_link(self, invoice: Invoice) -> str:
        return admin_link("admin:sales_customer_change", invoice.customer_id, invoice.customer_name)

    @admin.display(description="status", ordering="status")
    def status_display(self, invoice: Invoice) -> str:
        return invoice_status_badge(invoice)

    total_display = money_column("total", "total", ordering="total")

    @admin.display(description="charges and tax")
    def tax_display(self, invoice: Invoice) -> str:
        return charges_and_tax(invoice)

    amount_paid_display = money_column("amount_paid", "paid")

    amount_credited_display = money_column("amount_credited", "credited")

    amount_refunded_display = money_column("amount_refunded", "refunded")

    amount_due_display = money_column("amount_due", "amount due")

    amount_refundable_display = money_column("amount_refundable", "refundable")

    @admin.display(description="due at", ordering="due_at")
    def due_display(self, invoice: Invoice) -> str:
        return local_minute(invoice.due_at)

    @admin.display(description="overdue")
    def overdue_display(self, invoice: Invoice) -> str:
        return flag(bool(getattr(invoice, "is_overdue", False)), "Overdue", OVERDUE_COLOUR)

    @admin.display(description="address")
    def billing_address_display(self, invoice: Invoice) -> str:
        return ", ".join(address_lines(invoice.billing_address)) or "—"

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = extra_context or {}
        if object_id:
            invoice: Invoice = admin_object(self, request, object_id)
            extra_context["summary_items"] = [
                ("Status", invoice_status_badge(invoice)), ("Total", format_money(invoice.total, invoice.currency)),
                ("Amount due", format_money(invoice.amount_due, invoice.currency)), ("Due", local_day(invoice.due_at)),
            ]
        return super().changeform_view(request, object_id, form_url, extra_context)
