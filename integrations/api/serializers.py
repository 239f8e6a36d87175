from __future__ import annotations

from rest_framework import serializers

from integrations.events import KnownPatternChoices
from integrations.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from synthesq.core.serializers import InputSerializer


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "object_id", "data"]
        read_only_fields = fields


class WebhookEndpointSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    events = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "failing_since", "disabled_at", "created_at",
                  "updated_at"]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="whsec_… (base64): verify signatures with it. Shown only here, once.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(InputSerializer):
    url = serializers.URLField(max_length=2000, help_text="https only; public addresses only.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=KnownPatternChoices()), min_length=1,
                                   max_length=100, help_text='Event types, "order.*" wildcards, or "*" for all.')
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)


class WebhookEndpointUpdateSerializer(WebhookEndpointInputSerializer):
    active = serializers.BooleanField(source="is_active", required=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "duration_ms", "status_code", "succeeded", "response_excerpt", "error"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    endpoint_id = serializers.CharField(read_only=True)
    event_id = serializers.CharField(read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True, help_text="Every attempt, oldest first.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint_id", "event_id", "event_type", "status", "attempts", "next_attempt_at",
                  "last_attempt_at", "last_status_code", "completed_at", "created_at", "attempt_log"]
        read_only_fields = fields
