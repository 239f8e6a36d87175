"""Template helpers for the back-office's pages."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder

register = template.Library()
PREFIX = "panel-"


@register.filter
def page_tab(fieldset: Any) -> str:
    """The page tab a fieldset belongs to (``classes=["panel-shipment"]`` → "shipment"), or ""."""
    for name in str(getattr(fieldset, "classes", "") or "").split():
        if name.startswith(PREFIX):
            return name[len(PREFIX):]
    return ""


@register.filter
def json_script_attr(value: Any) -> str:
    """JSON for a ``data-*`` attribute (the template escapes it for the attribute)."""
    return json.dumps(value, cls=DjangoJSONEncoder)


@register.simple_tag(takes_context=True)
def page_takes_input(context: template.Context) -> bool:
    """Whether the change page has anything to save: a field drawn as an input (not read-only), or an inline
    whose rows may be added, changed or deleted. A page that only shows (a delivery to the integrations role, a
    confirmed order to sales) offers no "Save", which would only say "…was changed successfully"."""
    adminform = context.get("adminform")
    if adminform is None:
        return True  # not a model's change page: leave Django's buttons as they are
    for fieldset in adminform:
        for line in fieldset:
            if any(not field.is_readonly for field in line):
                return True
    return any(inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission
               for inline in context.get("inline_admin_formsets") or [])
