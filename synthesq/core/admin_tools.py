"""Small pieces shared by the apps' admins: status badges and running a service from an admin view."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from .errors import DomainError

NEUTRAL = "#6c757d"


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their parent's page that staff read but never add, change or delete there (history,
    ledgers, related records). ``view_permission`` names who may see them; by default, who may see the page."""

    extra = 0
    can_delete = False
    show_change_link = False
    view_permission: str | None = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.view_permission is not None:
            return request.user.has_perm(self.view_permission)
        return super().has_view_permission(request, obj)


def status_badge(status: str, colours: Mapping[str, str], label: str | None = None) -> str:
    """A coloured badge for a status; each app declares its own statuses' ``colours``."""
    colour = colours.get(str(status), NEUTRAL)
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
