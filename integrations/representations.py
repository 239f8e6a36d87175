"""Webhook endpoints as the API renders them, built as plain dicts: the events about an endpoint
(``ping``, ``webhook_endpoint.disabled``) carry this, and ``WebhookEndpointSerializer`` delegates here (a test
holds the two to the same output). The secret is never part of it."""

from __future__ import annotations

from typing import Any

from synthesq.core.representation import iso_datetime

from .models import WebhookEndpoint


def endpoint_representation(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "events": list(endpoint.events),
        "active": endpoint.is_active, "failing_since": iso_datetime(endpoint.failing_since),
        "disabled_at": iso_datetime(endpoint.disabled_at), "created_at": iso_datetime(endpoint.created_at),
        "updated_at": iso_datetime(endpoint.updated_at),
    }
