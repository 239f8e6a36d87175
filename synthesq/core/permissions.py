"""Role checks for the API: every action of a viewset needs a Django permission.

Defaults follow the model (list/retrieve: view, create: add, update: change, destroy: delete); a view
adds or overrides entries with ``action_permissions = {"adjustments": ("inventory.adjust_stock",)}``.
Superusers pass every check. Roles are groups holding these permissions (``synthesq.core.roles``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

_DEFAULT_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def required_permissions(view: Any) -> tuple[str, ...]:
    action = getattr(view, "action", None)
    explicit = getattr(view, "action_permissions", {})
    if action in explicit:
        return tuple(explicit[action])
    verb = _DEFAULT_ACTIONS.get(action or "")
    if verb is None:
        # An action nobody declared a permission for is refused rather than left open.
        return ("core.__undeclared__",)
    model = _model_of(view)
    return (f"{model._meta.app_label}.{verb}_{model._meta.model_name}",)


_MODELS: dict[type, type[Model]] = {}


def _model_of(view: Any) -> type[Model]:
    """The model a viewset serves, asked of its queryset once per view class (building a list's queryset with
    its annotations and prefetches on every request only to read ``.model`` showed in the profile). A viewset
    serves one model whatever the request: one whose ``get_queryset`` changed model by request or action would
    need its permissions declared in ``action_permissions`` instead."""
    view_class = type(view)
    if view_class not in _MODELS:
        _MODELS[view_class] = view.get_queryset().model
    return _MODELS[view_class]


class ActionPermissions(BasePermission):
    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if getattr(view, "action", None) is None:
            # OPTIONS / schema introspection and 405s: authenticated is enough.
            return True
        return user.has_perms(required_permissions(view))
