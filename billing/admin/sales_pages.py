"""Billing's part of the sales pages: the order list and order page show the invoice's status, amount due
and payments, with a link to the invoice; the customer page lists open invoices. Sales' admin knows nothing
of billing: these subclasses take its place in the admin site, and show billing data only to roles that may
see invoices."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from sales.admin import CustomerAdmin, OrderAdmin
from sales.models import Customer, Order
from synthesq.core.money import format_amount, format_money

from ..models import Invoice, InvoiceStatus
from .invoices import invoice_status_badge

OPEN_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)


def _sees_invoices(request: HttpRequest) -> bool:
    return request.user.has_perm("billing.view_invoice")


def _invoice_of(order: Order) -> Invoice | None:
    return getattr(order, "invoice", None)


class InvoicedOrderAdmin(OrderAdmin):
    list_select_related = [*OrderAdmin.list_select_related, "invoice"]

    def extra_list_columns(self, request: HttpRequest) -> list[str]:
        return ["invoice_status", "amount_due"] if _sees_invoices(request) else []

    def extra_detail_fields(self, request: HttpRequest, order: Order) -> list[str]:
        return ["invoice_display", "payments_display"] if _sees_invoices(request) else []

    def related_links(self, request: HttpRequest, order: Order) -> list[dict[str, str]]:
        invoice = _invoice_of(order)
        if invoice is None or not _sees_invoices(request):
            return []
        return [{"label": "Open invoice", "action": "invoice",
                 "url": reverse("admin:billing_invoice_change", args=[invoice.pk])}]

    @admin.display(description="invoice")
    def invoice_status(self, order: Order) -> str:
        invoice = _invoice_of(order)
        return invoice_status_badge(invoice, invoice.number or invoice.status) if invoice else "—"

    @admin.display(description="amount due")
    def amount_due(self, order: Order) -> str:
        invoice = _invoice_of(order)
        return format_money(invoice.amount_due, invoice.currency) if invoice else "—"

    @admin.display(description="invoice")
    def invoice_display(self, order: Order) -> str:
        invoice = _invoice_of(order)
        if invoice is None:
            return "none yet (made at confirmation)"
        return format_html(
            '{} {} — total {} {}, paid {}, due {}', invoice.number or "draft invoice",
            invoice_status_badge(invoice), format_amount(invoice.total, invoice.currency), invoice.currency,
            format_amount(invoice.amount_paid, invoice.currency), format_amount(invoice.amount_due, invoice.currency),
        )

    @admin.display(description="payments")
    def payments_display(self, order: Order) -> str:
        invoice = _invoice_of(order)
        payments = list(invoice.payments.order_by("id")) if invoice else []
        if not payments:
            return "none"
        return format_html_join(
            "", "<div>{} {} {} by {} ({})</div>",
            ((f"{p.created_at:%Y-%m-%d}", format_amount(p.amount, p.currency), p.currency,
              p.get_payment_method_display(), p.reference) for p in payments),
        )


class InvoicedCustomerAdmin(CustomerAdmin):
    def get_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple[str, ...]:
        fields = tuple(str(name) for name in super().get_fields(request, obj))
        if not _sees_invoices(request):
            return fields
        at = fields.index("default_shipping_address") + 1
        return (*fields[:at], "open_invoices", *fields[at:])

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), "open_invoices")

    @admin.display(description="open invoices")
    def open_invoices(self, customer: Customer) -> str:
        invoices = list(Invoice.objects.filter(customer=customer, status__in=OPEN_STATUSES).order_by("-id"))
        if not invoices:
            return "none"
        return format_html_join(
            ", ", '<a href="{}">{}</a> ({} due)',
            ((reverse("admin:billing_invoice_change", args=[inv.pk]), inv.number or "draft",
              format_money(inv.amount_due, inv.currency)) for inv in invoices),
        )


for model, model_admin in ((Order, InvoicedOrderAdmin), (Customer, InvoicedCustomerAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
