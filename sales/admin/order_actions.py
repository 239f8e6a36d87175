"""What staff do to an order from its page and from the list: moves (one button per move the user may make now,
with a form where the move needs data), holds, and bulk moves with a per-order report. Each calls one service and
shows its result or its refusal as a message.

Buttons are Unfold detail actions. Unfold asks ``has_<action>_permission(request, object_id)`` before it draws a
button and again before it runs the action. Drawing a move's button needs the role *and* the order's state now
(``order_allowed_statuses``). Running it is left to the service, which checks both (role, then state) in its
transaction: a button pressed on a page that went stale, or a form posted by a role without the move, ends in the
service's refusal as a message, never an error page. Holds are checked by role before running, as the hold
services leave the role to their callers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from unfold.decorators import action
from unfold.enums import ActionVariant

from synthesq.core.actors import acting_user
from synthesq.core.admin_messages import refusal_message
from synthesq.core.admin_tools import (
    BackofficeForm,
    action_form_page,
    admin_object,
    back_to,
    confirm_then_run,
    local_minute,
    run_service,
)
from synthesq.core.errors import DomainError
from synthesq.core.fsm import permission_for

from .. import selectors, services
from ..exceptions import ReturnWindowOpen
from ..models import Order, OrderStatus
from .forms import WAIVE_LABEL, HoldForm, MoveForm

# target -> (button label, icon, variant)
MOVES: dict[str, tuple[str, str, ActionVariant]] = {
    OrderStatus.CONFIRMED: ("Confirm (reserve stock)", "task_alt", ActionVariant.PRIMARY),
    OrderStatus.PROCESSING: ("Start picking", "inventory_2", ActionVariant.PRIMARY),
    OrderStatus.SHIPPED: ("Ship…", "local_shipping", ActionVariant.PRIMARY),
    OrderStatus.DELIVERED: ("Mark delivered", "where_to_vote", ActionVariant.PRIMARY),
    OrderStatus.CLOSED: ("Close order…", "lock", ActionVariant.PRIMARY),
    OrderStatus.CANCELLED: ("Cancel order…", "cancel", ActionVariant.DANGER),
}
NEEDS_FORM = {OrderStatus.SHIPPED, OrderStatus.CLOSED, OrderStatus.CANCELLED}
MOVE_ACTIONS = [f"move_{target}" for target in MOVES]
HOLD_ACTIONS = ["hold", "release_hold"]
# Bulk actions and the status each moves to; shown to roles whose permission allows that move.
BULK_MOVES = {
    "confirm_selected": OrderStatus.CONFIRMED,
    "process_selected": OrderStatus.PROCESSING,
    "deliver_selected": OrderStatus.DELIVERED,
    "cancel_selected": OrderStatus.CANCELLED,
}


def drawing_buttons(request: HttpRequest) -> bool:
    """True while the order page is drawn (buttons follow the state); False while an action runs."""
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").endswith("_change"))


def _move_permission(target: str) -> Callable[..., bool]:
    def has_permission(self: OrderActionsMixin, request: HttpRequest, object_id: str | None = None) -> bool:
        if object_id is None or not drawing_buttons(request):
            return True  # running: the service checks the role and the state
        return target in self.allowed_moves(request, admin_object(self, request, object_id))

    has_permission.__name__ = f"has_move_{target}_permission"
    return has_permission


def _move_action(target: str) -> Any:
    label, icon, variant = MOVES[target]

    def run(self: OrderActionsMixin, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.move_view(request, object_id, target)

    run.__name__ = f"move_{target}"
    attrs = {"data-move": target} if target in NEEDS_FORM else {"data-move": target, "data-post": "1"}
    return action(description=label, url_path=f"move/{target}", permissions=[f"move_{target}"], icon=icon,
                  variant=variant, attrs=attrs)(run)


class OrderActionsMixin:
    """For ``OrderAdmin``: the move, hold and release actions and the bulk moves."""

    admin_site: admin.AdminSite

    def allowed_moves(self, request: HttpRequest, order: Order) -> list[str]:
        cache: dict[str, list[str]] = request.__dict__.setdefault("_allowed_moves", {})
        if order.pk not in cache:
            cache[order.pk] = selectors.order_allowed_statuses(order, request.user)
        return cache[order.pk]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        for name, status in BULK_MOVES.items():
            permission = permission_for(Order, status)
            if name in actions and permission and not request.user.has_perm(permission):
                del actions[name]
        return actions

    # -- one order -----------------------------------------------------------------------------------------
    def move_view(self, request: HttpRequest, object_id: str, status: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        form = MoveForm(request.POST or None, status=status, user=request.user)
        if request.method == "POST" and (status not in NEEDS_FORM or form.is_valid()):
            data = form.cleaned_data if status in NEEDS_FORM else {}
            run_service(request, lambda: services.order_transition(
                order_id=order.pk, status=status, actor=acting_user(request), reason=data.get("reason", ""),
                tracking_number=data.get("tracking_number"), carrier=data.get("carrier"),
                waive_return_window=bool(data.get("waive_return_window")),
            ), f"Order {order.order_number} is now {OrderStatus(status).label.lower()}.",
                describe=lambda exc: self.describe_refusal(request, exc))
            return back_to(order)
        permission = permission_for(Order, status)
        if permission and not request.user.has_perm(permission):
            messages.error(request, f"Your role may not move orders to {str(status)!r}.")
            return back_to(order)
        if status not in self.allowed_moves(request, order):
            messages.error(request, f"Order {order.order_number} is {order.get_status_display().lower()}: it cannot "
                                    f"be moved to {OrderStatus(status).label.lower()} now.")
            return back_to(order)
        label = MOVES[status][0].rstrip("…")
        shown = form if status in NEEDS_FORM else BackofficeForm()
        return action_form_page(self, request, order, shown, title=f"{label}: {order.order_number}",
                                submit_label=label, facts=self.order_facts(order))

    def describe_refusal(self, request: HttpRequest, exc: DomainError) -> str | None:
        """Refusals in staff's words: local dates, the form's labels instead of the API's field names."""
        if isinstance(exc, ReturnWindowOpen):
            ends = admin_object_window_end(exc)
            how = (f"tick “{WAIVE_LABEL}” to close it now" if request.user.has_perm("sales.waive_return_window")
                   else "finance may waive it")
            return f"The return window is open until {ends}: the order can be closed after that, or {how}."
        return None

    def order_facts(self, order: Order) -> list[tuple[str, str]]:
        return [("Order", order.order_number), ("Status", order.get_status_display()),
                ("Customer", str(order.customer)), ("Created", local_minute(order.created_at))]

    @action(description="Put on hold…", url_path="hold", permissions=["hold"], icon="pause_circle",
            attrs={"data-move": "hold"})
    def hold(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        form = HoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run_service(request, lambda: services.order_hold(
                order_id=order.pk, actor=acting_user(request), reason=form.cleaned_data["reason"]),
                f"Order {order.order_number} is on hold.")
            return back_to(order)
        return action_form_page(self, request, order, form, title=f"Put {order.order_number} on hold",
                                submit_label="Put on hold", facts=self.order_facts(order))

    @action(description="Release hold", url_path="release-hold", permissions=["release_hold"], icon="play_circle",
            attrs={"data-move": "release-hold", "data-post": "1"})
    def release_hold(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        return confirm_then_run(
            self, request, order, lambda: services.order_release_hold(order_id=order.pk, actor=acting_user(request)),
            title=f"Release the hold on {order.order_number}", submit_label="Release hold",
            success=f"Order {order.order_number} is no longer on hold.", facts=self.order_facts(order))

    def has_hold_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm("sales.hold_order"):
            return False
        if object_id is None or not drawing_buttons(request):
            return True
        order = admin_object(self, request, object_id)
        return order.may_be_held

    def has_release_hold_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm("sales.hold_order"):
            return False
        return object_id is None or not drawing_buttons(request) or admin_object(self, request, object_id).on_hold

    # -- bulk actions --------------------------------------------------------------------------------
    def _bulk(self, request: HttpRequest, queryset: QuerySet[Order], status: str, **kwargs: Any) -> None:
        moved, refused = [], []
        for order in queryset.order_by("pk"):
            try:
                services.order_transition(order_id=order.pk, status=status, actor=acting_user(request), **kwargs)
            except DomainError as exc:
                refused.append(f"{order.order_number}: {self.describe_refusal(request, exc) or refusal_message(exc)}")
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

    @admin.action(description="Start picking the selected orders")
    def process_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.PROCESSING)

    @admin.action(description="Mark selected orders delivered")
    def deliver_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.DELIVERED)

    @admin.action(description="Cancel selected orders")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.CANCELLED, reason="cancelled from the admin")


def admin_object_window_end(exc: ReturnWindowOpen) -> str:
    """The refusal's window end in the staff member's time zone, to the minute."""
    return local_minute(parse_datetime(str(exc.extra["return_window_ends_at"])))


for _target in MOVES:
    setattr(OrderActionsMixin, f"move_{_target}", _move_action(_target))
    setattr(OrderActionsMixin, f"has_move_{_target}_permission", _move_permission(_target))
