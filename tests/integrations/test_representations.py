"""Integrations' renderings (the API's output, and the data of the events about an endpoint) against the
serializers' declarations: the same keys and types for events, webhook endpoints (the secret only where it is
shown) and deliveries with their attempts, in every state; DRF renders those fields by itself to the same output,
and a webhook's body is the event's."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import services as integrations
from integrations.api.serializers import (
    EventSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)
from integrations.models import WebhookAttempt
from integrations.representations import (
    delivery_representation,
    endpoint_representation,
    endpoint_with_secret_representation,
    event_representation,
)
from integrations.selectors import delivery_list, event_list
from integrations.services import webhook_payload
from tests.representation_parity import assert_renders_as_declared

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", ["new", "failing", "disabled"])
def test_webhook_endpoints_render_as_their_declared_fields(state: str) -> None:
    endpoint, secret = integrations.webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["order.*"],
                                                            description="shop", actor=None)
    if state != "new":
        endpoint.failing_since = timezone.now() - timedelta(days=1)
        endpoint.disabled_at = timezone.now() if state == "disabled" else None
        endpoint.is_active = state != "disabled"
        endpoint.save()
    assert_renders_as_declared(WebhookEndpointSerializer, endpoint_representation(endpoint))
    assert endpoint_representation(endpoint) == WebhookEndpointSerializer(endpoint).data
    with_secret = endpoint_with_secret_representation(endpoint, secret)
    assert_renders_as_declared(WebhookEndpointWithSecretSerializer, with_secret)
    assert with_secret["secret"] == secret


def test_events_and_deliveries_render_as_their_declared_fields() -> None:
    # given an endpoint pinged twice, one delivery attempted and failed
    endpoint, _secret = integrations.webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["*"],
                                                             description="", actor=None)
    attempted = integrations.webhook_endpoint_test(endpoint_id=endpoint.pk, actor=None)
    integrations.webhook_endpoint_test(endpoint_id=endpoint.pk, actor=None)
    WebhookAttempt.objects.create(delivery=attempted, number=1, attempted_at=timezone.now(), duration_ms=12,
                                  status_code=500, response_excerpt="oops")
    WebhookAttempt.objects.create(delivery=attempted, number=2, attempted_at=timezone.now(), error="timed out")
    # then every event and delivery renders as declared
    assert event_list().exists()
    for event in event_list():
        assert_renders_as_declared(EventSerializer, event_representation(event))
        assert event_representation(event) == EventSerializer(event).data
        # and the webhook's body is the event as the API renders it, without object_id
        declared = {key: value for key, value in EventSerializer(event).data.items() if key != "object_id"}
        assert json.loads(webhook_payload(event)) == declared
    for delivery in delivery_list():
        assert_renders_as_declared(WebhookDeliverySerializer, delivery_representation(delivery))
        assert delivery_representation(delivery) == WebhookDeliverySerializer(delivery).data
