"""Integrations in the back-office: events (read only), webhook endpoints (register, change, rotate the secret,
send a ping) and their deliveries with every attempt (resend one). Every change goes through
``integrations.services``."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import ReadOnlyInline, run_service, status_badge
from synthesq.core.errors import DomainError

from . import services
from .models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

DELIVERY_STATUS_COLOURS: dict[str, str] = {
    DeliveryStatus.PENDING: "#fd7e14", DeliveryStatus.SUCCEEDED: "#198754", DeliveryStatus.FAILED: "#dc3545",
}


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "object_id", "created_at")
    list_filter = ("type",)
    search_fields = ("id", "object_id")
    fields = readonly_fields = ("id", "type", "object_id", "created_at", "data", "fanned_out")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", help_text="https only; public addresses only.")
    events = forms.CharField(
        help_text='Event types, comma separated; "order.*" takes every order event.', max_length=2000)

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
    fields = readonly_fields = ("delivery_link", "event_type", "status_display", "attempts", "last_status_code",
                                "next_attempt_at", "created_at")
    ordering = ("-id",)
    verbose_name_plural = "recent deliveries"
    max_num = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("event").defer("event__data")

    @admin.display(description="delivery")
    def delivery_link(self, item: WebhookDelivery) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:integrations_webhookdelivery_change",
                                                          args=[item.pk]), item.pk)

    @admin.display(description="event")
    def event_type(self, item: WebhookDelivery) -> str:
        return item.event.type

    @admin.display(description="status")
    def status_display(self, item: WebhookDelivery) -> str:
        return status_badge(item.status, DELIVERY_STATUS_COLOURS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "events_display", "is_active", "failing_since", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = ("id", "failing_since", "disabled_at", "created_at")
    inlines = (DeliveryInline,)
    actions = ("send_test",)
    change_form_template = "admin/integrations/webhookendpoint/change_form.html"

    @admin.display(description="events")
    def events_display(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    def get_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("url", "description", "events")
        return ("id", "url", "description", "events", "is_active", "failing_since", "disabled_at", "created_at")

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

    def get_urls(self) -> list[Any]:
        return [
            path("<path:object_id>/rotate-secret/", self.admin_site.admin_view(self.rotate_view),
                 name="integrations_webhookendpoint_rotate"),
            *super().get_urls(),
        ]

    def rotate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        back = HttpResponseRedirect(reverse("admin:integrations_webhookendpoint_change", args=[object_id]))
        if request.method != "POST" or not self.has_change_permission(request):
            return back
        try:
            _endpoint, secret = services.webhook_endpoint_rotate_secret(endpoint_id=object_id,
                                                                        actor=acting_user(request))
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.warning(request, "New signing secret (the old one signs too for 24 hours; copy it now, it "
                             f"will not be shown again): {secret}")
        return back

    @admin.action(description="Send a test ping", permissions=["change"])
    def send_test(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            run_service(request, partial(services.webhook_endpoint_test, endpoint_id=endpoint.pk,
                                         actor=acting_user(request)), f"Ping sent to {endpoint.url}.")


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = readonly_fields = ("number", "attempted_at", "status_code", "duration_ms", "error",
                                "response_excerpt")
    verbose_name_plural = "attempts"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event_type", "endpoint", "status_display", "attempts", "last_status_code",
                    "next_attempt_at", "created_at")
    list_filter = ("status",)
    search_fields = ("id", "event__id", "endpoint__url")
    list_select_related = ("event", "endpoint")
    fields = readonly_fields = ("id", "endpoint", "event", "status_display", "attempts", "last_status_code",
                                "last_attempt_at", "next_attempt_at", "completed_at", "created_at")
    inlines = (AttemptInline,)
    actions = ("resend",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).defer("event__data")

    @admin.display(description="event")
    def event_type(self, item: WebhookDelivery) -> str:
        return item.event.type

    @admin.display(description="status", ordering="status")
    def status_display(self, item: WebhookDelivery) -> str:
        return status_badge(item.status, DELIVERY_STATUS_COLOURS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False

    @admin.action(description="Resend now", permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for item in queryset:
            run_service(request, partial(services.webhook_delivery_retry, delivery_id=item.pk,
                                         actor=acting_user(request)), f"Delivery {item.pk} will be sent again.")
