"""Integrations in the back-office (Unfold): events (read only), webhook endpoints (register, change, rotate the
secret, send a ping) and their deliveries with every attempt (resend one or many), a sidebar group and a dashboard
section for the integrations role. Every change goes through ``integrations.services``."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.widgets import UnfoldAdminTextInputWidget, UnfoldAdminURLInputWidget

from synthesq.core import backoffice
from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import (
    BackofficeForm,
    ReadOnlyInline,
    ViewOnlyAdmin,
    action_form_page,
    admin_link,
    admin_object,
    back_to,
    confirm_then_run,
    local_minute,
    run_service,
    status_badge,
)
from synthesq.core.backoffice import Figure, Panel
from synthesq.core.errors import DomainError

from . import selectors, services
from .models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERY_STATUS_COLOURS: dict[str, str] = {
    DeliveryStatus.PENDING: "#fd7e14", DeliveryStatus.SUCCEEDED: "#198754", DeliveryStatus.FAILED: "#dc3545",
}


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin, ModelAdmin):
    list_display = ("type", "object_id", "created_display", "id")
    list_filter = ("type",)
    search_fields = ("id", "object_id")
    search_help_text = "Event id or the id of the object it is about"
    fields = readonly_fields = ("id", "type", "object_id", "created_display", "data_display")

    @admin.display(description="created", ordering="sequence")
    def created_display(self, event: Event) -> str:
        return local_minute(event.created_at)

    @admin.display(description="data (the object as the API rendered it, and what changed)")
    def data_display(self, event: Event) -> str:
        return format_html('<pre class="event-data">{}</pre>', json.dumps(event.data, indent=2, cls=DjangoJSONEncoder))


class WebhookEndpointForm(forms.ModelForm):
    # Declared fields skip the admin's formfield overrides: Unfold's widgets are named, or the inputs are invisible.
    url = forms.URLField(max_length=2000, assume_scheme="https", help_text="https only; public addresses only.",
                         widget=UnfoldAdminURLInputWidget)
    events = forms.CharField(max_length=2000, widget=UnfoldAdminTextInputWidget,
                             help_text='Event types, comma separated; "order.*" takes every order event.')

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "description", "events", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["events"] = ", ".join(self.instance.events)
        else:
            self.fields.pop("is_active")

    def clean_events(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["events"].split(",") if part.strip()]

    def clean(self) -> dict[str, Any]:
        super().clean()
        try:
            services.webhook_endpoint_validate(url=self.cleaned_data.get("url"),
                                               events=self.cleaned_data.get("events"))
        except DomainError as exc:
            for error in exc.extra.get("errors", []):
                self.add_error(error["field"] if error["field"] in self.fields else None, error["message"])
        return self.cleaned_data


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = readonly_fields = ("delivery_link", "status_display", "attempts", "last_status_code", "next_display",
                                "created_display")
    ordering = ("-id",)
    verbose_name_plural = "recent deliveries"
    max_num = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("event").defer("event__data")

    @admin.display(description="delivery")
    def delivery_link(self, item: WebhookDelivery) -> str:
        return admin_link("admin:integrations_webhookdelivery_change", item.pk, f"{item.event.type} · {item.pk}")

    @admin.display(description="status")
    def status_display(self, item: WebhookDelivery) -> str:
        return status_badge(item.status, DELIVERY_STATUS_COLOURS)

    @admin.display(description="next attempt")
    def next_display(self, item: WebhookDelivery) -> str:
        return local_minute(item.next_attempt_at)

    @admin.display(description="created")
    def created_display(self, item: WebhookDelivery) -> str:
        return local_minute(item.created_at)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "events_display", "is_active", "failing_display")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = ("id", "failing_display", "disabled_display", "created_display")
    inlines = (DeliveryInline,)
    actions = ("send_test",)
    actions_detail = ("rotate_secret", "ping")

    @admin.display(description="events")
    def events_display(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    @admin.display(description="failing since")
    def failing_display(self, endpoint: WebhookEndpoint) -> str:
        return local_minute(endpoint.failing_since)

    @admin.display(description="disabled")
    def disabled_display(self, endpoint: WebhookEndpoint) -> str:
        return local_minute(endpoint.disabled_at)

    @admin.display(description="created")
    def created_display(self, endpoint: WebhookEndpoint) -> str:
        return local_minute(endpoint.created_at)

    def get_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("url", "description", "events")
        return ("id", "url", "description", "events", "is_active", "failing_display", "disabled_display",
                "created_display")

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.webhook_endpoint_update(endpoint_id=obj.pk, actor=acting_user(request),
                                             data={name: data[name] for name in form.changed_data})
            return
        created, secret = services.webhook_endpoint_create(
            url=data["url"], events=data["events"], description=data.get("description", ""),
            actor=acting_user(request))
        obj.pk = created.pk
        messages.warning(request, f"Signing secret (copy it now, it will not be shown again): {secret}")

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        services.webhook_endpoint_delete(endpoint_id=obj.pk, actor=acting_user(request))

    def has_rotate_secret_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        return request.user.has_perm("integrations.change_webhookendpoint")

    def has_ping_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        return request.user.has_perm("integrations.change_webhookendpoint")

    @action(description="Rotate secret…", url_path="rotate-secret", permissions=["rotate_secret"], icon="key",
            attrs={"data-action": "rotate-secret"})
    def rotate_secret(self, request: HttpRequest, object_id: str) -> HttpResponse:
        endpoint: WebhookEndpoint = admin_object(self, request, object_id)
        if request.method != "POST":
            return action_form_page(self, request, endpoint, BackofficeForm(), submit_label="Rotate secret",
                                    title=f"Rotate the signing secret of {endpoint.url}",
                                    intro="The new secret signs from now on; the current one keeps signing beside "
                                          "it for 24 hours, so receivers can switch without missing a delivery.")
        try:
            _endpoint, secret = services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk,
                                                                        actor=acting_user(request))
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.warning(request, f"New signing secret (copy it now, it will not be shown again): {secret}")
        return back_to(endpoint)

    @action(description="Send a test ping", url_path="ping", permissions=["ping"], icon="send",
            attrs={"data-action": "ping", "data-post": "1"})
    def ping(self, request: HttpRequest, object_id: str) -> HttpResponse:
        endpoint: WebhookEndpoint = admin_object(self, request, object_id)
        return confirm_then_run(
            self, request, endpoint,
            partial(services.webhook_endpoint_test, endpoint_id=endpoint.pk, actor=acting_user(request)),
            title=f"Send a ping event to {endpoint.url}", submit_label="Send ping",
            success=f"Ping sent to {endpoint.url}.")

    @admin.action(description="Send a test ping", permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            run_service(request, partial(services.webhook_endpoint_test, endpoint_id=endpoint.pk,
                                         actor=acting_user(request)), f"Ping sent to {endpoint.url}.")


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = readonly_fields = ("number", "attempted_display", "status_code", "duration_ms", "error",
                                "response_excerpt")
    verbose_name_plural = "attempts"
    view_permission = "integrations.view_webhookdelivery"  # who sees a delivery sees why it failed

    @admin.display(description="attempted")
    def attempted_display(self, attempt: WebhookAttempt) -> str:
        return local_minute(attempt.attempted_at)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ModelAdmin):
    list_display = ("event_type", "endpoint", "status_display", "attempts", "last_status_code", "next_display",
                    "created_display")
    list_filter = ("status",)
    search_fields = ("id", "event__id", "endpoint__url")
    list_select_related = ("event", "endpoint")
    fields = readonly_fields = ("id", "endpoint", "event", "status_display", "attempts", "last_status_code",
                                "last_display", "next_display", "created_display")
    inlines = (AttemptInline,)
    actions = ("resend_selected",)
    actions_detail = ("resend",)
    actions_row = ("resend",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).defer("event__data")

    @admin.display(description="event")
    def event_type(self, item: WebhookDelivery) -> str:
        return item.event.type

    @admin.display(description="status", ordering="status")
    def status_display(self, item: WebhookDelivery) -> str:
        return status_badge(item.status, DELIVERY_STATUS_COLOURS)

    @admin.display(description="last attempt")
    def last_display(self, item: WebhookDelivery) -> str:
        return local_minute(item.last_attempt_at)

    @admin.display(description="next attempt")
    def next_display(self, item: WebhookDelivery) -> str:
        return local_minute(item.next_attempt_at)

    @admin.display(description="created", ordering="created_at")
    def created_display(self, item: WebhookDelivery) -> str:
        return local_minute(item.created_at)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        return request.user.has_perm("integrations.change_webhookdelivery")

    @action(description="Resend now", url_path="resend", permissions=["resend"], icon="replay",
            attrs={"data-action": "resend", "data-post": "1"})
    def resend(self, request: HttpRequest, object_id: str) -> HttpResponse:
        item: WebhookDelivery = admin_object(self, request, object_id)
        return confirm_then_run(
            self, request, item, partial(services.webhook_delivery_retry, delivery_id=item.pk,
                                         actor=acting_user(request)),
            title=f"Send {item.event.type} to {item.endpoint.url} again", submit_label="Resend now",
            success=f"Delivery {item.pk} will be sent again.")

    @admin.action(description="Resend now", permissions=["change"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for item in queryset:
            run_service(request, partial(services.webhook_delivery_retry, delivery_id=item.pk,
                                         actor=acting_user(request)), f"Delivery {item.pk} will be sent again.")


# -- the back-office: sidebar and dashboard ----------------------------------------------------------------------
backoffice.nav_group("Integrations", order=40)
backoffice.nav_item("Integrations", title="Webhook endpoints", url_name="admin:integrations_webhookendpoint_changelist",
                    icon="webhook", permission="integrations.view_webhookendpoint", order=10)
backoffice.nav_item("Integrations", title="Failing deliveries", icon="sync_problem",
                    url_name="admin:integrations_webhookdelivery_changelist", query="status__exact=failed",
                    permission="integrations.view_webhookdelivery", order=20)
backoffice.nav_item("Integrations", title="Deliveries", url_name="admin:integrations_webhookdelivery_changelist",
                    icon="outbox", permission="integrations.view_webhookdelivery", order=30)
backoffice.nav_item("Integrations", title="Events", url_name="admin:integrations_event_changelist", icon="bolt",
                    permission="integrations.view_event", order=40)
backoffice.dashboard_section("integrations", title="Integrations", permission="integrations.view_webhookdelivery",
                             order=40, icon="webhook")


@backoffice.dashboard_panel("integrations", order=10)
def webhook_figures(request: HttpRequest) -> Panel:
    figures = selectors.webhook_figures()
    deliveries = reverse("admin:integrations_webhookdelivery_changelist")
    endpoints = reverse("admin:integrations_webhookendpoint_changelist")
    return Panel("Webhooks", [
        Figure("Active endpoints", str(figures["active_endpoints"]), f"{endpoints}?is_active__exact=1"),
        Figure("Disabled endpoints", str(figures["disabled_endpoints"]), f"{endpoints}?is_active__exact=0",
               tone="danger" if figures["disabled_endpoints"] else ""),
        Figure("Deliveries pending", str(figures["pending"]), f"{deliveries}?status__exact=pending",
               tone="warning" if figures["pending"] else ""),
        Figure("Deliveries failed", str(figures["failed"]), f"{deliveries}?status__exact=failed",
               tone="danger" if figures["failed"] else ""),
    ])
