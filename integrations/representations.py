"""Events, webhook endpoints and their deliveries as the API renders them, built as plain dicts (the serializers
in ``api/serializers.py`` declare their fields for the schema; a test holds the two to the same keys and types).
The events about an endpoint (``ping``, ``webhook_endpoint.disabled``) carry ``endpoint_representation``: the
secret is never part of it, only of the answers that show it once."""

from __future__ import annotations

from typing import Any

from synthesq.core.representation import iso_datetime

from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def event_representation(event: Event) -> dict[str, Any]:
    return {"id": event.pk, "type": event.type, "created_at": iso_datetime(event.created_at),
            "object_id": event.object_id, "data": event.data}


def endpoint_representation(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "events": list(endpoint.events),
        "active": endpoint.is_active, "failing_since": iso_datetime(endpoint.failing_since),
        "disabled_at": iso_datetime(endpoint.disabled_at), "created_at": iso_datetime(endpoint.created_at),
        "updated_at": iso_datetime(endpoint.updated_at),
    }


def endpoint_with_secret_representation(endpoint: WebhookEndpoint, secret: str) -> dict[str, Any]:
    """The endpoint with its signing secret: only in the answers to its creation and to a rotation."""
    return {**endpoint_representation(endpoint), "secret": secret}


def attempt_representation(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number, "attempted_at": iso_datetime(attempt.attempted_at),
        "duration_ms": attempt.duration_ms, "status_code": attempt.status_code, "succeeded": attempt.succeeded,
        "response_excerpt": attempt.response_excerpt, "error": attempt.error,
    }


def delivery_representation(delivery: WebhookDelivery) -> dict[str, Any]:
    """The delivery with its event's type and every attempt (``delivery_list`` joins and prefetches them)."""
    return {
        "id": delivery.pk, "endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
        "event_type": delivery.event.type, "status": str(delivery.status), "attempts": delivery.attempts,
        "next_attempt_at": iso_datetime(delivery.next_attempt_at),
        "last_attempt_at": iso_datetime(delivery.last_attempt_at), "last_status_code": delivery.last_status_code,
        "completed_at": iso_datetime(delivery.completed_at), "created_at": iso_datetime(delivery.created_at),
        "attempt_log": [attempt_representation(attempt) for attempt in delivery.attempt_log.all()],
    }
