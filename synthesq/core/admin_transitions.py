"""The buttons of a model's moves in the admin, declared once per model as a table of ``Move``s and drawn by
``TransitionActionsMixin``: which role sees a button comes from the state machine's permissions
(``synthesq.core.fsm``), and the button calls the one service for its move and shows its result or its refusal as
a message (``run_service``). Orders, returns and invoices use it; so does every later lifecycle."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MethodType
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from unfold.dataclasses import UnfoldAction
from unfold.decorators import action as unfold_action
from unfold.enums import ActionVariant

from .actors import acting_user
from .admin_tools import BackofficeForm, action_form_page, admin_object, back_to, drawing_buttons, run_service
from .errors import DomainError
from .fsm import allowed_targets, permission_for

MoveService = Callable[[Any, Any, dict[str, Any]], object]


@dataclass(frozen=True)
class Move:
    """One button for one move of a model's state machine. ``service`` makes the move: it is called with the
    object, the acting user and the form's data (empty without a form). ``success`` and ``title`` may name the
    object as ``{name}``. ``form`` is what the move asks for (None: a confirmation, posted straight from the
    button). ``attrs`` mark the button for scripts and tests (``data-move``, ``data-action``)."""

    name: str
    target: str
    label: str
    icon: str
    service: MoveService
    success: str
    title: str
    submit: str
    attrs: Mapping[str, str]
    url_path: str
    variant: ActionVariant = ActionVariant.PRIMARY
    form: type[forms.Form] | None = None


class TransitionActionsMixin:
    """For the admin of a model with a state machine: a detail action for each of its ``transitions`` (listed in
    ``actions_detail`` by name). The button is drawn when the user's role may make the move and the object's state
    allows it now (``synthesq.core.fsm.allowed_targets``); the page asks for the form or confirms; the POST calls
    the move's one service and shows its result or its refusal as a message. Running is left to the service, which
    checks the role and the state in its transaction: a page gone stale ends in a refusal, never an error page."""

    admin_site: admin.AdminSite
    model: type[models.Model]
    transitions: tuple[Move, ...] = ()

    def get_unfold_action(self, action: str) -> UnfoldAction:
        move = next((move for move in self.transitions if move.name == action), None)
        if move is None:
            return super().get_unfold_action(action)  # type: ignore[misc]

        def run(model_admin: TransitionActionsMixin, request: HttpRequest, object_id: str) -> HttpResponse:
            return model_admin.transition_view(request, object_id, move)

        run.__name__ = move.name
        attrs = dict(move.attrs) if move.form else {**move.attrs, "data-post": "1"}
        method = unfold_action(description=move.label, url_path=move.url_path, icon=move.icon, variant=move.variant,
                               attrs=attrs)(run)
        return UnfoldAction(action_name=self._action_name(move), method=MethodType(method, self),
                            description=move.label, path=move.url_path, attrs=attrs, icon=move.icon,
                            variant=move.variant)

    def get_actions_detail(self, request: HttpRequest, object_id: str | None = None) -> list[UnfoldAction]:
        actions: list[UnfoldAction] = super().get_actions_detail(request, object_id)  # type: ignore[misc]
        if object_id is None or not drawing_buttons(request):
            return actions
        allowed = self.allowed_moves(request, admin_object(self, request, object_id))
        hidden = {self._action_name(move) for move in self.transitions if move.target not in allowed}
        return [action for action in actions if action.action_name not in hidden]

    def _action_name(self, move: Move) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{move.name}"

    def allowed_moves(self, request: HttpRequest, obj: models.Model) -> list[str]:
        """The statuses the user may move ``obj`` to now, worked out once per request and object."""
        cache: dict[tuple[str, Any], list[str]] = request.__dict__.setdefault("_allowed_moves", {})
        key = (obj._meta.label, obj.pk)
        if key not in cache:
            cache[key] = allowed_targets(obj, request.user)
        return cache[key]

    def transition_view(self, request: HttpRequest, object_id: str, move: Move) -> HttpResponse:
        obj = admin_object(self, request, object_id)
        form = self.transition_form(request, move)
        if request.method == "POST" and (move.form is None or form.is_valid()):
            data = form.cleaned_data if move.form else {}
            run_service(request, lambda: move.service(obj, acting_user(request), data),
                        move.success.format(name=obj), describe=lambda exc: self.describe_refusal(request, exc))
            return back_to(obj)
        refusal = self.transition_refusal(request, obj, move)
        if refusal:
            messages.error(request, refusal)
            return back_to(obj)
        return action_form_page(self, request, obj, form, title=move.title.format(name=obj), submit_label=move.submit,
                                facts=self.object_facts(obj))

    def transition_refusal(self, request: HttpRequest, obj: Any, move: Move) -> str | None:
        """Why the page for ``move`` is not shown (the role, or the state now), or None."""
        opts = self.model._meta
        permission = permission_for(self.model, move.target)
        if permission and not request.user.has_perm(permission):
            return f"Your role may not move {opts.verbose_name_plural} to {str(move.target)!r}."
        if move.target not in self.allowed_moves(request, obj):
            status: Any = opts.get_field("status")
            target = dict(status.choices or [])[str(move.target)]
            return (f"{str(opts.verbose_name).capitalize()} {obj} is {obj.get_status_display().lower()}: it cannot be "
                    f"moved to {str(target).lower()} now.")
        return None

    def transition_form(self, request: HttpRequest, move: Move) -> forms.Form:
        """The form ``move`` asks for, bound to what was posted; an empty one for a confirmation."""
        if move.form is None:
            return BackofficeForm()
        return move.form(request.POST or None)

    def describe_refusal(self, request: HttpRequest, exc: DomainError) -> str | None:
        """A service's refusal in this page's words (None: its ``refusal_message``)."""
        return None

    def object_facts(self, obj: Any) -> list[tuple[str, str]]:
        """What the action pages show of the object (its number, status, customer…)."""
        return []
