"""Error reports to Sentry, only when ``SENTRY_DSN`` is set (nothing is loaded or sent otherwise).

Every event carries the request id (tag ``request_id``), so a report links to the request's log lines and to
the ``request_id`` a client saw in its problem body or ``X-Request-ID`` header. No personal data is sent
(``send_default_pii`` off); performance tracing is off unless ``SENTRY_TRACES_SAMPLE_RATE`` is set.
"""

from __future__ import annotations

from typing import Any

from synthesq.core.request_id import current_request_id


def attach_request_id(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """``before_send``: tag the event with the id of the request that raised it."""
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration()],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        before_send=attach_request_id,  # type: ignore[arg-type]
    )
