"""Reads for integrations."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def event_list() -> QuerySet[Event]:
    return Event.objects.order_by("-sequence")


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("-id")


def delivery_list() -> QuerySet[WebhookDelivery]:
    """Deliveries with their event's type and every attempt (two queries for a page)."""
    return (WebhookDelivery.objects.select_related("event")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number", "id")))
            .defer("event__data").order_by("-id"))
