"""What staff do to an order from its page and from the list: moves (one button per move the user may make now,
with a form where the move needs data), holds, and bulk moves with a per-order report. Each calls one service and
shows its result or its refusal as a message.

Moves are ``ORDER_MOVES``, buttons drawn by ``TransitionActionsMixin`` (``synthesq.core.admin_tools``): one per
move the user's role may make on the order as it is now, each calling ``order_transition``. The hold and release
buttons are Unfold detail actions: Unfold asks ``has_<action>_permission(request, object_id)`` before it draws a
button and again before it runs it; holds are checked by role before running, as the hold services leave the role
to their callers.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from unfold.decorators import action
from unfold.enums import ActionVariant

from synthesq.core.actors import acting_user
from synthesq.core.admin_messages import refusal_message
from synthesq.core.admin_tools import (
    action_form_page,
    admin_object,
    back_to,
    confirm_then_run,
    drawing_buttons,
    local_minute,
    run_service,
)
from synthesq.core.admin_transitions import Move, MoveService, TransitionActionsMixin
from synthesq.core.errors import DomainError
from synthesq.core.fsm import permission_for

from .. import services
from ..exceptions import ReturnWindowOpen
from ..models import Order, OrderStatus
from .forms import WAIVE_LABEL, HoldForm, MoveForm


def _order_transition(status: str) -> MoveService:
    def run(order: Order, actor: Any, data: dict[str, Any]) -> object:
        return services.order_transition(
            order_id=order.pk, status=status, actor=actor, reason=data.get("reason", ""),
            tracking_number=data.get("tracking_number"), carrier=data.get("carrier"),
            waive_return_window=bool(data.get("waive_return_window")))

    return run


def _move(target: OrderStatus, label: str, icon: str, *, form: bool = False,
          variant: ActionVariant = ActionVariant.PRIMARY) -> Move:
    """An order's move: one service (``order_transition``) for all; ``form``: it asks for ``MoveForm``."""
    return Move(name=f"move_{target}", target=str(target), label=label, icon=icon, service=_order_transition(target),
                success=f"Order {{name}} is now {target.label.lower()}.", title=f"{label.rstrip('…')}: {{name}}",
                submit=label.rstrip("…"), attrs={"data-move": str(target)}, url_path=f"move/{target}",
                variant=variant, form=MoveForm if form else None)


ORDER_MOVES = (
    _move(OrderStatus.CONFIRMED, "Confirm (reserve stock)", "task_alt"),
    _move(OrderStatus.PROCESSING, "Start picking", "inventory_2"),
    _move(OrderStatus.SHIPPED, "Ship…", "local_shipping", form=True),
    _move(OrderStatus.DELIVERED, "Mark delivered", "where_to_vote"),
    _move(OrderStatus.CLOSED, "Close order…", "lock", form=True),
    _move(OrderStatus.CANCELLED, "Cancel order…", "cancel", form=True, variant=ActionVariant.DANGER),
)
MOVE_ACTIONS = [move.name for move in ORDER_MOVES]
HOLD_ACTIONS = ["hold", "release_hold"]
# Bulk actions and the status each moves to; shown to roles whose permission allows that move.
BULK_MOVES = {
    "confirm_selected": OrderStatus.CONFIRMED,
    "process_selected": OrderStatus.PROCESSING,
    "deliver_selected": OrderStatus.DELIVERED,
    "cancel_selected": OrderStatus.CANCELLED,
}


class OrderActionsMixin(TransitionActionsMixin):
    """For ``OrderAdmin``: the moves, the hold and release actions and the bulk moves."""

    transitions = ORDER_MOVES

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        for name, status in BULK_MOVES.items():
            permission = permission_for(Order, status)
            if name in actions and permission and not request.user.has_perm(permission):
                del actions[name]
        return actions

    # -- one order -----------------------------------------------------------------------------------------
    def transition_form(self, request: HttpRequest, move: Move) -> forms.Form:
        if move.form is None:
            return super().transition_form(request, move)
        return MoveForm(request.POST or None, status=move.target, user=request.user)

    def describe_refusal(self, request: HttpRequest, exc: DomainError) -> str | None:
        """Refusals in staff's words: local dates, the form's labels instead of the API's field names."""
        if isinstance(exc, ReturnWindowOpen):
            ends = admin_object_window_end(exc)
            how = (f"tick “{WAIVE_LABEL}” to close it now" if request.user.has_perm("sales.waive_return_window")
                   else "finance may waive it")
            return f"The return window is open until {ends}: the order can be closed after that, or {how}."
        return None

    def object_facts(self, order: Order) -> list[tuple[str, str]]:
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
                                submit_label="Put on hold", facts=self.object_facts(order))

    @action(description="Release hold", url_path="release-hold", permissions=["release_hold"], icon="play_circle",
            attrs={"data-move": "release-hold", "data-post": "1"})
    def release_hold(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order: Order = admin_object(self, request, object_id)
        return confirm_then_run(
            self, request, order, lambda: services.order_release_hold(order_id=order.pk, actor=acting_user(request)),
            title=f"Release the hold on {order.order_number}", submit_label="Release hold",
            success=f"Order {order.order_number} is no longer on hold.", facts=self.object_facts(order))

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

