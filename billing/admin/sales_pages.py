"""Billing's part of the sales pages: the order list shows the invoice's status and amount due; the order page
gets an "Invoice and payments" tab, the amount due in its summary, "Open invoice" and, for finance, "Record
payment…"; the customer page lists the customer's invoices. Sales' admin knows nothing of billing: these
subclasses take its place in the admin site, and show billing data only to roles that may see invoices."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import StackedInline
from unfold.decorators import action
from unfold.enums import ActionVariant

from sales.admin import CustomerAdmin, OrderAdmin
from sales.models import Customer, Order
from synthesq.core import backoffice
from synthesq.core.admin_tools import (
    ReadOnlyInline,
    ReadOnlyRows,
    admin_link,
    admin_object,
    back_to,
    drawing_buttons,
    local_day,
    local_minute,
    money_column,
)
from synthesq.core.money import format_money

from ..models import Invoice, Payment
from .invoices import invoice_status_badge


def _sees_invoices(request: HttpRequest) -> bool:
    return request.user.has_perm("billing.view_invoice")


def _invoice_of(order: Order) -> Invoice | None:
    return getattr(order, "invoice", None)


class OrderInvoiceInline(ReadOnlyRows, StackedInline):
    """The order's invoice and its payments (the "Invoice and payments" tab)."""

    model = Invoice
    fk_name = "order"
    verbose_name = "invoice and payments"
    verbose_name_plural = "invoice and payments"
    view_permission = "billing.view_invoice"
    fields = readonly_fields = ("invoice_link", "status_display", "totals", "due", "payments")

    @admin.display(description="invoice")
    def invoice_link(self, invoice: Invoice) -> str:
        return admin_link("admin:billing_invoice_change", invoice.pk, str(invoice))

    @admin.display(description="status")
    def status_display(self, invoice: Invoice) -> str:
        return invoice_status_badge(invoice)

    @admin.display(description="amounts")
    def totals(self, invoice: Invoice) -> str:
        return (f"total {format_money(invoice.total, invoice.currency)} · paid "
                f"{format_money(invoice.amount_paid, invoice.currency)} · due "
                f"{format_money(invoice.amount_due, invoice.currency)}")

    @admin.display(description="due")
    def due(self, invoice: Invoice) -> str:
        return local_day(invoice.due_at)

    @admin.display(description="payments")
    def payments(self, invoice: Invoice) -> str:
        rows = [(self.link(Payment, p.pk, local_minute(p.created_at)), p.reference,
                 format_money(p.amount, p.currency), p.get_payment_method_display())
                for p in invoice.payments.order_by("created_at", "id")]
        if not rows:
            return "none yet"
        return format_html_join("", '<div class="labelled">{} · {} · {} · {}</div>', rows)


class InvoicedOrderAdmin(OrderAdmin):
    list_select_related = [*OrderAdmin.list_select_related, "invoice"]
    inlines = [*OrderAdmin.inlines[:1], OrderInvoiceInline, *OrderAdmin.inlines[1:]]
    actions_detail = [*OrderAdmin.actions_detail, "record_payment", "open_invoice"]
    actions_row = ["open_invoice"]

    def get_inline_instances(self, request: HttpRequest, obj: Order | None = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:  # the add page: no invoice before confirmation
            return [inline for inline in inlines if not isinstance(inline, OrderInvoiceInline)]
        return inlines

    def extra_list_columns(self, request: HttpRequest) -> list[str]:
        return ["invoice_status", "amount_due"] if _sees_invoices(request) else []

    def summary_items(self, request: HttpRequest, order: Order) -> list[tuple[str, str]]:
        invoice = _invoice_of(order)
        if invoice is None or not _sees_invoices(request):
            return []
        return [("Invoice", format_html("{} {}", invoice, invoice_status_badge(invoice))),
                ("Amount due", format_money(invoice.amount_due, invoice.currency))]

    @admin.display(description="invoice")
    def invoice_status(self, order: Order) -> str:
        invoice = _invoice_of(order)
        return invoice_status_badge(invoice, invoice.number or invoice.status) if invoice else "—"

    @admin.display(description="amount due")
    def amount_due(self, order: Order) -> str:
        invoice = _invoice_of(order)
        return format_money(invoice.amount_due, invoice.currency) if invoice else "—"

    # -- shortcuts to the invoice -----------------------------------------------------------------------
    def _invoice_shown(self, request: HttpRequest, object_id: str | None) -> Invoice | None:
        if object_id is None or not drawing_buttons(request):
            return None
        return _invoice_of(admin_object(self, request, object_id))

    def has_record_payment_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm("billing.add_payment"):
            return False
        if object_id is None or not drawing_buttons(request):
            return True
        invoice = self._invoice_shown(request, object_id)
        return invoice is not None and invoice.payable

    def has_open_invoice_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not _sees_invoices(request):
            return False
        return object_id is None or not drawing_buttons(request) or self._invoice_shown(request, object_id) is not None

    @action(description="Record payment…", url_path="record-payment", permissions=["record_payment"],
            icon="payments", variant=ActionVariant.PRIMARY, attrs={"data-action": "record-payment"})
    def record_payment(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._to_invoice(request, object_id, "admin:billing_invoice_record_payment")

    @action(description="Open invoice", url_path="invoice", permissions=["open_invoice"], icon="description",
            attrs={"data-action": "invoice"})
    def open_invoice(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._to_invoice(request, object_id, "admin:billing_invoice_change")

    def _to_invoice(self, request: HttpRequest, object_id: str, url_name: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        invoice = _invoice_of(order)
        if invoice is None:
            messages.error(request, f"Order {order.order_number} has no invoice yet: it is made at confirmation.")
            return back_to(order)
        return HttpResponseRedirect(reverse(url_name, args=[quote(invoice.pk)]))


class CustomerInvoiceInline(ReadOnlyInline):
    model = Invoice
    fk_name = "customer"
    fields = readonly_fields = ("invoice_link", "order_link", "status_display", "total_display", "amount_due",
                                "due")
    verbose_name = "invoice"
    verbose_name_plural = "invoices"
    view_permission = "billing.view_invoice"
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("order")

    @admin.display(description="invoice")
    def invoice_link(self, invoice: Invoice) -> str:
        return admin_link("admin:billing_invoice_change", invoice.pk, str(invoice))

    @admin.display(description="order")
    def order_link(self, invoice: Invoice) -> str:
        return admin_link("admin:sales_order_change", invoice.order_id, invoice.order.order_number)

    @admin.display(description="status")
    def status_display(self, invoice: Invoice) -> str:
        return invoice_status_badge(invoice)

    total_display = money_column("total", "total")

    amount_due = money_column("amount_due", "amount due")

    @admin.display(description="due")
    def due(self, invoice: Invoice) -> str:
        return local_day(invoice.due_at)


class InvoicedCustomerAdmin(CustomerAdmin):
    inlines = [*CustomerAdmin.inlines, CustomerInvoiceInline]


for model, model_admin in ((Order, InvoicedOrderAdmin), (Customer, InvoicedCustomerAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)

backoffice.page_tab("sales.order", title="Invoice and payments", slug="invoice", order=20,
                    permission="billing.view_invoice")
