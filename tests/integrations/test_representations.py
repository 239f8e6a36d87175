"""The plain-dict rendering of webhook endpoints (their API output and the data of the events about them) is
exactly what the serializers' declared fields give, in every state, with the secret only where it is shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from integrations import services as integrations
from integrations.api.serializers import WebhookEndpointSerializer, WebhookEndpointWithSecretSerializer

pytestmark = pytest.mark.django_db


def _generic(serializer: serializers.ModelSerializer, instance: object) -> dict:
    """What DRF's own field machinery renders for the declared fields."""
    return dict(serializers.ModelSerializer.to_representation(serializer, instance))


@pytest.mark.parametrize("state", ["new", "failing", "disabled"])
def test_webhook_endpoints_render_as_their_declared_fields(state: str) -> None:
    endpoint, secret = integrations.webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["order.*"],
                                                            description="shop", actor=None)
    if state != "new":
        endpoint.failing_since = timezone.now() - timedelta(days=1)
        endpoint.disabled_at = timezone.now() if state == "disabled" else None
        endpoint.is_active = state != "disabled"
        endpoint.save()
    for serializer in (WebhookEndpointSerializer(endpoint),
                       WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret})):
        assert serializer.data == _generic(serializer, endpoint)
