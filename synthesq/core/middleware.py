"""The edges of the API: what reaches a view, and what leaves ``/api/``.

``ApiEdgeMiddleware`` is the outermost middleware. For every request under ``/api/`` it

- refuses a body larger than ``API_MAX_BODY_BYTES`` with 413 ``payload_too_large``: from ``Content-Length``
  before anything is read, and while reading (the stream stops at the limit and the parser gets a 413), so a
  large body is never buffered or parsed;
- refuses control characters before they can reach the database: in the path (an id) with 404, in query
  parameters and headers with 400 ``validation_error`` naming the parameter or header
  (JSON bodies are checked by the parser, ``synthesq.core.parsers``);
- turns every error response that is not yet problem details — Django's own, produced outside DRF: an
  unknown URL, a bad ``Host``, CSRF, a 500 (with ``DEBUG`` too) — into ``application/problem+json``;
- marks responses ``Cache-Control: no-store``: they carry one caller's data and must not be kept by caches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse

from .problems import PROBLEM_CONTENT_TYPE, PayloadTooLarge, problem_body
from .text import CONTROL_CHARACTERS_MESSAGE, has_control_characters, header_has_control_characters

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# Error statuses Django (or a server) may produce without problem details, and how we name them.
_CODES = {
    400: ("malformed_request", "Malformed request"),
    403: ("permission_denied", "Permission denied"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request body too large"),
    500: ("server_error", "Internal server error"),
}


def max_body_bytes() -> int:
    return int(settings.API_MAX_BODY_BYTES)


class BoundedStream:
    """A request body stream that raises ``PayloadTooLarge`` once more than ``limit`` bytes have been read."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read_so_far = 0

    def _count(self, data: bytes) -> bytes:
        self._read_so_far += len(data)
        if self._read_so_far > self._limit:
            raise PayloadTooLarge(self._limit)
        return data

    def read(self, size: int = -1, /) -> bytes:
        # Never ask for more than one byte past the limit: enough to know it was exceeded.
        allowed = self._limit - self._read_so_far + 1
        size = allowed if size is None or size < 0 else min(size, allowed)
        return self._count(self._stream.read(size))

    def readline(self, size: int = -1, /) -> bytes:
        allowed = self._limit - self._read_so_far + 1
        size = allowed if size is None or size < 0 else min(size, allowed)
        return self._count(self._stream.readline(size))

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def problem_json(request: HttpRequest, *, status: int, code: str, title: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> JsonResponse:
    body = problem_body(status=status, code=code, title=title, detail=detail, instance=request.path, **extra)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers)


def too_large(request: HttpRequest) -> JsonResponse:
    limit = max_body_bytes()
    return problem_json(request, status=413, code="payload_too_large", title="Request body too large",
                        detail=f"The request body is larger than {limit} bytes.", max_bytes=limit)


class ApiEdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self._refuse(request)
        if response is None:
            stream = getattr(request, "_stream", None)
            if stream is not None:
                request._stream = BoundedStream(stream, max_body_bytes())  # type: ignore[assignment]
            response = self.get_response(request)
        response = as_problem(request, response)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        """A response refusing the request before any view sees it, or None."""
        if has_control_characters(request.path):
            return problem_json(request, status=404, code="not_found", title="Not found",
                                detail="No resource at this URL.")
        content_length = request.META.get("CONTENT_LENGTH") or "0"
        if content_length.isdigit() and int(content_length) > max_body_bytes():
            return too_large(request)
        for name, value in request.META.items():
            # Printable ASCII (nearly every header) holds no control character: no need to decode it.
            if (name.startswith("HTTP_") and isinstance(value, str) and not (value.isascii() and value.isprintable())
                    and header_has_control_characters(value)):
                header = name[5:].replace("_", "-").title()
                return problem_json(request, status=400, code="validation_error", title="Invalid request",
                                    detail=f"{header}: {CONTROL_CHARACTERS_MESSAGE}",
                                    errors=[{"field": header, "message": CONTROL_CHARACTERS_MESSAGE,
                                             "code": "invalid"}])
        try:
            query = request.GET
        except SuspiciousOperation as exc:  # e.g. too many parameters
            return problem_json(request, status=400, code="malformed_request", title="Malformed request",
                                detail=str(exc) or "The query string is malformed.")
        errors = []
        for key, values in query.lists():
            if has_control_characters(key) or any(has_control_characters(value) for value in values):
                field = key if not has_control_characters(key) else None
                errors.append({"field": field, "message": CONTROL_CHARACTERS_MESSAGE, "code": "invalid"})
        if errors:
            where = f"{errors[0]['field']}: " if errors[0]["field"] else ""
            return problem_json(request, status=400, code="validation_error", title="Invalid request",
                                detail=f"{where}{CONTROL_CHARACTERS_MESSAGE}", errors=errors)
        return None


def as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An error response under /api/ as problem details (Django's pages, whatever produced them)."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
        return response
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code, title = _CODES.get(status, ("error", phrase))
    if status == 413:
        problem = too_large(request)
    else:
        detail = {
            400: "The request is malformed (for example its Host header names no host this server serves).",
            403: "The request was refused.",
            404: "No resource at this URL.",
            500: "An unexpected error occurred; it has been logged.",
        }.get(status, title)
        problem = problem_json(request, status=status, code=code, title=title, detail=detail)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.has_header(header):
            problem[header] = response[header]
    return problem

