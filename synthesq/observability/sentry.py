"""Error reports to Sentry, only when ``SENTRY_DSN`` is set (nothing is loaded or sent otherwise).

Every event carries the request id (tag ``request_id``), so a report links to the request's log lines and to
the ``request_id`` a client saw in its problem body or ``X-Request-ID`` header. No personal data is sent
(``send_default_pii`` off); performance tracing is off unless ``SENTRY_TRACES_SAMPLE_RATE`` is set.

No secret is sent (issue 20, item 16): no frame's local variables (``include_local_variables`` off: a bearer
token sits in the authentication frames' locals), Sentry's scrubber with its denylist widened to our names (the
webhook secrets, the ``Authorization`` header under every spelling), and ``before_send``/``before_breadcrumb``
pass the whole event through ``redaction`` (any key naming a secret, any credential-shaped text).
"""

from __future__ import annotations

from typing import Any

from synthesq.core.request_id import current_request_id

from .redaction import redact

# Added to Sentry's own denylist (exact key names, lower-cased, at any depth).
EXTRA_DENYLIST = [
    "http_authorization", "x-authorization", "http_cookie", "previous_secret", "webhook_secret", "secret_key",
    "signature", "webhook-signature", "webhook_signature", "metrics_token", "plain_token", "digest",
]


def attach_request_id(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag the event with the id of the request that raised it."""
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def scrub_event(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """``before_send``: the request id attached, every secret redacted (by key name and by shape)."""
    return attach_request_id(redact(event), hint)


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """``before_breadcrumb``: a log line or a query recorded on the way is redacted too."""
    return redact(crumb)


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration()],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *EXTRA_DENYLIST], recursive=True),
        before_send=scrub_event,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
    )
