"""Payments in the back-office: listed here, recorded from their invoice's page ("Record payment")."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from synthesq.core.money import format_money

from ..models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "invoice", "amount_display", "payment_method", "reference", "recorded_by", "created_at"]
    list_filter = ["payment_method", "currency"]
    search_fields = ["reference", "invoice__number"]
    list_select_related = ["invoice", "recorded_by"]
    fields = readonly_fields = ("id", "invoice", "amount_display", "payment_method", "reference", "recorded_by",
                                "created_at")

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return format_money(payment.amount, payment.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False
