"""What staff do to an order from its page and from the list: moves (one button per move the user may make
now, with a form where the move needs data), holds, and bulk moves with a per-order report. Each calls one
service and shows its result or its refusal as a message."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import action_form_page, run_service
from synthesq.core.errors import DomainError
from synthesq.core.fsm import permission_for

from .. import selectors, services
from ..models import Order, OrderStatus
from .forms import HoldForm, MoveForm

MOVE_LABELS = {
    OrderStatus.CONFIRMED: "Confirm (reserve stock)",
    OrderStatus.PROCESSING: "Mark processing",
    OrderStatus.SHIPPED: "Ship…",
    OrderStatus.DELIVERED: "Mark delivered",
    OrderStatus.CLOSED: "Close…",
    OrderStatus.CANCELLED: "Cancel…",
}
NEEDS_FORM = {OrderStatus.SHIPPED, OrderStatus.CLOSED, OrderStatus.CANCELLED}
# Bulk actions and the status each moves to; shown to roles whose permission allows that move.
BULK_MOVES = {
    "confirm_selected": OrderStatus.CONFIRMED,
    "process_selected": OrderStatus.PROCESSING,
    "deliver_selected": OrderStatus.DELIVERED,
    "cancel_selected": OrderStatus.CANCELLED,
}


class OrderActionsMixin:
    """For ``OrderAdmin``: the move, hold and release views and the bulk moves."""

    admin_site: admin.AdminSite

    def move_context(self, request: HttpRequest, order: Order) -> dict[str, Any]:
        moves = [
            {"status": status, "label": MOVE_LABELS[OrderStatus(status)], "needs_form": status in NEEDS_FORM,
             "url": reverse("admin:sales_order_move", args=[order.pk, status])}
            for status in selectors.order_allowed_statuses(order, request.user)
        ]
        may_hold = request.user.has_perm("sales.hold_order")
        can_hold = may_hold and order.status not in (OrderStatus.CLOSED, OrderStatus.CANCELLED)
        return {
            "order_moves": moves,
            "hold_url": reverse("admin:sales_order_hold", args=[order.pk]) if can_hold and not order.on_hold else None,
            "release_url": reverse("admin:sales_order_release_hold", args=[order.pk])
            if may_hold and order.on_hold else None,
        }

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        for name, status in BULK_MOVES.items():
            permission = permission_for(Order, status)
            if name in actions and permission and not request.user.has_perm(permission):
                del actions[name]
        return actions

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/move/<str:status>/", wrap(self.move_view), name="sales_order_move"),
            path("<path:object_id>/hold/", wrap(self.hold_view), name="sales_order_hold"),
            path("<path:object_id>/release-hold/", wrap(self.release_hold_view), name="sales_order_release_hold"),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def _order_or_404(self, request: HttpRequest, object_id: str) -> Order:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        return get_object_or_404(Order, pk=object_id)

    def _back(self, order: Order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:sales_order_change", args=[order.pk]))

    def move_view(self, request: HttpRequest, object_id: str, status: str) -> HttpResponse:
        order = self._order_or_404(request, object_id)
        if status not in MOVE_LABELS:
            messages.error(request, f"Unknown status {status!r}.")
            return self._back(order)
        permission = permission_for(Order, status)
        if request.method == "GET" and permission and not request.user.has_perm(permission):
            messages.error(request, f"Your role may not move orders to {status!r}.")
            return self._back(order)
        if request.method == "POST":
            form = MoveForm(request.POST, status=status, user=request.user)
            if status not in NEEDS_FORM or form.is_valid():
                data = form.cleaned_data if status in NEEDS_FORM else {"reason": request.POST.get("reason", "")}
                run_service(request, lambda: services.order_transition(
                    order_id=order.pk, status=status, actor=acting_user(request), reason=data.get("reason", ""),
                    tracking_number=data.get("tracking_number"), carrier=data.get("carrier"),
                    waive_return_window=bool(data.get("waive_return_window")),
                ), f"Order {order.order_number} is now {status}.")
                return self._back(order)
        else:
            form = MoveForm(status=status, user=request.user)
        title = f"{MOVE_LABELS[OrderStatus(status)].rstrip('…')}: {order}"
        return action_form_page(self, request, order, form, title=title)

    def hold_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_or_404(request, object_id)
        if not request.user.has_perm("sales.hold_order"):
            raise PermissionDenied
        form = HoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run_service(request, lambda: services.order_hold(
                order_id=order.pk, actor=acting_user(request), reason=form.cleaned_data["reason"]),
                f"Order {order.order_number} is on hold.")
            return self._back(order)
        return action_form_page(self, request, order, form, title=f"Put {order} on hold")

    def release_hold_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_or_404(request, object_id)
        if not request.user.has_perm("sales.hold_order"):
            raise PermissionDenied
        if request.method != "POST":
            return self._back(order)
        run_service(request, lambda: services.order_release_hold(order_id=order.pk, actor=acting_user(request)),
                    f"Order {order.order_number} is no longer on hold.")
        return self._back(order)

    # -- bulk actions --------------------------------------------------------------------------------
    def _bulk(self, request: HttpRequest, queryset: QuerySet[Order], status: str, **kwargs: Any) -> None:
        moved, refused = [], []
        for order in queryset.order_by("pk"):
            try:
                services.order_transition(order_id=order.pk, status=status, actor=acting_user(request), **kwargs)
            except DomainError as exc:
                refused.append(f"{order.order_number}: {exc.detail}")
            else:
                moved.append(order.order_number)
        if moved:
            self.message_user(  # type: ignore[attr-defined]
                request, f"{len(moved)} order(s) moved to {status}: {', '.join(moved)}.", messages.SUCCESS)
        if refused:
            self.message_user(  # type: ignore[attr-defined]
                request, f"{len(refused)} refused — " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Confirm selected orders (reserve stock)")
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.CONFIRMED)

    @admin.action(description="Mark selected orders processing")
    def process_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.PROCESSING)

    @admin.action(description="Mark selected orders delivered")
    def deliver_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.DELIVERED)

    @admin.action(description="Cancel selected orders")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.CANCELLED, reason="cancelled from the admin")
