"""The one error format: RFC 9457 problem details with a stable ``code``.

``problem_exception_handler`` is DRF's exception handler for the whole API. It maps domain errors raised by
services and DRF's own exceptions to ``application/problem+json`` responses and marks the transaction for
rollback, so a refused request never leaves a partial write.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from synthesq.observability import events

from .errors import DomainError
from .request_id import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class PayloadTooLarge(exceptions.APIException):
    """The body is larger than ``API_MAX_BODY_BYTES`` (raised while reading it; see ``synthesq.core.middleware``)."""

    status_code = 413
    default_code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        self.max_bytes = limit
        super().__init__(f"The request body is larger than {limit} bytes.")


# DRF exception class -> (code, title). Checked in order, so subclasses come first.
_DRF_CODES: list[tuple[type[exceptions.APIException], str, str]] = [
    (exceptions.ParseError, "malformed_request", "Malformed request body"),
    (exceptions.ValidationError, "validation_error", "Invalid request"),
    (exceptions.NotAuthenticated, "not_authenticated", "Authentication required"),
    (exceptions.AuthenticationFailed, "not_authenticated", "Authentication failed"),
    (exceptions.PermissionDenied, "permission_denied", "Permission denied"),
    (exceptions.NotFound, "not_found", "Not found"),
    (exceptions.MethodNotAllowed, "method_not_allowed", "Method not allowed"),
    (exceptions.NotAcceptable, "not_acceptable", "Not acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type"),
    (exceptions.Throttled, "throttled", "Too many requests"),
    (PayloadTooLarge, "payload_too_large", "Request body too large"),
]


def problem_type(code: str) -> str:
    return f"urn:synthesq:problem:{code}"


def problem_body(*, status: int, code: str, title: str, detail: str, instance: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if request_id := current_request_id():
        body["request_id"] = request_id  # the X-Request-ID of the response, to quote when reporting it
    body.update(extra)
    return body


def flatten_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """Turn DRF's nested error detail into ``[{"field": "line_items[0].quantity", "message", "code"}]``."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                out.extend(flatten_errors(value, path))
            elif isinstance(key, int):  # DRF reports a list's item errors as a dict keyed by index
                out.extend(flatten_errors(value, f"{path}[{key}]"))
            else:
                out.extend(flatten_errors(value, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(detail, list):
        if detail and all(isinstance(item, (dict, list)) for item in detail):
            out = []
            for index, item in enumerate(detail):
                out.extend(flatten_errors(item, f"{path}[{index}]"))
            return out
        out = []
        for item in detail:
            out.extend(flatten_errors(item, path))
        return out
    return [{"field": path or None, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


def _summary(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "The request is invalid."
    first = errors[0]
    where = f"{first['field']}: " if first.get("field") else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{first['message']}{more}"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    events.problem_returned(status=body["status"], code=body["code"])
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else None

    if isinstance(exc, DomainError):
        set_rollback()
        return problem_response(
            problem_body(status=exc.status, code=exc.code, title=exc.title, detail=exc.detail,
                         instance=instance, **exc.extra),
            headers=dict(exc.headers) or None,
        )
    conflict = _conflict_problem(exc, instance)
    if conflict is not None:
        return conflict
    exc = _as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    return _api_problem(exc, instance)


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own exceptions as the DRF exceptions they mean."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    return exc


def _conflict_problem(exc: Exception, instance: str | None) -> Response | None:
    """Races, constraints and out-of-range values that services guard against first: 409 (400), never a 500."""
    if isinstance(exc, (ConcurrentTransition, TransitionNotAllowed)):
        # Safety net: services check transitions first and lock rows, so this means a race was lost.
        set_rollback()
        return problem_response(problem_body(
            status=409, code="concurrent_change", title="Changed concurrently",
            detail="The resource changed while this request ran; nothing was changed. Read it and retry.",
            instance=instance,
        ))
    if isinstance(exc, DataError):
        # A value the database cannot hold (a number out of range) that no check caught: bad input, never 500.
        logger.warning("Data error mapped to 400: %s", exc)
        set_rollback()
        return problem_response(problem_body(
            status=400, code="validation_error", title="Invalid request",
            detail="A value is out of the range the data can hold; nothing was changed.", instance=instance,
            errors=[{"field": None, "message": "A value is out of range.", "code": "out_of_range"}],
        ))
    if isinstance(exc, IntegrityError):
        # A constraint caught what a service check should have: refuse, never 500.
        logger.warning("Integrity error mapped to 409: %s", exc)
        set_rollback()
        return problem_response(problem_body(
            status=409, code="conflict", title="Conflict with the current state",
            detail="The request conflicts with the current state of the data; nothing was changed.",
            instance=instance,
        ))
    return None


def _api_problem(exc: exceptions.APIException, instance: str | None) -> Response:
    code, title = "error", "Error"
    for cls, cls_code, cls_title in _DRF_CODES:
        if isinstance(exc, cls):
            code, title = cls_code, cls_title
            break

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled):
        wait = max(0, math.ceil(getattr(exc, "wait", None) or 0))
        headers["Retry-After"] = str(wait)
        extra["retry_after"] = wait
    if isinstance(exc, PayloadTooLarge):
        extra["max_bytes"] = exc.max_bytes
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        extra["errors"] = errors
        detail = _summary(errors)
    else:
        detail = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else title
    return problem_response(
        problem_body(status=exc.status_code, code=code, title=title, detail=detail, instance=instance, **extra),
        headers=headers,
    )


def _plain_problem(request: HttpRequest, status: int, code: str, title: str, detail: str) -> JsonResponse:
    events.problem_returned(status=status, code=code)
    return JsonResponse(
        problem_body(status=status, code=code, title=title, detail=detail, instance=request.path),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


@csrf_exempt
def api_aware_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """URL not found: problem details under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _plain_problem(request, 404, "not_found", "Not found", "No resource at this URL.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def api_aware_500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _plain_problem(request, 500, "server_error", "Internal server error",
                              "An unexpected error occurred; it has been logged.")
    from django.views.defaults import server_error

    return server_error(request)


@csrf_exempt
def api_aware_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's bad requests (a Host it does not serve, too many fields, a body too big to read): problem
    details under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return _plain_problem(request, 413, "payload_too_large", "Request body too large",
                                  "The request body is too large.")
        if isinstance(exception, DisallowedHost):
            detail = "The Host header names no host this server serves."
        else:
            detail = "The request is malformed."
        return _plain_problem(request, 400, "malformed_request", "Malformed request", detail)
    from django.views.defaults import bad_request

    return bad_request(request, exception or Exception("Bad request"))


@csrf_exempt
def api_aware_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _plain_problem(request, 403, "permission_denied", "Permission denied", "The request was refused.")
    from django.views.defaults import permission_denied

    return permission_denied(request, exception or Exception("Permission denied"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: problem details under /api/ (bearer-token requests never need CSRF; a session request
    without its token does), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _plain_problem(request, 403, "permission_denied", "Permission denied",
                              f"CSRF verification failed: {reason or 'no token'}. Authenticate with a bearer token.")
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)
