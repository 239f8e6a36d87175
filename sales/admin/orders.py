"""Orders in the back-office: the list, the order page (a draft's lines and address are editable), history.
Every change goes through ``sales.services``, the same functions the API calls, so the admin cannot bypass a
guard or skip a history or ledger row. Moves, holds and bulk actions are in ``order_actions``.

Other apps add to the order pages without sales knowing their fields: a subclass registered in their admin
overrides ``extra_list_columns``, ``extra_detail_fields`` and ``related_links`` (billing adds the invoice)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import ReadOnlyInline, status_badge
from synthesq.core.errors import DomainError
from synthesq.core.money import format_amount, format_money

from .. import services
from ..models import Order, OrderEvent, OrderLine, OrderStatus
from .forms import ADDRESS_FIELDS, OrderForm, OrderLineForm, OrderLineFormSet
from .order_actions import BULK_MOVES, OrderActionsMixin

ORDER_STATUS_COLOURS: dict[str, str] = {
    OrderStatus.DRAFT: "#6c757d", OrderStatus.CONFIRMED: "#0d6efd", OrderStatus.PROCESSING: "#6f42c1",
    OrderStatus.SHIPPED: "#fd7e14", OrderStatus.DELIVERED: "#20c997", OrderStatus.CLOSED: "#198754",
    OrderStatus.CANCELLED: "#dc3545",
}


def order_status_badge(order: Order) -> str:
    return status_badge(order.status, ORDER_STATUS_COLOURS)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    form = OrderLineForm
    formset = OrderLineFormSet
    autocomplete_fields = ["product"]
    ordering = ["position"]

    def _editable(self, request: HttpRequest, order: Order | None) -> bool:
        if order is None:
            return request.user.has_perm("sales.add_order")
        return order.status == OrderStatus.DRAFT and request.user.has_perm("sales.change_order")

    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        if self._editable(request, obj):
            return ("product", "quantity", "unit_price")
        return ("product", "sku", "name", "quantity", "unit_price_display", "line_total_display")

    @admin.display(description="unit price")
    def unit_price_display(self, line: OrderLine) -> str:
        return format_amount(line.unit_price, line.order.currency) or ""

    @admin.display(description="line total")
    def line_total_display(self, line: OrderLine) -> str:
        return format_amount(line.line_total, line.order.currency) or ""

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        return () if self._editable(request, obj) else self.get_fields(request, obj)

    def get_extra(self, request: HttpRequest, obj: Order | None = None, **kwargs: Any) -> int:
        return 1 if obj is None else 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_order") or request.user.has_perm("sales.add_order")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ("created_at", "kind", "from_status", "to_status", "actor", "reason", "data")
    verbose_name_plural = "history"
    view_permission = "sales.view_order"


class OnHoldFilter(admin.SimpleListFilter):
    title = "on hold"
    parameter_name = "on_hold"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "On hold"), ("no", "Not on hold")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() in ("yes", "no"):
            return queryset.filter(on_hold=self.value() == "yes")
        return queryset


@admin.register(Order)
class OrderAdmin(OrderActionsMixin, admin.ModelAdmin):
    form = OrderForm
    list_display = ("order_number", "customer", "status_display", "total_display", "on_hold", "created_at")
    list_filter = ["status", "currency", ("created_at", admin.DateFieldListFilter), OnHoldFilter]
    search_fields = ["order_number", "customer__name", "customer__email", "tracking_number"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["customer"]
    actions = list(BULK_MOVES)
    inlines = [OrderLineInline, OrderEventInline]
    change_form_template = "admin/sales/order/change_form.html"

    # -- what other apps add (see the module's docstring) --------------------------------------------
    def extra_list_columns(self, request: HttpRequest) -> list[str]:
        """Columns shown after the total in the list."""
        return []

    def extra_detail_fields(self, request: HttpRequest, order: Order) -> list[str]:
        """Read-only fields shown after the hold and return window on the order page."""
        return []

    def related_links(self, request: HttpRequest, order: Order) -> list[dict[str, str]]:
        """Buttons to related pages on the order page: ``{"label", "url", "action"}``."""
        return []

    # -- list columns --------------------------------------------------------------------------------
    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        columns = ("order_number", "customer", "status_display", "total_display")
        return (*columns, *self.extra_list_columns(request), "on_hold", "created_at")

    @admin.display(description="status", ordering="status")
    def status_display(self, order: Order) -> str:
        return order_status_badge(order)

    @admin.display(description="total", ordering="total")
    def total_display(self, order: Order) -> str:
        return format_money(order.total, order.currency)

    @admin.display(description="subtotal")
    def subtotal_display(self, order: Order) -> str:
        return format_money(order.subtotal, order.currency)

    # -- the form ------------------------------------------------------------------------------------
    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("customer", "currency", *ADDRESS_FIELDS)
        address = ADDRESS_FIELDS if obj.status == OrderStatus.DRAFT else ["shipping_address_display"]
        return ("order_number", "status_display", "customer", "currency", *address, "subtotal_display",
                "total_display", "tracking_number", "carrier", "cancellation_reason", "hold_display",
                "return_window_display", *self.extra_detail_fields(request, obj), "created_at", "confirmed_at",
                "processing_at", "shipped_at", "delivered_at", "closed_at", "cancelled_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        editable = set(ADDRESS_FIELDS) if obj.status == OrderStatus.DRAFT else set()
        return tuple(f for f in self.get_fields(request, obj) if f not in editable)

    @admin.display(description="shipping address")
    def shipping_address_display(self, order: Order) -> str:
        address = order.shipping_address or {}
        parts = [address.get(k) for k in ("line1", "line2", "city", "state", "postal_code", "country")]
        return ", ".join(p for p in parts if p)

    @admin.display(description="hold")
    def hold_display(self, order: Order) -> str:
        if not order.on_hold:
            return "not on hold"
        return f"ON HOLD since {order.held_at:%Y-%m-%d %H:%M}: {order.hold_reason}"

    @admin.display(description="return window ends")
    def return_window_display(self, order: Order) -> str:
        ends_at = order.return_window_ends_at()
        return f"{ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else "—"

    # -- saving through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        """Nothing here: the order is written by the service in ``save_related``, lines included."""

    def save_related(self, request: HttpRequest, form: Any, formsets: list[Any], change: bool) -> None:
        lines = next((fs for fs in formsets if isinstance(fs, OrderLineFormSet)), None)
        line_items = lines.line_inputs() if lines is not None else None
        order: Order = form.instance
        if not change:
            created = services.order_create(
                actor=acting_user(request), customer_id=form.cleaned_data["customer"].pk,
                currency=form.cleaned_data["currency"], line_items=line_items or [],
                shipping_address=form.cleaned_address,
            )
            order.pk, order.order_number = created.pk, created.order_number
            return
        if order.status == OrderStatus.DRAFT:
            address_changed = any(name in form.changed_data for name in ADDRESS_FIELDS)
            services.order_update_draft(
                order_id=order.pk, actor=acting_user(request),
                line_items=line_items if lines is not None and lines.has_changed() else None,
                shipping_address=form.cleaned_address if address_changed and form.cleaned_address else None,
            )

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        # The formsets were not saved by the admin (the service wrote the lines), so describe it plainly.
        return [{"added": {}}] if add else [{"changed": {"fields": ["line items / shipping address"]}}]

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = extra_context or {}
        if object_id:
            order = self.get_object(request, object_id)
            if order is not None:
                extra_context.update(self.move_context(request, order))
                extra_context["related_links"] = self.related_links(request, order)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # a race the form could not see: report it, change nothing
            messages.error(request, exc.detail)
            return HttpResponseRedirect(request.path)

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False
