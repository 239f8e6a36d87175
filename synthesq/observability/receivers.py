"""Signal receivers: the request log's route and duration (django-structlog), on the lines django-structlog
writes itself (streamed responses, failed requests; ``access_log`` writes the others). Connected when the app is
ready (``apps.ObservabilityConfig``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.http import HttpRequest
from django_structlog import signals as structlog_signals

from synthesq.observability.access_log import request_line_extras


def _route_and_duration(request: HttpRequest, log_kwargs: dict[str, Any]) -> None:
    log_kwargs.update(request_line_extras(request))


@receiver(structlog_signals.bind_extra_request_finished_metadata, dispatch_uid="synthesq.request_finished_log")
def request_finished_route_and_duration(*, request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _route_and_duration(request, log_kwargs)


@receiver(structlog_signals.bind_extra_request_failed_metadata, dispatch_uid="synthesq.request_failed_log")
def request_failed_route_and_duration(*, request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    _route_and_duration(request, log_kwargs)
