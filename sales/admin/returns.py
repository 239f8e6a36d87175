"""Returns in the back-office: the list (filtered by status), the return page with its lines and history, and a
button per move the user's role may make now (receive, credit, reject with a reason). On the order page: a
"Returns" tab listing the order's returns with links, and "Request return…" on delivered orders (a form with a
quantity per line). Every change goes through ``sales.services``, the functions the API calls."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action
from unfold.enums import ActionVariant

from synthesq.core.actors import acting_user
from synthesq.core.admin_filters import LocalDateRangeFilter
from synthesq.core.admin_tools import (
    BackofficeForm,
    HistoryInline,
    ReadOnlyInline,
    ViewOnlyAdmin,
    action_form_page,
    admin_link,
    admin_object,
    back_to,
    change_url,
    drawing_buttons,
    local_day,
    local_day_of,
    local_minute,
    money_column,
    run_service,
    status_badge,
)
from synthesq.core.admin_transitions import Move, TransitionActionsMixin
from synthesq.core.money import format_money

from .. import selectors, services
from ..history import ReturnHistory
from ..models import FulfilmentStatus, Order, OrderLine, OrderStatus, Return, ReturnEvent, ReturnLine, ReturnStatus

RETURN_STATUS_COLOURS: dict[str, str] = {
    ReturnStatus.REQUESTED: "#fd7e14", ReturnStatus.RECEIVED: "#0d6efd", ReturnStatus.CREDITED: "#198754",
    ReturnStatus.REJECTED: "#adb5bd",
}
# What a return's history rows carry in ``data`` (keys declared once in ``sales.history``), as staff read it; the
# order is the return's own, shown at the top of its page.
RETURN_EVENT_LABELS: dict[str, Any] = {
    ReturnHistory.LINES: "Lines", ReturnHistory.VALUE: "Value",
    ReturnHistory.RETURN_WINDOW_WAIVED: lambda _v: "Return window waived",
    ReturnHistory.RETURN_WINDOW_ENDS_AT: lambda v: f"Return window ended: {local_day_of(v)}",
    ReturnHistory.WAIVED_BY: "Waived by",
}
RETURN_EVENT_UNSHOWN = frozenset({ReturnHistory.ORDER_ID})


def return_status_badge(return_: Return) -> str:
    return status_badge(return_.status, RETURN_STATUS_COLOURS)


LINE_AMOUNTS = (money_column("unit_price", "unit price", document="sales_return"),
                money_column("line_total", "line total", document="sales_return"))


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fk_name = "sales_return"
    fields = readonly_fields = ("sku", "name", "quantity", *LINE_AMOUNTS, "restock_display")
    verbose_name = "line"
    verbose_name_plural = "lines"
    view_permission = "sales.view_return"
    ordering = ["position"]

    @admin.display(description="on receipt")
    def restock_display(self, line: ReturnLine) -> str:
        """In words: a line not restocked is scrapped on receipt, not an error to mark with a red ✕."""
        return "Back to stock" if line.restock else "Not restocked"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnLine]:
        return super().get_queryset(request).select_related("order_line", "sales_return")

    @admin.display(description="SKU")
    def sku(self, line: ReturnLine) -> str:
        return line.order_line.sku

    @admin.display(description="name")
    def name(self, line: ReturnLine) -> str:
        return line.order_line.name


class ReturnEventInline(HistoryInline):
    model = ReturnEvent
    fk_name = "sales_return"
    view_permission = "sales.view_return"
    labels = RETURN_EVENT_LABELS
    money = (ReturnHistory.VALUE,)


class RejectForm(BackofficeForm):
    reason = forms.CharField(max_length=255, label="Why reject this return?")


RETURN_MOVES = (
    Move(name="receive", target=ReturnStatus.RECEIVED, label="Receive (restock)", icon="move_to_inbox",
         service=lambda return_, actor, _data: services.return_receive(return_id=return_.pk, actor=actor),
         success="Return {name} received; restocked lines are back in stock.", title="Receive {name}",
         submit="Receive", attrs={"data-move": ReturnStatus.RECEIVED.value}, url_path="receive"),
    Move(name="credit", target=ReturnStatus.CREDITED, label="Credit", icon="request_quote",
         service=lambda return_, actor, _data: services.return_credit(return_id=return_.pk, actor=actor),
         success="Return {name} credited.", title="Credit {name}", submit="Credit",
         attrs={"data-move": ReturnStatus.CREDITED.value}, url_path="credit"),
    Move(name="reject", target=ReturnStatus.REJECTED, label="Reject…", icon="block", variant=ActionVariant.DANGER,
         service=lambda return_, actor, data: services.return_reject(
             return_id=return_.pk, reason=data["reason"], actor=actor),
         success="Return {name} rejected.", title="Reject {name}", submit="Reject return", form=RejectForm,
         attrs={"data-move": ReturnStatus.REJECTED.value}, url_path="reject"),
)


@admin.register(Return)
class ReturnAdmin(TransitionActionsMixin, ViewOnlyAdmin, ModelAdmin):
    # Requested from the order page ("Request return…") or the API; changed through the buttons.
    list_display = ("return_number", "order_link", "customer_name", "status_display", "value_display",
                    "requested_display")
    list_filter = [("status", ChoicesDropdownFilter), ("requested_at", LocalDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["return_number", "order__order_number", "order__customer__name", "order__customer__email"]
    search_help_text = "Return number, order number, customer name or e-mail"
    list_select_related = ["order", "order__customer"]
    inlines = [ReturnLineInline, ReturnEventInline]
    transitions = RETURN_MOVES
    actions_detail = [move.name for move in RETURN_MOVES]
    change_form_template = "admin/sales/return/change_form.html"
    ordering = ["-id"]
    fieldsets = [
        ("Return", {"fields": ["return_number", "status_display", "order_link", "customer_name", "currency",
                               "value_display", "reason", "rejection_reason", "window_display"]}),
        ("Dates", {"fields": ["requested_at", "received_at", "credited_at", "rejected_at"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]

    @admin.display(description="order", ordering="order__order_number")
    def order_link(self, return_: Return) -> str:
        return admin_link("admin:sales_order_change", return_.order_id, return_.order.order_number)

    @admin.display(description="customer", ordering="order__customer__name")
    def customer_name(self, return_: Return) -> str:
        return return_.order.customer.name

    @admin.display(description="status", ordering="status")
    def status_display(self, return_: Return) -> str:
        return return_status_badge(return_)

    value_display = money_column("value", "value", ordering="value")

    @admin.display(description="return window")
    def window_display(self, return_: Return) -> str:
        """In words, not a ✕ beside help text saying finance waived it."""
        if return_.return_window_waived:
            return "Waived: requested after the return window had ended, which finance waived"
        return "Requested within the return window"

    @admin.display(description="requested", ordering="requested_at")
    def requested_display(self, return_: Return) -> str:
        return local_minute(return_.requested_at)

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = extra_context or {}
        if object_id:
            return_: Return = admin_object(self, request, object_id)
            extra_context["summary_items"] = [
                ("Status", return_status_badge(return_)), ("Value", format_money(return_.value, return_.currency)),
                ("Order", admin_link("admin:sales_order_change", return_.order_id, return_.order.order_number)),
                ("Requested", local_day(return_.requested_at)),
            ]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def object_facts(self, return_: Return) -> list[tuple[str, str]]:
        return [("Return", return_.return_number), ("Status", return_.get_status_display()),
                ("Order", return_.order.order_number), ("Customer", str(return_.order.customer)),
                ("Value", format_money(return_.value, return_.currency))]


# -- on the order page ----------------------------------------------------------------------------------------
class OrderReturnInline(ReadOnlyInline):
    """The order's returns (the "Returns" tab), each linking to its page."""

    model = Return
    fk_name = "order"
    fields = readonly_fields = ("return_link", "status_display", "value_display", "requested", "reason")
    verbose_name = "return"
    verbose_name_plural = "returns"
    view_permission = "sales.view_return"
    ordering = ["id"]

    @admin.display(description="return")
    def return_link(self, return_: Return) -> str:
        return admin_link("admin:sales_return_change", return_.pk, return_.return_number)

    @admin.display(description="status")
    def status_display(self, return_: Return) -> str:
        return return_status_badge(return_)

    value_display = money_column("value", "value")

    @admin.display(description="requested")
    def requested(self, return_: Return) -> str:
        return local_minute(return_.requested_at)


class RequestReturnForm(BackofficeForm):
    """A quantity (and restock) per product of the order, with what is left to return of it, and the reason.
    Made for one order by ``request_return_form``. Returns name products, as the API's do: a product on several
    lines is one row, taken from its lines in order (each at its own price) by the service."""

    order_lines: list[OrderLine] = []  # the first line of each product: it keys the product's fields

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"quantity_{line.pk}") for line in self.order_lines):
            raise forms.ValidationError("Give a quantity for at least one line.")
        return data

    def line_inputs(self) -> list[services.ReturnLineInput]:
        return [services.ReturnLineInput(product_id=line.product_id, quantity=quantity,
                                         restock=bool(self.cleaned_data.get(f"restock_{line.pk}")))
                for line in self.order_lines if (quantity := self.cleaned_data.get(f"quantity_{line.pk}") or 0)]


def request_return_form(order: Order, *, may_waive: bool) -> type[RequestReturnForm]:
    """The form for ``order``: a quantity and a restock switch per product, the reason, and for finance the
    waiver."""
    claimed = selectors.returned_quantities(order_id=order.pk)
    shipped = (None if order.status == OrderStatus.DELIVERED
               else selectors.shipped_quantities(order_id=order.pk, delivered=True))

    def sent(line: OrderLine) -> int:  # what of the line reached the customer: all of it once the order is delivered
        return line.quantity if shipped is None else shipped.get(line.pk, 0)

    by_product: dict[str, list[OrderLine]] = {}
    for line in order.lines.order_by("position"):
        by_product.setdefault(line.product_id, []).append(line)
    fields: dict[str, Any] = {"order_lines": [lines[0] for lines in by_product.values()]}
    for lines in by_product.values():
        first = lines[0]
        delivered = sum(sent(line) for line in lines)
        left = sum(max(0, sent(line) - claimed.get(line.pk, 0)) for line in lines)
        spread = (f" On lines {', '.join(str(line.position) for line in lines)}: returned from them in that "
                  "order, each at its price." if len(lines) > 1 else "")
        fields[f"quantity_{first.pk}"] = forms.IntegerField(
            min_value=0, initial=0, required=False, label=f"{first.sku} {first.name}",
            help_text=f"Delivered {delivered}, {left} left to return.{spread}")
        fields[f"restock_{first.pk}"] = forms.BooleanField(required=False, initial=True,
                                                           label=f"Back into stock ({first.sku})")
    fields["reason"] = forms.CharField(max_length=255, required=False, label="Reason")
    if may_waive:
        fields["waive_return_window"] = forms.BooleanField(
            required=False, label="Waive the return window (accept it after the window)")
    return type("RequestReturnForm", (RequestReturnForm,), fields)


class OrderReturnsMixin:
    """For ``OrderAdmin``: "Request return…" on orders with delivered goods (sales and finance)."""

    admin_site: admin.AdminSite

    def has_request_return_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm("sales.add_return"):
            return False
        if object_id is None or not drawing_buttons(request):
            return True
        order: Order = admin_object(self, request, object_id)
        if order.status in (OrderStatus.PROCESSING, OrderStatus.SHIPPED) and \
                order.fulfilment_status != FulfilmentStatus.UNFULFILLED:  # its delivered parcels, if any
            return any(selectors.shipped_quantities(order_id=order.pk, delivered=True).values())
        return order.status == OrderStatus.DELIVERED

    @action(description="Request return…", url_path="request-return", permissions=["request_return"],
            icon="assignment_return", attrs={"data-action": "request-return"})
    def request_return(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        form_class = request_return_form(order, may_waive=request.user.has_perm("sales.waive_return_window"))
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            created: list[Return] = []
            ok = run_service(request, lambda: created.append(services.return_request(
                order_id=order.pk, lines=form.line_inputs(), reason=form.cleaned_data.get("reason") or "",
                waive_return_window=bool(form.cleaned_data.get("waive_return_window")), actor=acting_user(request),
            )), f"Return requested for order {order.order_number}.")
            if ok:
                messages.info(request, f"Return {created[0].return_number}: receive it when the goods arrive.")
                return back_to(created[0])
        return action_form_page(self, request, order, form, title=f"Request a return of {order.order_number}",
                                submit_label="Request return",
                                facts=[("Order", order.order_number), ("Customer", str(order.customer)),
                                       ("Delivered", local_minute(order.delivered_at)),
                                       ("Return window ends", local_minute(order.return_window_ends_at()))],
                                back_url=change_url(order))
