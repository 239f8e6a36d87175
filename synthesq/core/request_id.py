"""One id per request, for following it through logs, problem bodies, error reports and the access log.

``RequestIdMiddleware`` runs first. It takes the caller's ``X-Request-ID`` when it is a sane token (a load
balancer or a client that already has an id for this call), otherwise makes a new UUID, and echoes the id in
the response's ``X-Request-ID``. It writes the chosen id back into the request's headers, so
django-structlog (``DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID``) binds exactly this id to every log line
of the request; ``current_request_id()`` reads it from there for problem bodies and Sentry events.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:  # imported by the settings (through Sentry's hook): no Django import at run time
    from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"

# Letters, digits and . _ : - up to 128 characters: UUIDs, ULIDs, trace ids. Anything else (spaces, quotes,
# newlines that could forge log lines, megabyte headers) is replaced by a fresh id.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id_for(incoming: str | None) -> str:
    """The caller's id when acceptable, else a new one."""
    if incoming and _ACCEPTABLE.fullmatch(incoming):
        return incoming
    return str(uuid.uuid4())


def current_request_id() -> str | None:
    """The id of the request being handled in this thread or task, or None outside a request."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_for(request.META.get(REQUEST_ID_META))
        request.META[REQUEST_ID_META] = request_id
        request.__dict__.pop("headers", None)  # HttpRequest.headers is cached from META: drop a stale copy
        request.request_id = request_id  # type: ignore[attr-defined]
        request.started_at = time.perf_counter()  # type: ignore[attr-defined]  # for the request log's duration
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
