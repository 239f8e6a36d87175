"""Reads for integrations."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def event_list() -> QuerySet[Event]:
    return Event.objects.order_by("-sequence")


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("-id")


def delivery_list() -> QuerySet[WebhookDelivery]:
    """Deliveries with their event's type and every attempt (two queries for a page)."""
    return (WebhookDelivery.objects.select_related("event")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number", "id")))
            .defer("event__data").order_by("-id"))


def webhook_figures() -> dict[str, int]:
    """The integrations dashboard's figures, in two queries."""
    endpoints = WebhookEndpoint.objects.aggregate(active=Count("id", filter=Q(is_active=True)),
                                                  disabled=Count("id", filter=Q(is_active=False)))
    deliveries = WebhookDelivery.objects.aggregate(
        waiting=Count("id", filter=Q(status=DeliveryStatus.PENDING)),
        given_up=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
    )
    return {"active_endpoints": endpoints["active"], "disabled_endpoints": endpoints["disabled"],
            "pending": deliveries["waiting"], "failed": deliveries["given_up"]}
