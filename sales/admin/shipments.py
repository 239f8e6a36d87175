"""Shipments in the back-office: the list (filtered by status and warehouse), the shipment page with its lines and
history and "Mark delivered"; on a processing order "Ship some lines…" (a warehouse, a quantity per product, the
tracking number and carrier) and a "Parcels" tab; a printable pick list per warehouse. Every change goes through
``sales.services``, the functions the API calls."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import ChoicesDropdownFilter
from unfold.decorators import action

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import (
    BackofficeForm,
    HistoryInline,
    ReadOnlyInline,
    ViewOnlyAdmin,
    action_form_page,
    admin_link,
    admin_object,
    back_to,
    drawing_buttons,
    labelled,
    local_minute,
    run_service,
    status_badge,
)
from synthesq.core.admin_transitions import Move, TransitionActionsMixin

from .. import selectors, services
from ..history import ShipmentHistory
from ..models import Order, OrderLine, OrderStatus, Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus, with_lines

SHIPMENT_STATUS_COLOURS: dict[str, str] = {ShipmentStatus.SHIPPED: "#fd7e14", ShipmentStatus.DELIVERED: "#20c997"}
SHIP_PERMISSION = "sales.ship_order"
PICK_LIST_PERMISSION = SHIP_PERMISSION  # who ships picks: the warehouse role


def shipment_status_badge(shipment: Shipment) -> str:
    return status_badge(shipment.status, SHIPMENT_STATUS_COLOURS)


def _lines_text(lines: Any) -> str:
    return format_html_join("", '<div class="pick-line">{} × {} {}</div>',  # noqa: RUF001 (the sign is meant)
                            ((line.quantity, line.order_line.sku, line.order_line.name) for line in lines))


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fk_name = "shipment"
    fields = readonly_fields = ("sku", "name", "quantity")
    verbose_name = "line"
    verbose_name_plural = "lines"
    view_permission = "sales.view_shipment"
    ordering = ["position"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShipmentLine]:
        return super().get_queryset(request).select_related("order_line")

    @admin.display(description="SKU")
    def sku(self, line: ShipmentLine) -> str:
        return line.order_line.sku

    @admin.display(description="name")
    def name(self, line: ShipmentLine) -> str:
        return line.order_line.name


class ShipmentEventInline(HistoryInline):
    model = ShipmentEvent
    fk_name = "shipment"
    view_permission = "sales.view_shipment"
    labels = {ShipmentHistory.LINES: lambda lines: ", ".join(f"{line['quantity']} × {line['product_id']}"  # noqa: RUF001
                                                            for line in lines)}

    @admin.display(description="details")
    def details(self, event: Any) -> str:  # a shipment has no currency: no amounts to format
        return labelled(dict(event.data or {}), self.labels)


SHIPMENT_MOVES = (
    Move(name="deliver", target=ShipmentStatus.DELIVERED, label="Mark delivered", icon="where_to_vote",
         service=lambda shipment, actor, _data: services.shipment_deliver(shipment_id=shipment.pk, actor=actor),
         success="Shipment {name} delivered.", title="Mark {name} delivered", submit="Mark delivered",
         attrs={"data-move": ShipmentStatus.DELIVERED.value}, url_path="deliver"),
)


@admin.register(Shipment)
class ShipmentAdmin(TransitionActionsMixin, ViewOnlyAdmin, ModelAdmin):
    # Made on the order page ("Ship some lines…", "Ship…") or through the API; delivered with the button.
    list_display = ("parcel", "order_link", "warehouse_name", "status_display", "lines_display", "shipped_display")
    list_filter = [("status", ChoicesDropdownFilter), "warehouse"]
    list_filter_submit = True
    search_fields = ["tracking_number", "order__order_number"]
    search_help_text = "Tracking number or order number"
    list_select_related = ["order", "warehouse"]
    inlines = [ShipmentLineInline, ShipmentEventInline]
    transitions = SHIPMENT_MOVES
    actions_detail = [move.name for move in SHIPMENT_MOVES]
    change_form_template = "admin/sales/shipment/change_form.html"
    ordering = ["-id"]
    fieldsets = [
        ("Shipment", {"fields": ["status_display", "order_link", "warehouse_name", "carrier", "tracking_number"]}),
        ("Dates", {"fields": ["shipped_display", "delivered_display"]}),
    ]
    readonly_fields = [field for _name, options in fieldsets for field in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return super().get_queryset(request).prefetch_related("lines__order_line")

    @admin.display(description="parcel", ordering="id")
    def parcel(self, shipment: Shipment) -> str:
        return f"{shipment.carrier} {shipment.tracking_number}"

    @admin.display(description="order", ordering="order__order_number")
    def order_link(self, shipment: Shipment) -> str:
        return admin_link("admin:sales_order_change", shipment.order_id, shipment.order.order_number)

    @admin.display(description="warehouse", ordering="warehouse__code")
    def warehouse_name(self, shipment: Shipment) -> str:
        return str(shipment.warehouse)

    @admin.display(description="status", ordering="status")
    def status_display(self, shipment: Shipment) -> str:
        return shipment_status_badge(shipment)

    @admin.display(description="lines")
    def lines_display(self, shipment: Shipment) -> str:
        return _lines_text(shipment.lines.all())

    @admin.display(description="shipped", ordering="shipped_at")
    def shipped_display(self, shipment: Shipment) -> str:
        return local_minute(shipment.shipped_at)

    @admin.display(description="delivered", ordering="delivered_at")
    def delivered_display(self, shipment: Shipment) -> str:
        return local_minute(shipment.delivered_at)

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = extra_context or {}
        if object_id:
            shipment: Shipment = admin_object(self, request, object_id)
            extra_context["summary_items"] = [
                ("Status", shipment_status_badge(shipment)), ("Warehouse", str(shipment.warehouse)),
                ("Order", admin_link("admin:sales_order_change", shipment.order_id, shipment.order.order_number)),
                ("Shipped", local_minute(shipment.shipped_at)),
            ]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def object_facts(self, shipment: Shipment) -> list[tuple[str, str]]:
        return [("Parcel", self.parcel(shipment)), ("Order", shipment.order.order_number),
                ("Warehouse", str(shipment.warehouse)), ("Status", shipment.get_status_display())]

    # -- the pick lists ----------------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [path("pick-lists/", wrap(self.pick_lists_view), name="sales_shipment_pick_lists"),
                path("pick-lists/<str:warehouse_id>/", wrap(self.pick_list_view), name="sales_shipment_pick_list"),
                *super().get_urls()]

    def pick_lists_view(self, request: HttpRequest) -> TemplateResponse:
        """The warehouses, each linking to its pick list."""
        if not request.user.has_perm(PICK_LIST_PERMISSION):
            raise PermissionDenied
        links = [(label, reverse("admin:sales_shipment_pick_list", args=[pk]))
                 for pk, label in selectors.warehouse_labels().items()]
        return TemplateResponse(request, "admin/sales/shipment/pick_list.html", {
            **self.admin_site.each_context(request), "title": "Pick lists", "warehouse_links": links})

    def pick_list_view(self, request: HttpRequest, warehouse_id: str) -> TemplateResponse:
        """What confirmed and processing orders allocated in the warehouse still need, printable."""
        if not request.user.has_perm(PICK_LIST_PERMISSION):
            raise PermissionDenied
        label = selectors.warehouse_labels([warehouse_id]).get(warehouse_id)
        if label is None:
            raise Http404(f"No warehouse {warehouse_id!r}.")
        rows = [(row, reverse("admin:sales_order_change", args=[row.order_id]))
                for row in selectors.pick_list(warehouse_id)]
        return TemplateResponse(request, "admin/sales/shipment/pick_list.html", {
            **self.admin_site.each_context(request), "title": f"Pick list: {label}", "rows": rows,
            "units": sum(row.to_pick for row, _url in rows),
            "back_url": reverse("admin:sales_shipment_pick_lists")})


# -- on the order page ----------------------------------------------------------------------------------------
class OrderShipmentInline(ReadOnlyInline):
    """The order's parcels (the "Parcels" tab), each linking to its page."""

    model = Shipment
    fk_name = "order"
    fields = readonly_fields = ("parcel_link", "warehouse_name", "status_display", "lines_display", "shipped")
    verbose_name = "parcel"
    verbose_name_plural = "parcels"
    view_permission = "sales.view_shipment"
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return super().get_queryset(request).select_related("warehouse").prefetch_related("lines__order_line")

    @admin.display(description="parcel")
    def parcel_link(self, shipment: Shipment) -> str:
        return admin_link("admin:sales_shipment_change", shipment.pk, f"{shipment.carrier} {shipment.tracking_number}")

    @admin.display(description="warehouse")
    def warehouse_name(self, shipment: Shipment) -> str:
        return str(shipment.warehouse)

    @admin.display(description="status")
    def status_display(self, shipment: Shipment) -> str:
        return shipment_status_badge(shipment)

    @admin.display(description="lines")
    def lines_display(self, shipment: Shipment) -> str:
        return _lines_text(shipment.lines.all())

    @admin.display(description="shipped")
    def shipped(self, shipment: Shipment) -> str:
        return local_minute(shipment.shipped_at)


class ShipLinesForm(BackofficeForm):
    """The warehouse, a quantity per product of the order, the tracking number and carrier. Made for one order by
    ``ship_lines_form``; the service checks each quantity against what the warehouse has allocated and not
    shipped."""

    order_lines: list[OrderLine] = []  # the first line of each product: it keys the product's field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"quantity_{line.pk}") for line in self.order_lines):
            raise forms.ValidationError("Give a quantity for at least one line.")
        return data

    def line_inputs(self) -> list[services.ShipmentLineInput]:
        return [services.ShipmentLineInput(product_id=line.product_id, quantity=quantity)
                for line in self.order_lines if (quantity := self.cleaned_data.get(f"quantity_{line.pk}") or 0)]


def ship_lines_form(order: Order) -> type[ShipLinesForm]:
    """The form for ``order``: the warehouses with something left to ship, and per product what is left in each."""
    rest = selectors.order_unshipped(with_lines(order))
    labels = selectors.warehouse_labels(list(rest))
    left: dict[str, dict[str, int]] = {}
    for warehouse_id, lines in rest.items():
        for line, quantity in lines:
            left.setdefault(line.product_id, {}).setdefault(warehouse_id, 0)
            left[line.product_id][warehouse_id] += quantity
    firsts: dict[str, OrderLine] = {}
    for line in order.lines.all():
        firsts.setdefault(line.product_id, line)
    fields: dict[str, Any] = {"order_lines": list(firsts.values()), "warehouse": forms.ChoiceField(
        label="Ship from", choices=[(pk, labels.get(pk, pk)) for pk in rest])}
    for product_id, first in firsts.items():
        where = ", ".join(f"{n} in {labels.get(pk, pk)}" for pk, n in left.get(product_id, {}).items()) or "none"
        fields[f"quantity_{first.pk}"] = forms.IntegerField(
            min_value=0, initial=0, required=False, label=f"{first.sku} {first.name}", help_text=f"To ship: {where}.")
    fields["tracking_number"] = forms.CharField(max_length=64, label="Tracking number")
    fields["carrier"] = forms.CharField(max_length=64, label="Carrier")
    return type("ShipLinesForm", (ShipLinesForm,), fields)


class OrderShipmentsMixin:
    """For ``OrderAdmin``: "Ship some lines…" on processing orders (the warehouse role)."""

    admin_site: admin.AdminSite

    def has_ship_lines_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm(SHIP_PERMISSION):
            return False
        if object_id is None or not drawing_buttons(request):
            return True
        return admin_object(self, request, object_id).status == OrderStatus.PROCESSING

    @action(description="Ship some lines…", url_path="ship-lines", permissions=["ship_lines"], icon="package_2",
            attrs={"data-action": "ship-lines"})
    def ship_lines(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        form = ship_lines_form(order)(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if run_service(request, lambda: services.shipment_create(
                    order_id=order.pk, warehouse_id=data["warehouse"], lines=form.line_inputs(),
                    tracking_number=data["tracking_number"], carrier=data["carrier"], actor=acting_user(request)),
                    f"Parcel {data['carrier']} {data['tracking_number']} of order {order.order_number} shipped."):
                return back_to(order)
        return action_form_page(self, request, order, form, title=f"Ship some lines of {order.order_number}",
                                submit_label="Ship", facts=[("Order", order.order_number),
                                                            ("Customer", str(order.customer)),
                                                            ("Status", order.get_status_display())])
