"""Credit notes and refunds in the back-office: listed (filters by date and currency), read-only, each linked to
its invoice, order and customer (a credit note to its return, a refund to its payment). They are made from the
invoice's page ("Issue credit note…"), a credited return, or the payment's page ("Refund…")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch
from unfold.admin import ModelAdmin
from unfold.decorators import action

from synthesq.core.admin_filters import AmountRangeFilter, CurrencyFilter, LocalDateRangeFilter
from synthesq.core.admin_tools import (
    CREATED_BY,
    RECORDED_BY,
    ReadOnlyInline,
    ViewOnlyAdmin,
    admin_link,
    local_minute,
    money_column,
)
from synthesq.core.money import format_money

from ..documents import credit_note_document, credit_note_pdf, credit_note_pdf_filename
from ..models import CreditNote, CreditNoteLine, Invoice, Refund
from .printing import PrintableDocumentMixin


def invoice_link(invoice: Invoice) -> str:
    return admin_link("admin:billing_invoice_change", invoice.pk, str(invoice))


def order_link(invoice: Invoice) -> str:
    return admin_link("admin:sales_order_change", invoice.order_id, invoice.order.order_number)


def customer_link(invoice: Invoice) -> str:
    return admin_link("admin:sales_customer_change", invoice.customer_id, invoice.customer_name)


def return_link(credit_note: CreditNote) -> str:
    """The credited return: a link to its admin page where the back-office has one, else its number."""
    return_ = credit_note.sales_return
    if return_ is None:
        return "—"
    try:
        return admin_link("admin:sales_return_change", return_.pk, return_.return_number)
    except NoReverseMatch:
        return return_.return_number


LINE_AMOUNTS = (money_column("unit_price", "unit price", document="credit_note"),
                money_column("line_total", "amount", document="credit_note"))


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    view_permission = "billing.view_creditnote"
    fields = readonly_fields = ("description", "quantity", *LINE_AMOUNTS)
    verbose_name = "line"
    ordering = ["position"]


@admin.register(CreditNote)
class CreditNoteAdmin(PrintableDocumentMixin, ViewOnlyAdmin, ModelAdmin):
    # Issued from the invoice's page or by crediting a return.
    list_display = ["number", "issued", "invoice_display", "customer", "return_display", "total_display", "reason"]
    list_filter = [CurrencyFilter, ("issued_at", LocalDateRangeFilter), ("total", AmountRangeFilter)]
    list_filter_submit = True
    search_fields = ["number", "invoice__number", "invoice__order__order_number", "invoice__customer_name",
                     "sales_return__return_number"]
    search_help_text = "Credit note, invoice, order or return number, customer"
    list_select_related = ["invoice", "invoice__order", "sales_return"]
    ordering = ["-issued_at", "-id"]
    inlines = [CreditNoteLineInline]
    actions_detail = ["print_credit_note", "download_pdf"]
    print_template = "billing/credit_note_print.html"
    fields = readonly_fields = ("number", "issued", "total_display", "tax_display", "reason", "invoice_display",
                                "order_display",
                                "customer_display", "return_display", CREATED_BY)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CreditNote]:
        return super().get_queryset(request).select_related("invoice", "invoice__order", "sales_return",
                                                            "created_by")

    @admin.display(description="issued", ordering="issued_at")
    def issued(self, credit_note: CreditNote) -> str:
        return local_minute(credit_note.issued_at)

    total_display = money_column("total", "total", ordering="total")

    @admin.display(description="net and tax")
    def tax_display(self, credit_note: CreditNote) -> str:
        """Net and tax credited, and the tax per rate, as the credit note stored them."""
        currency = credit_note.currency
        rates = ", ".join(f"{row['name']} {row['tax_amount']}" for row in credit_note.taxes if row["name"])
        return (f"net {format_money(credit_note.net_total, currency)} · tax "
                f"{format_money(credit_note.tax_total, currency)}" + (f" ({rates})" if rates else ""))

    @admin.display(description="invoice")
    def invoice_display(self, credit_note: CreditNote) -> str:
        return invoice_link(credit_note.invoice)

    @admin.display(description="order")
    def order_display(self, credit_note: CreditNote) -> str:
        return order_link(credit_note.invoice)

    @admin.display(description="customer")
    def customer_display(self, credit_note: CreditNote) -> str:
        return customer_link(credit_note.invoice)

    @admin.display(description="customer", ordering="invoice__customer_name")
    def customer(self, credit_note: CreditNote) -> str:
        return credit_note.invoice.customer_name

    @admin.display(description="return")
    def return_display(self, credit_note: CreditNote) -> str:
        return return_link(credit_note)

    @action(description="Printable credit note", url_path="print", permissions=["print"], icon="print",
            attrs={"data-action": "print", "target": "_blank"})
    def print_credit_note(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.print_view(request, object_id)

    def document_context(self, credit_note: CreditNote) -> dict[str, Any]:
        return credit_note_document(credit_note)

    def document_pdf(self, credit_note: CreditNote) -> tuple[bytes, str]:
        return credit_note_pdf(credit_note), credit_note_pdf_filename(credit_note)


@admin.register(Refund)
class RefundAdmin(ViewOnlyAdmin, ModelAdmin):
    # Recorded from the payment's page.
    list_display = ["recorded", "reference", "payment_display", "invoice_display", "customer", "amount_display",
                    "recorded_by"]
    list_filter = [CurrencyFilter, ("recorded_at", LocalDateRangeFilter), ("amount", AmountRangeFilter)]
    list_filter_submit = True
    search_fields = ["reference", "payment__reference", "invoice__number", "invoice__order__order_number",
                     "invoice__customer_name"]
    search_help_text = "Refund or payment reference, invoice or order number, customer"
    list_select_related = ["invoice", "invoice__order", "payment", "recorded_by"]
    ordering = ["-recorded_at", "-id"]
    fields = readonly_fields = ("recorded", "amount_display", "reason", "reference", "payment_display",
                                "invoice_display", "order_display", "customer_display", RECORDED_BY)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Refund]:
        return super().get_queryset(request).select_related("invoice", "invoice__order", "payment", "recorded_by")

    @admin.display(description="recorded", ordering="recorded_at")
    def recorded(self, refund: Refund) -> str:
        return local_minute(refund.recorded_at)

    amount_display = money_column("amount", "amount", ordering="amount")

    @admin.display(description="payment")
    def payment_display(self, refund: Refund) -> str:
        return admin_link("admin:billing_payment_change", refund.payment_id, refund.payment.reference)

    @admin.display(description="invoice")
    def invoice_display(self, refund: Refund) -> str:
        return invoice_link(refund.invoice)

    @admin.display(description="order")
    def order_display(self, refund: Refund) -> str:
        return order_link(refund.invoice)

    @admin.display(description="customer")
    def customer_display(self, refund: Refund) -> str:
        return customer_link(refund.invoice)

    @admin.display(description="customer", ordering="invoice__customer_name")
    def customer(self, refund: Refund) -> str:
        return refund.invoice.customer_name
