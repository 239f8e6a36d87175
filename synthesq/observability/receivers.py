"""Signal receivers: the request log's route and duration (django-structlog). Connected when the app is ready
(``apps.ObservabilityConfig``)."""

from __future__ import annotations

import time
from typing import Any

from django.dispatch import receiver
from django.http import HttpRequest
from django_structlog import signals as structlog_signals


def _route_and_duration(request: HttpRequest, log_kwargs: dict[str, Any]) -> None:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        log_kwargs["route"] = match.route
        log_kwargs["view"] = match.view_name
    started = getattr(request, "started_at", None)  # set by synthesq.core.request_id.RequestIdMiddleware
    if started is not None:
        log_kwargs["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)


@receiver(structlog_signals.bind_extra_request_finished_metadata, dispatch_uid="synthesq.request_finished_log")
def request_finished_route_and_duration(*, request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _route_and_duration(request, log_kwargs)


@receiver(structlog_signals.bind_extra_request_failed_metadata, dispatch_uid="synthesq.request_failed_log")
def request_failed_route_and_duration(*, request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _route_and_duration(request, log_kwargs)
