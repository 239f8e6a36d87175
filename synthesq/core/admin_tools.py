"""Small pieces shared by the apps' admins: status badges, the object an admin URL names (quoted ids), running a
service from an admin view, the page that asks for what an action needs, read-only inlines and the history tab."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape, format_html, format_html_join
from unfold import widgets as unfold_widgets
from unfold.admin import TabularInline

from .admin_messages import refusal_message
from .errors import DomainError
from .money import format_money

NEUTRAL = "#6c757d"


class LinksTheViewerMayFollow:
    """For an inline (Django builds inlines anew for each request, in ``get_inline_instances``): ``link`` draws a
    link to another admin page only when the user it is drawn for may open that page, the plain text otherwise. A
    link a role cannot follow is not a link."""

    admin_site: admin.AdminSite
    request: HttpRequest | None = None

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        self.request = request
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]

    def link(self, model: type[models.Model], pk: Any, text: str) -> str:
        opts = model._meta
        if self.request is not None and self.admin_site.is_registered(model) \
                and self.admin_site.get_model_admin(model).has_view_or_change_permission(self.request):
            return admin_link(f"admin:{opts.app_label}_{opts.model_name}_change", pk, text)
        return conditional_escape(text)


def person(field: str, description: str) -> Callable[[Any], str]:
    """A read-only column naming who did something (``actor``, ``recorded_by``…) by name, not as a link: users'
    pages are for administrators, and a link a role cannot follow is not a link."""

    @admin.display(description=description)
    def show(obj: Any) -> str:
        user = getattr(obj, field)
        return "—" if user is None else str(user)

    show.__name__ = f"{field}_name"
    return show


class _MoneyColumn:
    """A callable object, not a function: set on a ModelAdmin it is not bound to the admin, so Django calls it
    with the row alone, as it does a column listed as it is."""

    def __init__(self, field: str, description: str, document: str | None, ordering: str | None) -> None:
        self.field, self.document = field, document
        self.short_description, self.admin_order_field = description, ordering
        self.__name__ = f"{field}_display"

    def __call__(self, obj: Any) -> str:
        holder = obj if self.document is None else getattr(obj, self.document)
        return format_money(getattr(obj, self.field), holder.currency)


def money_column(field: str, description: str, *, document: str | None = None,
                 ordering: str | None = None) -> Callable[[Any], str]:
    """A read-only column of an amount in its currency: the row's own, or its ``document``'s for a line (the
    parent: ``invoice``, ``sales_return``…). Listed as it is (``readonly_fields = (*LINE_AMOUNTS, …)``) or set on
    a ModelAdmin (``total_display = money_column("total", "total", ordering="total")``)."""
    return _MoneyColumn(field, description, document, ordering)


ACTOR = person("actor", "actor")
RECORDED_BY = person("recorded_by", "recorded by")
CREATED_BY = person("created_by", "created by")


class ReadOnlyRows(LinksTheViewerMayFollow):
    """For an inline of rows shown on their parent's page that staff read but never add, change or delete there
    (history, ledgers, related records). ``view_permission`` names who may see them; by default, who may see the
    page."""

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
        return super().has_view_permission(request, obj)  # type: ignore[misc]


class ReadOnlyInline(ReadOnlyRows, TabularInline):
    """Read-only rows as a table."""


class HistoryInline(ReadOnlyInline):
    """A history tab: when, what, the status change, who, why, and the row's ``data`` in staff's words.

    A subclass names the model and its ``fk_name`` (the parent, whose currency amounts are shown in), the
    ``labels`` of its ``data`` keys and the keys that hold ``money``; ``readable`` may word other values."""

    fields = readonly_fields = ("when", "kind", "change", ACTOR, "reason", "details")
    verbose_name = "history entry"
    verbose_name_plural = "history"
    ordering = ["id"]
    labels: Mapping[str, str | Callable[[Any], str]] = {}
    money: tuple[str, ...] = ()

    @admin.display(description="when")
    def when(self, event: Any) -> str:
        return local_minute(event.created_at)

    @admin.display(description="status")
    def change(self, event: Any) -> str:
        if event.from_status and event.to_status and event.from_status != event.to_status:
            return f"{event.from_status} → {event.to_status}"
        return event.to_status or "—"

    @admin.display(description="details")
    def details(self, event: Any) -> str:
        data = dict(event.data or {})
        currency = getattr(event, str(self.fk_name)).currency
        for key in self.money:
            if data.get(key):
                data[key] = format_money(Decimal(str(data[key])), currency)
        return labelled(self.readable(event, data), self.labels_for(event))

    def readable(self, event: Any, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with values worded for staff (a code's label); as is by default."""
        return data

    def labels_for(self, event: Any) -> Mapping[str, str | Callable[[Any], str]]:
        """The labels for ``event``'s kind; ``labels`` by default."""
        return self.labels


class ViewOnlyAdmin:
    """For the admin of records made and changed only by services (the buttons on their pages or other pages,
    the API, batches): staff read them here, and never add, change or delete one through a form."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BackofficeForm(forms.Form):
    """A plain form (what an action asks for) drawn with the back-office's widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = _styled_widget(field)


def _styled_widget(field: forms.Field) -> forms.Widget:
    attrs = dict(field.widget.attrs)
    if isinstance(field, forms.BooleanField):
        return unfold_widgets.UnfoldBooleanSwitchWidget(attrs=attrs)
    if isinstance(field, forms.ChoiceField):
        return unfold_widgets.UnfoldAdminSelectWidget(attrs=attrs, choices=field.choices)
    if isinstance(field, forms.DecimalField):
        return unfold_widgets.UnfoldAdminDecimalFieldWidget(attrs={"inputmode": "decimal", **attrs})
    if isinstance(field, forms.IntegerField):
        return unfold_widgets.UnfoldAdminIntegerFieldWidget(attrs=attrs)
    if isinstance(field.widget, forms.Textarea):
        return unfold_widgets.UnfoldAdminTextareaWidget(attrs=attrs)
    return unfold_widgets.UnfoldAdminTextInputWidget(attrs=attrs)


def status_badge(status: str, colours: Mapping[str, str], label: str | None = None) -> str:
    """A coloured badge for a status; each app declares its own statuses' ``colours``."""
    colour = colours.get(str(status), NEUTRAL)
    return format_html('<span class="status-badge" style="background:{}">{}</span>', colour, label or str(status))


def flag(raised: bool, label: str, colour: str) -> str:
    """A state that needs attention ("On hold", "Overdue") as a badge when it holds, and nothing when it does not:
    never a red ✕ that reads as an error for the ordinary case."""
    return status_badge(label, {label: colour}) if raised else ""


def admin_link(url_name: str, pk: Any, text: str) -> str:
    return format_html('<a class="backoffice-link" href="{}">{}</a>', reverse(url_name, args=[quote(pk)]), text)


def local_minute(value: Any) -> str:
    """A time as staff read it: their time zone, to the minute ("28 Nov 2026, 14:05"); "—" when empty."""
    if value is None:
        return "—"
    return dateformat.format(timezone.localtime(value), "j M Y, H:i")


def local_day(value: Any) -> str:
    return "—" if value is None else dateformat.format(timezone.localtime(value), "j M Y")


def local_day_of(value: Any) -> str:
    """A day kept as ISO text (a history row's ``due_at``) as staff read it, or the text as is if it is not a time."""
    parsed = parse_datetime(value) if isinstance(value, str) else value
    return local_day(parsed) if parsed is not None else str(value)


def labelled(data: Mapping[str, Any], labels: Mapping[str, str | Callable[[Any], str]]) -> str:
    """A history row's ``data`` as "Label: value" lines, in ``labels``' order; keys without a label are left out
    (ids, internal flags). A label may be a function of the value ("Return window waived")."""
    rows = []
    for key, label in labels.items():
        if key not in data or data[key] in (None, "", False):
            continue
        rows.append(label(data[key]) if callable(label) else f"{label}: {data[key]}")
    return format_html_join("", '<div class="labelled">{}</div>', ((row,) for row in rows)) or "—"


def admin_object(model_admin: Any, request: HttpRequest, object_id: str) -> Any:
    """The object an admin URL names, or 404. Admin URLs carry quoted primary keys (``ord_01…`` is
    ``ord_5F01…`` in a link), so the id is unquoted here, once for every view. Kept on the request, so the
    permission hooks of several buttons on one page look it up once."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    cache: dict[tuple[str, str], Any] = request.__dict__.setdefault("_admin_objects", {})
    key = (model_admin.model._meta.label, str(object_id))
    if key not in cache:
        cache[key] = model_admin.get_object(request, unquote(str(object_id)))
    if cache[key] is None:
        raise Http404(f"No {model_admin.model._meta.verbose_name} {unquote(str(object_id))!r}.")
    return cache[key]


def drawing_buttons(request: HttpRequest) -> bool:
    """True while an object's page is drawn (its buttons follow its state); False while an action runs, when
    the service checks the role and the state and refuses with a message."""
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").endswith("_change"))


def change_url(obj: models.Model) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])


def back_to(obj: models.Model) -> HttpResponseRedirect:
    return HttpResponseRedirect(change_url(obj))


def run_service(request: HttpRequest, action: Callable[[], Any], success: str,
                describe: Callable[[DomainError], str | None] | None = None) -> bool:
    """Run a service from the admin: success message, or the refusal as an error message (never an error page).
    ``describe`` may word a refusal for staff (labels instead of API field names). Returns whether it succeeded."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, (describe(exc) if describe else None) or refusal_message(exc))
        return False
    messages.success(request, success)
    return True


def action_form_page(model_admin: Any, request: HttpRequest, obj: Any, form: Any, *, title: str,
                     submit_label: str = "Confirm", intro: str = "", facts: Iterable[tuple[str, str]] = (),
                     back_url: str | None = None) -> TemplateResponse:
    """The page that asks for what an action needs (a tracking number, a reason, a payment) or confirms it,
    styled like the admin, with a way back to the object's page."""
    context = {
        **model_admin.admin_site.each_context(request), "title": title,
        "form": form, "submit_label": submit_label, "intro": intro, "facts": list(facts),
        "back_url": back_url or change_url(obj),
    }
    if model_admin.has_view_or_change_permission(request, obj):  # the trail of links to the list and the object
        context.update(opts=model_admin.model._meta, original=obj)
    return TemplateResponse(request, "admin/action_form.html", context)


def confirm_then_run(model_admin: Any, request: HttpRequest, obj: models.Model, action: Callable[[], Any], *,
                     title: str, submit_label: str, success: str, facts: Iterable[tuple[str, str]] = ()
                     ) -> HttpResponse:
    """A one-step action (nothing to fill in): a GET shows what it will do and changes nothing; the POST runs
    the service (its refusal as an error message) and goes back to the object's page."""
    if request.method != "POST":
        return action_form_page(model_admin, request, obj, BackofficeForm(), title=title, submit_label=submit_label,
                                facts=facts)
    run_service(request, action, success)
    return back_to(obj)

