"""Invoices in the back-office: list, invoice page with its lines, payments and history, and the actions on
one invoice (issue, void, record a payment, print). Every change goes through ``billing.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import ReadOnlyInline, action_form_page, run_service, status_badge
from synthesq.core.money import format_amount, format_money

from .. import selectors, services
from ..models import Invoice, InvoiceEvent, InvoiceLine, InvoiceQuerySet, InvoiceStatus, Payment, PaymentMethod

INVOICE_STATUS_COLOURS: dict[str, str] = {
    InvoiceStatus.DRAFT: "#6c757d", InvoiceStatus.ISSUED: "#0d6efd", InvoiceStatus.PAID: "#198754",
    InvoiceStatus.VOID: "#adb5bd",
}


def invoice_status_badge(invoice: Invoice, label: str | None = None) -> str:
    return status_badge(invoice.status, INVOICE_STATUS_COLOURS, label)


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        assert isinstance(queryset, InvoiceQuerySet)
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.not_overdue()
        return queryset


class BillingInline(ReadOnlyInline):
    view_permission = "billing.view_invoice"


class InvoiceLineInline(BillingInline):
    model = InvoiceLine
    fields = readonly_fields = ("position", "sku", "description", "quantity", "unit_price_display",
                                "line_total_display")

    @admin.display(description="unit price")
    def unit_price_display(self, line: InvoiceLine) -> str:
        return format_amount(line.unit_price, line.invoice.currency) or ""

    @admin.display(description="amount")
    def line_total_display(self, line: InvoiceLine) -> str:
        return format_amount(line.line_total, line.invoice.currency) or ""


class PaymentInline(BillingInline):
    model = Payment
    fields = readonly_fields = ("created_at", "amount_display", "payment_method", "reference", "recorded_by")

    @admin.display(description="amount")
    def amount_display(self, payment: Payment) -> str:
        return format_money(payment.amount, payment.currency)


class InvoiceEventInline(BillingInline):
    model = InvoiceEvent
    fields = readonly_fields = ("created_at", "kind", "from_status", "to_status", "actor", "reason", "data")
    verbose_name_plural = "history"


class PaymentForm(forms.Form):
    amount = forms.DecimalField(min_value=0, max_digits=18, decimal_places=4)
    currency = forms.CharField(max_length=3)
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100, help_text="The bank transaction, card authorisation, cheque number…")


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=255, label="Why void this invoice?")


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number_display", "order_link", "customer_name", "status_display", "total_display",
                    "amount_due_display", "due_at", "overdue_display"]
    list_filter = ["status", OverdueFilter, "currency", ("issued_at", admin.DateFieldListFilter)]
    search_fields = ["number", "order__order_number", "customer_name", "customer_email"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    inlines = [InvoiceLineInline, PaymentInline, InvoiceEventInline]
    change_form_template = "admin/billing/invoice/change_form.html"
    fields = readonly_fields = (
        "number", "status_display", "order_link", "customer_name", "customer_email", "billing_address", "currency",
        "total_display", "amount_paid_display", "amount_due_display", "issued_at", "due_at", "paid_at", "voided_at",
        "void_reason", "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        queryset = super().get_queryset(request)
        assert isinstance(queryset, InvoiceQuerySet)
        return queryset.with_overdue()

    @admin.display(description="number", ordering="number")
    def number_display(self, invoice: Invoice) -> str:
        return invoice.number or f"(draft) {invoice.pk}"

    @admin.display(description="order")
    def order_link(self, invoice: Invoice) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:sales_order_change", args=[invoice.order_id]),
                           invoice.order.order_number)

    @admin.display(description="status", ordering="status")
    def status_display(self, invoice: Invoice) -> str:
        return invoice_status_badge(invoice)

    @admin.display(description="total", ordering="total")
    def total_display(self, invoice: Invoice) -> str:
        return format_money(invoice.total, invoice.currency)

    @admin.display(description="paid")
    def amount_paid_display(self, invoice: Invoice) -> str:
        return format_money(invoice.amount_paid, invoice.currency)

    @admin.display(description="amount due")
    def amount_due_display(self, invoice: Invoice) -> str:
        return format_money(invoice.amount_due, invoice.currency)

    @admin.display(description="overdue", boolean=True)
    def overdue_display(self, invoice: Invoice) -> bool:
        return bool(getattr(invoice, "is_overdue", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invoices are made by confirming orders

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False  # read-only fields; changes go through the buttons below

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        invoice = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if invoice is not None:
            extra_context.update(self._action_urls(request, invoice))
        return super().change_view(request, object_id, form_url, extra_context)

    def _action_urls(self, request: HttpRequest, invoice: Invoice) -> dict[str, str | None]:
        allowed = selectors.invoice_allowed_statuses(invoice, request.user)
        payable = invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)
        return {
            "issue_url": reverse("admin:billing_invoice_issue", args=[invoice.pk])
            if InvoiceStatus.ISSUED in allowed else None,
            "void_url": reverse("admin:billing_invoice_void", args=[invoice.pk])
            if InvoiceStatus.VOID in allowed else None,
            "payment_url": reverse("admin:billing_invoice_payment", args=[invoice.pk])
            if request.user.has_perm("billing.add_payment") and payable else None,
            "print_url": reverse("admin:billing_invoice_print", args=[invoice.pk]),
        }

    # -- actions on one invoice ----------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/issue/", wrap(self.issue_view), name="billing_invoice_issue"),
            path("<path:object_id>/void/", wrap(self.void_view), name="billing_invoice_void"),
            path("<path:object_id>/record-payment/", wrap(self.payment_view), name="billing_invoice_payment"),
            path("<path:object_id>/print/", wrap(self.print_view), name="billing_invoice_print"),
            *super().get_urls(),
        ]

    def _invoice(self, request: HttpRequest, object_id: str) -> Invoice:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Invoice.objects.select_related("order"), pk=object_id)

    def _back(self, invoice: Invoice) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))

    def issue_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._invoice(request, object_id)
        if request.method == "POST":
            run_service(request, lambda: services.invoice_issue(invoice_id=invoice.pk, actor=acting_user(request)),
                        "Invoice issued.")
        return self._back(invoice)

    def void_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._invoice(request, object_id)
        form = VoidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run_service(request, lambda: services.invoice_void(
                invoice_id=invoice.pk, actor=acting_user(request), reason=form.cleaned_data["reason"]),
                "Invoice voided.")
            return self._back(invoice)
        return action_form_page(self, request, invoice, form, title=f"Void invoice {invoice}",
                                submit_label="Void invoice")

    def payment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._invoice(request, object_id)
        if not request.user.has_perm("billing.add_payment"):
            raise PermissionDenied
        form = PaymentForm(request.POST or None, initial={
            "currency": invoice.currency, "amount": format_amount(invoice.amount_due, invoice.currency)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            ok = run_service(request, lambda: services.payment_record(
                invoice_id=invoice.pk, amount=data["amount"], currency=data["currency"].upper(),
                payment_method=data["payment_method"], reference=data["reference"], actor=acting_user(request),
            ), f"Payment of {data['amount']} {data['currency'].upper()} recorded.")
            if ok:
                return self._back(invoice)
        return action_form_page(self, request, invoice, form, title=f"Record a payment on {invoice}",
                                submit_label="Record payment")

    def print_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._invoice(request, object_id)

        def fmt(amount: Any) -> str | None:
            return format_amount(amount, invoice.currency)

        lines = [{"line": line, "unit_price": fmt(line.unit_price), "line_total": fmt(line.line_total)}
                 for line in invoice.lines.order_by("position")]
        payments = [{"payment": p, "amount": fmt(p.amount)} for p in invoice.payments.order_by("id")]
        return TemplateResponse(request, "billing/invoice_print.html", {
            "invoice": invoice, "lines": lines, "payments": payments, "seller": settings.SELLER,
            "subtotal": fmt(invoice.subtotal), "total": fmt(invoice.total),
            "amount_paid": fmt(invoice.amount_paid), "amount_due": fmt(invoice.amount_due),
        })
