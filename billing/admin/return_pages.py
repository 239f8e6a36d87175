"""Billing's part of the return page: a credited return links its credit note (and, through it, the invoice).
Sales' admin knows nothing of billing: this subclass takes the return admin's place in the admin site."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from sales.admin import ReturnAdmin
from sales.models import Return
from synthesq.core.admin_tools import admin_link

from ..models import CreditNote


class CreditedReturnAdmin(ReturnAdmin):
    fieldsets = [
        *ReturnAdmin.fieldsets,
        ("Credit", {"fields": ["credit_note_link", "invoice_link"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]

    def _credit_note(self, return_: Return) -> CreditNote | None:
        return CreditNote.objects.select_related("invoice").filter(sales_return=return_).first()

    @admin.display(description="credit note")
    def credit_note_link(self, return_: Return) -> str:
        note = self._credit_note(return_)
        return admin_link("admin:billing_creditnote_change", note.pk, note.number) if note else "—"

    @admin.display(description="invoice")
    def invoice_link(self, return_: Return) -> str:
        note = self._credit_note(return_)
        return admin_link("admin:billing_invoice_change", note.invoice_id, str(note.invoice)) if note else "—"

    def get_fieldsets(self, request: HttpRequest, obj: Return | None = None) -> list:
        if request.user.has_perm("billing.view_creditnote"):
            return list(self.fieldsets)
        return list(ReturnAdmin.fieldsets)


admin.site.unregister(Return)
admin.site.register(Return, CreditedReturnAdmin)
