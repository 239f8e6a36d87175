"""Writes for integrations: webhook endpoints (``endpoints``), the fan-out of events and their delivery
(``deliveries``), recovery and retention (``maintenance``). Import the functions from here."""

from .deliveries import (
    RETRY_SCHEDULE_SECONDS,
    claim_deliveries,
    events_fan_out,
    record_results,
    retry_delay,
    send_all,
    webhook_deliveries_run,
    webhook_deliveries_sweep,
    webhook_delivery_retry,
    webhook_payload,
)
from .endpoints import (
    endpoint_signing_secrets,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_lock,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_test,
    webhook_endpoint_update,
    webhook_endpoint_validate,
)
from .maintenance import events_purge, webhooks_recover, webhooks_recover_now_and_then

__all__ = [
    "RETRY_SCHEDULE_SECONDS",
    "claim_deliveries",
    "endpoint_signing_secrets",
    "events_fan_out",
    "events_purge",
    "record_results",
    "retry_delay",
    "send_all",
    "webhook_deliveries_run",
    "webhook_deliveries_sweep",
    "webhook_delivery_retry",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_lock",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_test",
    "webhook_endpoint_update",
    "webhook_endpoint_validate",
    "webhook_payload",
    "webhooks_recover",
    "webhooks_recover_now_and_then",
]
