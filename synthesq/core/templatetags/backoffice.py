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
