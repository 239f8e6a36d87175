"""Orders in the back-office: the list, the order page (a draft's lines and address are editable), its tabs
(order, lines, shipment, history; other apps add theirs), and what comes next. Every change goes through
``sales.services``, the same functions the API calls, so the admin cannot bypass a guard or skip a history or
ledger row. Moves, holds and bulk actions are in ``order_actions``.

Other apps add to the order pages without sales knowing their fields: a subclass registered in their admin
overrides ``extra_list_columns``, ``extra_detail_fields``, ``related_links`` and ``summary_items`` (billing adds
the invoice), and adds its inlines and detail actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html_join
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RadioFilter, RelatedDropdownFilter
from unfold.contrib.import_export.forms import ExportForm

from inventory.admin_picker import SellableProductSelect, sellable_product_field
from synthesq.core.actors import acting_user
from synthesq.core.admin_filters import AmountRangeFilter, CurrencyFilter, LocalDateRangeFilter
from synthesq.core.admin_messages import refusal_message
from synthesq.core.admin_tools import (
    HistoryInline,
    admin_link,
    admin_object,
    flag,
    local_day,
    local_day_of,
    local_minute,
    money_column,
    status_badge,
)
from synthesq.core.errors import DomainError
from synthesq.core.money import format_money

from .. import selectors, services
from ..addresses import address_lines
from ..history import OrderHistory
from ..models import Order, OrderEvent, OrderLine, OrderStatus
from .amendments import OrderAmendmentsMixin
from .exports import OrderResource
from .forms import ADDRESS_FIELDS, OrderForm, OrderLineForm, OrderLineFormSet
from .next_step import next_step_text
from .order_actions import BULK_MOVES, HOLD_ACTIONS, MOVE_ACTIONS, OrderActionsMixin
from .returns import OrderReturnInline, OrderReturnsMixin
from .shipments import OrderShipmentInline, OrderShipmentsMixin

ORDER_STATUS_COLOURS: dict[str, str] = {
    OrderStatus.DRAFT: "#6c757d", OrderStatus.CONFIRMED: "#0d6efd", OrderStatus.PROCESSING: "#6f42c1",
    OrderStatus.SHIPPED: "#fd7e14", OrderStatus.DELIVERED: "#20c997", OrderStatus.CLOSED: "#198754",
    OrderStatus.CANCELLED: "#dc3545",
}
ON_HOLD_COLOUR = "#fd7e14"
PICKING_STATUSES = {OrderStatus.CONFIRMED.value, OrderStatus.PROCESSING.value}
# What an order's history rows carry in ``data`` (keys declared once in ``sales.history``), as staff read it.
ORDER_EVENT_LABELS: dict[str, Any] = {
    OrderHistory.TRACKING_NUMBER: "Tracking number", OrderHistory.CARRIER: "Carrier",
    OrderHistory.HOLD_REASON: "Hold reason", OrderHistory.HOLD_RELEASED: "Hold released",
    OrderHistory.LINES: "Lines", OrderHistory.TOTAL: "Total", OrderHistory.CHARGES: "Charges",
    OrderHistory.LINES_BEFORE: "Lines before", OrderHistory.LINES_AFTER: "Lines after",
    OrderHistory.SHIPPING_ADDRESS: lambda _v: "Shipping address changed",
    OrderHistory.RETURN_WINDOW_WAIVED: lambda _v: "Return window waived",
    OrderHistory.RETURN_WINDOW_ENDS_AT: lambda v: f"Return window would have ended: {local_day_of(v)}",
    OrderHistory.WAIVED_BY: "Waived by",
    OrderHistory.BATCH: lambda _v: "Closed by the nightly batch",
}


def order_status_badge(order: Order) -> str:
    return status_badge(order.status, ORDER_STATUS_COLOURS)


def charges_and_tax(document: Any) -> str:
    """An order's or invoice's net charges and tax, and the tax per rate, as it stored them."""
    currency = document.currency
    rates = ", ".join(f"{row['name']} {row['tax_amount']}" for row in document.taxes if row["name"])
    return (f"charges {format_money(document.charges_total, currency)} · tax "
            f"{format_money(document.tax_total, currency)}" + (f" ({rates})" if rates else ""))


LINE_AMOUNTS = (money_column("unit_price", "unit price", document="order"),
                money_column("line_total", "line total", document="order"))


class OrderLineInline(TabularInline):
    model = OrderLine
    form = OrderLineForm
    formset = OrderLineFormSet
    autocomplete_fields = ["product"]
    ordering = ["position"]
    verbose_name_plural = "lines"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """The product picker offers only what can be sold (no product with variants, none inactive), each with
        its price and stock; the service still checks every line."""
        if db_field.name != "product":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["widget"] = SellableProductSelect(db_field, self.admin_site)
        return sellable_product_field(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def _editable(self, request: HttpRequest, order: Order | None) -> bool:
        if order is None:
            return request.user.has_perm("sales.add_order")
        return order.status == OrderStatus.DRAFT and request.user.has_perm("sales.change_order")

    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[Any, ...]:
        if self._editable(request, obj):
            return ("product", "quantity", "unit_price")
        return ("sku", "name", "quantity", *LINE_AMOUNTS)

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[Any, ...]:
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


class OrderEventInline(HistoryInline):
    model = OrderEvent
    fk_name = "order"
    view_permission = "sales.view_order"
    labels = ORDER_EVENT_LABELS
    money = (OrderHistory.TOTAL,)


class OnHoldFilter(RadioFilter):
    title = "on hold"
    parameter_name = "on_hold"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "On hold"), ("no", "Not on hold")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in ("yes", "no"):
            return queryset.filter(on_hold=self.value() == "yes")
        return queryset


@admin.register(Order)
class OrderAdmin(OrderActionsMixin, OrderReturnsMixin, OrderShipmentsMixin, OrderAmendmentsMixin, ExportMixin,
                 ModelAdmin):
    form = OrderForm
    resource_classes = [OrderResource]
    export_form_class = ExportForm
    list_filter = [("status", ChoicesDropdownFilter), CurrencyFilter, ("created_at", LocalDateRangeFilter),
                   ("total", AmountRangeFilter), OnHoldFilter, ("promotion_code", RelatedDropdownFilter)]
    list_filter_submit = True
    search_fields = ["order_number", "customer__name", "customer__email", "tracking_number"]
    search_help_text = "Order number, customer name or e-mail, tracking number"
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    actions = list(BULK_MOVES)
    actions_detail = [*MOVE_ACTIONS, "ship_lines", "amend", *HOLD_ACTIONS, "request_return"]
    inlines = [OrderLineInline, OrderShipmentInline, OrderReturnInline, OrderEventInline]
    change_form_template = "admin/sales/order/change_form.html"
    ordering = ["-id"]

    # -- what other apps add (see the module's docstring) --------------------------------------------
    def extra_list_columns(self, request: HttpRequest) -> list[str]:
        """Columns shown after the total in the list."""
        return []

    def extra_detail_fields(self, request: HttpRequest, order: Order) -> list[str]:
        """Read-only fields shown after the totals on the order page."""
        return []

    def related_links(self, request: HttpRequest, order: Order) -> list[dict[str, str]]:
        """Links to related pages on the order page: ``{"label", "url", "action"}``."""
        return []

    def summary_items(self, request: HttpRequest, order: Order) -> list[tuple[str, str]]:
        """(label, value) pairs in the order page's summary, after the status and the total."""
        return []

    # -- list columns --------------------------------------------------------------------------------
    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        columns = ("order_number", "customer_name", "status_display", "total_display")
        picking = ("lines_to_pick",) if self._picking(request) else ()
        return (*columns, *picking, *self.extra_list_columns(request), "on_hold_display", "created_display")

    @staticmethod
    def _picking(request: HttpRequest) -> bool:
        """The warehouse's lists ("To pick", "To ship"): the list shows each order's lines to pick."""
        return request.GET.get("status__exact") in PICKING_STATUSES

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        if self._picking(request):
            queryset = queryset.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
        return queryset

    @admin.display(description="to pick")
    def lines_to_pick(self, order: Order) -> str:
        return format_html_join("", '<div class="pick-line">{} × {} {}</div>',  # noqa: RUF001 (the multiplication sign is meant)
                                ((line.quantity, line.sku, line.name) for line in order.lines.all()))

    @admin.display(description="on hold", ordering="on_hold")
    def on_hold_display(self, order: Order) -> str:
        return flag(order.on_hold, "On hold", ON_HOLD_COLOUR)

    @admin.display(description="customer", ordering="customer__name")
    def customer_name(self, order: Order) -> str:
        return order.customer.name

    @admin.display(description="status", ordering="status")
    def status_display(self, order: Order) -> str:
        return order_status_badge(order)

    total_display = money_column("total", "total", ordering="total")

    subtotal_display = money_column("subtotal", "subtotal")

    @admin.display(description="charges and tax")
    def tax_display(self, order: Order) -> str:
        return charges_and_tax(order)

    @admin.display(description="created at", ordering="created_at")
    def created_display(self, order: Order) -> str:
        return local_minute(order.created_at)

    # -- the order page ------------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Order | None = None) -> list[tuple[str | None, dict[str, Any]]]:
        if obj is None:
            return [(None, {"fields": ["customer", "currency"]}),
                    ("Shipping address", {"fields": ADDRESS_FIELDS})]
        editable = obj.status == OrderStatus.DRAFT and self.has_change_permission(request, obj)
        address = ADDRESS_FIELDS if editable else ["shipping_address_display"]
        return [
            ("Order", {"fields": ["order_number", "status_display", "customer_link", "currency",
                                  "subtotal_display", "tax_display", "total_display", "hold_display",
                                  *self.extra_detail_fields(request, obj)]}),
            ("Dates", {"fields": ["created_display", "confirmed_at", "processing_at", "closed_at", "cancelled_at",
                                  "cancellation_reason"]}),
            ("Shipment", {"classes": ["panel-shipment"],
                          "fields": [*address, "fulfilment_status", "tracking_number", "carrier", "shipped_at",
                                     "delivered_at",
                                     "return_window_display"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        editable = set(ADDRESS_FIELDS) if obj.status == OrderStatus.DRAFT else set()
        fields = [f for _name, options in self.get_fieldsets(request, obj) for f in options["fields"]]
        return tuple(f for f in fields if f not in editable)

    def get_inline_instances(self, request: HttpRequest, obj: Order | None = None) -> list[Any]:
        inlines = super().get_inline_instances(request, obj)
        if obj is None or obj.status == OrderStatus.DRAFT:  # the pages with a form: a draft has no returns, parcels
            inlines = [inline for inline in inlines
                       if not isinstance(inline, OrderReturnInline | OrderShipmentInline)]
        for inline in inlines:
            inline.tab = obj is not None  # tabs on the order page; one form when adding
        return inlines

    @admin.display(description="customer")
    def customer_link(self, order: Order) -> str:
        return admin_link("admin:sales_customer_change", order.customer_id, str(order.customer))

    @admin.display(description="shipping address")
    def shipping_address_display(self, order: Order) -> str:
        return format_html_join("", "{}<br>", ((line,) for line in address_lines(order.shipping_address))) or "—"

    @admin.display(description="hold")
    def hold_display(self, order: Order) -> str:
        if not order.on_hold:
            return "not on hold"
        return f"On hold since {local_minute(order.held_at)}: {order.hold_reason}"

    @admin.display(description="return window ends")
    def return_window_display(self, order: Order) -> str:
        return local_minute(order.return_window_ends_at())

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
            order = admin_object(self, request, object_id)
            extra_context.update(self.summary_context(request, order))
            if order.status != OrderStatus.DRAFT:  # nothing on the page is editable: no save buttons
                extra_context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # a race the form could not see: report it, change nothing
            messages.error(request, refusal_message(exc))
            return HttpResponseRedirect(request.path)

    def summary_context(self, request: HttpRequest, order: Order) -> dict[str, Any]:
        items = [("Status", order_status_badge(order)), ("Total", format_money(order.total, order.currency)),
                 *self.summary_items(request, order)]
        if order.on_hold:
            items.append(("On hold", order.hold_reason))
        return {"summary_items": items, "next_step_text": next_step_text(selectors.order_next_step(order)),
                "related_links": self.related_links(request, order),
                "summary_dates": [("Created", local_day(order.created_at))]}

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False
