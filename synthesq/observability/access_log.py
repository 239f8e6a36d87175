"""The request log: one access line per request, written by the app, rendered once (issue 25).

``RequestLogMiddleware`` is django-structlog's ``RequestMiddleware`` (it replaces it in ``MIDDLEWARE``, same
logger, same events) with its per-request path made cheap: the settings read once, the context (``request_id``,
``ip``) bound in one call, ``request_started`` built only when its level is logged, and ``request_finished``
given its route, view and duration here rather than through a signal. That line also carries what gunicorn's
access line said (``remote_addr``, ``bytes``, ``user_agent``; the method, path, query and status are in
``request`` and ``code``), and the request is marked (``ACCESS_LOGGED`` in its WSGI environ) so gunicorn's
``JsonAccessLogger`` writes no second line for it: one JSON line per request, with the request id, the user, the
route and the duration (none when ``request_finished``'s level is not logged: then nothing of the line is built,
and gunicorn's line is off too). What gunicorn answers itself, without Django (a malformed or oversized request),
keeps gunicorn's own lines. Streaming responses and failed requests (``request_failed``) take
django-structlog's own path, unchanged, marked too.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import structlog
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_structlog.app_settings import app_settings
from django_structlog.middlewares.request import RequestMiddleware
from django_structlog.middlewares.request import logger as request_logger
from ipware import get_client_ip
from python_ipware.modern.defaults import DEFAULT_PRECEDENCE

from synthesq.core.request_id import REQUEST_ID_META

if TYPE_CHECKING:
    from collections.abc import Callable

# Set in the WSGI environ of a request the app has logged: gunicorn's access logger then writes nothing for it.
ACCESS_LOGGED = "synthesq.access_logged"

_STDLIB_LOGGER = logging.getLogger("django_structlog.middlewares.request")


@functools.lru_cache(maxsize=4096)
def _client_ip(headers: tuple[str | None, ...]) -> str | None:
    meta = {name: value for name, value in zip(DEFAULT_PRECEDENCE, headers, strict=True) if value is not None}
    return get_client_ip(SimpleNamespace(META=meta))[0]  # type: ignore[arg-type]


def client_ip(request: HttpRequest) -> str | None:
    """django-ipware's client address (what django-structlog logs as ``ip``), remembered per distinct set of the
    headers it reads (its default precedence; this project sets no IPWARE_* setting): working it out takes
    longer than the rest of the request's log line."""
    meta = request.META
    return _client_ip(tuple(meta.get(name) for name in DEFAULT_PRECEDENCE))


def request_line_extras(request: HttpRequest, response: HttpResponse | None = None) -> dict[str, Any]:
    """The request log's route, view, duration, and gunicorn's access line's fields the app line did not have."""
    extras: dict[str, Any] = {}
    match = getattr(request, "resolver_match", None)
    if match is not None:
        extras["route"] = match.route
        extras["view"] = match.view_name
    started = getattr(request, "started_at", None)  # set by synthesq.core.request_id.RequestIdMiddleware
    if started is not None:
        extras["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    meta = request.META
    extras["remote_addr"] = meta.get("REMOTE_ADDR")
    extras["user_agent"] = meta.get("HTTP_USER_AGENT")
    if response is not None and not response.streaming:
        extras["bytes"] = len(response.content)
    meta[ACCESS_LOGGED] = True
    return extras


class RequestLogMiddleware(RequestMiddleware):
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.levels = {2: app_settings.STATUS_2XX_LOG_LEVEL, 4: app_settings.STATUS_4XX_LOG_LEVEL,
                       5: app_settings.STATUS_5XX_LOG_LEVEL}
        self.default_level = app_settings.STATUS_DEFAULT_LOG_LEVEL
        self.start_level = app_settings.STATUS_START_LOG_LEVEL
        self.trust_request_id = app_settings.TRUST_UPSTREAM_REQUEST_ID
        self.trust_correlation_id = app_settings.TRUST_UPSTREAM_CORRELATION_ID
        self.ip_logging = app_settings.IP_LOGGING_ENABLED

    def __call__(self, request: HttpRequest) -> Any:
        if self.trust_correlation_id or not self.trust_request_id:  # settings this project does not use
            return super().__call__(request)
        self.prepare(request)
        response = cast("HttpResponse", self.get_response(request))
        self.handle_response(request, response)
        return response

    def prepare(self, request: HttpRequest) -> None:
        context: dict[str, Any] = {"request_id": request.META.get(REQUEST_ID_META) or str(uuid.uuid4())}
        if self.ip_logging:
            context["ip"] = client_ip(request)
        structlog.contextvars.bind_contextvars(**context)
        self.bind_user_id(request)
        if _STDLIB_LOGGER.isEnabledFor(self.start_level):
            request_logger.log(self.start_level, "request_started", request=self.format_request(request),
                               user_agent=request.META.get("HTTP_USER_AGENT"))

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        if hasattr(request, "_raised_exception") or isinstance(response, StreamingHttpResponse):
            request.META[ACCESS_LOGGED] = True
            super().handle_response(request, response)  # request_failed, or a streamed body: django-structlog's
            return
        status = response.status_code
        level = self.levels.get(status // 100, self.default_level)
        if _STDLIB_LOGGER.isEnabledFor(level):  # else structlog would drop the line: nothing to build
            self.bind_user_id(request)
            request_logger.log(level, "request_finished", code=status, request=self.format_request(request),
                               **request_line_extras(request, response))
        else:
            request.META[ACCESS_LOGGED] = True  # the request's line is off at this level: gunicorn's too
        structlog.contextvars.clear_contextvars()
