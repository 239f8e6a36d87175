"""Events (the outbox every committed change writes) and webhooks (endpoints, deliveries, attempts).

An ``Event`` is written by the service that made the change, in its transaction; its ``sequence`` comes from a
counter locked until that transaction commits, so events become visible in sequence order and a client paging
through ``/api/v1/events`` never skips one. A ``WebhookDelivery`` is one event for one endpoint; each try is a
``WebhookAttempt``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import TimeStampedModel


class Event(models.Model):
    id = PrefixedIdField(prefix="evt")
    sequence = models.BigIntegerField(unique=True, editable=False,
                                      help_text="Commit order: gap-free, visible in this order.")
    type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40, blank=True, help_text="The object the event is about.")
    data = models.JSONField(encoder=DjangoJSONEncoder,
                            help_text='{"object": the object as the API renders it, "previous_attributes": …}')
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out = models.BooleanField(default=False, help_text="Its deliveries to the subscribed endpoints exist.")
    only_endpoint_id = models.CharField(max_length=40, blank=True,
                                        help_text="For a ping: the one endpoint it goes to, subscribed or not.")

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["type", "sequence"], name="event_type_sequence"),
            models.Index(fields=["object_id", "sequence"], name="event_object_sequence"),
            models.Index(fields=["created_at"], name="event_created_at"),
            models.Index(fields=["created_at"], name="event_not_fanned_out", condition=Q(fanned_out=False)),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookEndpoint(TimeStampedModel):
    """Where an integration wants events: an https URL, the event types it subscribes to (``order.*``
    wildcards allowed) and the secret its deliveries are signed with (Standard Webhooks)."""

    id = PrefixedIdField(prefix="we")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    events = models.JSONField(default=list, help_text='Event types, e.g. ["order.shipped", "invoice.*"].')
    is_active = models.BooleanField("active", default=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text="First failure since the last success.")
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(FSMModelMixin, models.Model):
    """One event for one endpoint. Pending until an attempt succeeds (2xx) or the retry schedule runs out."""

    Status = DeliveryStatus

    id = PrefixedIdField(prefix="whd")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = FSMField(default=DeliveryStatus.PENDING, choices=DeliveryStatus.choices, protected=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True,
                                       help_text="An attempt is under way until then (a worker holds it).")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_one_per_endpoint_event"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "created_at"], name="delivery_endpoint_created"),
            models.Index(fields=["next_attempt_at"], name="delivery_pending_due",
                         condition=Q(status="pending")),
            # /metrics counts the deliveries given up at each scrape: a few rows, not the table
            models.Index(fields=["completed_at"], name="delivery_failed", condition=Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"

    @transition(field=status, source=DeliveryStatus.PENDING, target=DeliveryStatus.SUCCEEDED)
    def succeed(self, at: datetime | None = None) -> None:
        self.completed_at = at or timezone.now()
        self.next_attempt_at = self.lease_until = None

    @transition(field=status, source=DeliveryStatus.PENDING, target=DeliveryStatus.FAILED)
    def fail(self, at: datetime | None = None) -> None:
        self.completed_at = at or timezone.now()
        self.next_attempt_at = self.lease_until = None

    @transition(field=status, source="*", target=DeliveryStatus.PENDING)
    def resend(self) -> None:
        self.completed_at = self.lease_until = None
        self.next_attempt_at = timezone.now()


class WebhookAttempt(models.Model):
    """One try of a delivery: when, how long, what the receiver answered (an excerpt), or what went wrong."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["delivery", "number", "id"]
        indexes = [
            # /metrics counts the last minutes' attempts by outcome at each scrape
            models.Index(fields=["attempted_at"], name="attempt_attempted_at"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
