"""Small pieces shared by the apps' admins: status badges and running a service from an admin view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.html import format_html

from .errors import DomainError

BADGE_COLOURS = {
    # orders
    "draft": "#6c757d", "confirmed": "#0d6efd", "processing": "#6f42c1", "shipped": "#fd7e14",
    "delivered": "#20c997", "closed": "#198754", "cancelled": "#dc3545",
    # invoices
    "issued": "#0d6efd", "paid": "#198754", "void": "#adb5bd",
}


def status_badge(status: str, label: str | None = None) -> str:
    colour = BADGE_COLOURS.get(str(status), "#6c757d")
    return format_html(
        '<span class="status-badge" style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
        'font-size:11px;white-space:nowrap">{}</span>', colour, label or str(status),
    )


def run_service(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service from the admin: success message, or the domain error's detail as an error message
    (never an error page). Returns whether it succeeded."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.detail)
        return False
    messages.success(request, success)
    return True
