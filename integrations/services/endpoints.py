"""Webhook endpoints: registered, changed, deleted, their signing secret rotated, pinged (the integrations role
manages them through the API and the admin)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from synthesq.core.actors import Actor, require_permission
from synthesq.core.errors import NotFound, ValidationFailed, field_error, refuse_unknown_fields

from .. import delivery as http
from ..events import in_event_scope, pattern_is_known, publish, publishes_events
from ..models import Event, WebhookDelivery, WebhookEndpoint
from ..queue import ATTEMPT_DELIVERY, SWEEP_DELIVERIES, enqueue
from ..representations import endpoint_representation

ROTATION_OVERLAP = timedelta(hours=24)
CHANGE_PERMISSION = "integrations.change_webhookendpoint"
_ENDPOINT_FIELDS = ("url", "events", "description", "is_active")


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _clean_url(url: str) -> str:
    try:
        http.check_url(url)
    except http.UnsafeUrl as exc:
        raise ValidationFailed(str(exc), errors=[field_error("url", str(exc), "unsafe_url")]) from exc
    return url


def _clean_events(patterns: Sequence[str]) -> list[str]:
    unknown = [p for p in patterns if not pattern_is_known(p)]
    if not patterns or unknown:
        message = f"Unknown event type(s): {', '.join(unknown)}." if unknown else "Subscribe to at least one type."
        raise ValidationFailed(message, errors=[field_error("events", message, "invalid_choice")])
    return list(dict.fromkeys(patterns))


def webhook_endpoint_validate(*, url: str | None = None, events: Sequence[str] | None = None) -> None:
    """Check an endpoint's URL and subscriptions as the services will (400 naming the field), writing nothing:
    for forms."""
    if url is not None:
        _clean_url(url)
    if events is not None:
        _clean_events(events)


@transaction.atomic
def webhook_endpoint_create(*, url: str, events: Sequence[str], description: str = "",
                            actor: Actor) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown to the caller once)."""
    require_permission(actor, "integrations.add_webhookendpoint", "Your role may not add webhook endpoints.")
    endpoint = WebhookEndpoint.objects.create(
        url=_clean_url(url), events=_clean_events(events), description=description, secret=_new_secret(),
        created_by=actor,
    )
    return endpoint, endpoint.secret


def webhook_endpoint_lock(endpoint_id: str) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.")
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint_id: str, data: dict[str, Any], actor: Actor) -> WebhookEndpoint:
    require_permission(actor, CHANGE_PERMISSION, "Your role may not change webhook endpoints.")
    refuse_unknown_fields(data, _ENDPOINT_FIELDS)
    endpoint = webhook_endpoint_lock(endpoint_id)
    if not data:  # an empty change changes nothing
        return endpoint
    if "url" in data:
        data["url"] = _clean_url(data["url"])
    if "events" in data:
        data["events"] = _clean_events(data["events"])
    for name, value in data.items():
        setattr(endpoint, name, value)
    if data.get("is_active") is True:  # re-enabled: a fresh start for the failure clock
        endpoint.disabled_at = endpoint.failing_since = None
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint_id: str, actor: Actor) -> None:
    require_permission(actor, "integrations.delete_webhookendpoint", "Your role may not delete webhook endpoints.")
    webhook_endpoint_lock(endpoint_id).delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint_id: str, actor: Actor) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; the previous one keeps signing beside it for 24 hours, so receivers can switch."""
    require_permission(actor, CHANGE_PERMISSION, "Your role may not change webhook endpoints.")
    endpoint = webhook_endpoint_lock(endpoint_id)
    endpoint.previous_secret, endpoint.secret = endpoint.secret, _new_secret()
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint, endpoint.secret


def endpoint_signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    rotated = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and rotated is not None and rotated > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


@transaction.atomic
def webhook_endpoint_test(*, endpoint_id: str, actor: Actor) -> WebhookDelivery:
    """Send a ``ping`` event to this endpoint only. Its delivery is created here, in the same transaction (the
    caller gets it, to follow its attempts), and a worker attempts it at once; the ping's fan-out finds it done."""
    require_permission(actor, CHANGE_PERMISSION, "Your role may not test webhook endpoints.")
    if in_event_scope():
        raise RuntimeError("A ping is a change of its own: call webhook_endpoint_test outside other services.")
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id!r}.")
    event_id = _publish_ping(endpoint)  # written when it returns (its own, outermost, event scope)
    if event_id is None:
        raise ValidationFailed("Events are off on this server (EVENTS_ENABLED): no ping can be sent.")
    now = timezone.now()
    item = WebhookDelivery.objects.create(endpoint=endpoint, event_id=event_id, next_attempt_at=now, created_at=now)
    Event.objects.filter(pk=event_id).update(fanned_out=True)
    enqueue(ATTEMPT_DELIVERY, item.pk, at=now)
    # the first attempt's watchdog, as a fan-out schedules one
    enqueue(SWEEP_DELIVERIES, [item.pk], at=now + 2 * timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS))
    return item


@publishes_events
def _publish_ping(endpoint: WebhookEndpoint) -> str | None:
    return publish("ping", object_id=endpoint.pk, obj=endpoint_data(endpoint), only_endpoint_id=endpoint.pk)


def endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return endpoint_representation(endpoint)
