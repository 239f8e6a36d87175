"""Small pieces shared by the apps' admins: status badges and running a service from an admin view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
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


def action_form_page(model_admin: Any, request: HttpRequest, obj: Any, form: Any, *, title: str,
                     submit_label: str = "Confirm") -> TemplateResponse:
    """The admin page that asks for what an action needs (a tracking number, a reason, a payment), styled
    like the admin, with a way back to the object's page."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request), "opts": opts, "original": obj, "title": title,
        "form": form, "submit_label": submit_label,
        "back_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
    }
    return TemplateResponse(request, "admin/action_form.html", context)
