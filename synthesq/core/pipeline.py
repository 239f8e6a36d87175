"""Two middleware paths: a lean one for the API, the back office's full one for every other page (issue 25).

An API request authenticates with its bearer token (DRF's ``BearerTokenAuthentication``) and uses no session,
no CSRF token (DRF's views are CSRF-exempt), no user signed in by a cookie, no staff time zone (the API answers
in UTC) and no messages. In ``MIDDLEWARE`` those middlewares stand between ``ApiBypassMiddleware`` and
``ApiRejoinMiddleware``; the bypass sends a request under ``/api/`` straight to the middleware after the rejoin
point, past all of them, while every other request (the admin, the landing page, the probes) runs through them
as before. Django's own middlewares stay in ``MIDDLEWARE`` under their own names, so the admin's and the deploy
checklist's checks still see them. An API answer leaves DRF's reference cycles once rendered (``let_go``).

Django builds the chain from the innermost middleware out: ``ApiRejoinMiddleware`` is made first and leaves the
handler after it for the next ``ApiBypassMiddleware`` made (in the same thread), which takes it. A bypass without
a rejoin after it refuses to start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

API_PREFIX = "/api/"

Handler = Callable[[HttpRequest], HttpResponseBase]

_rejoin = threading.local()  # the handler the last ApiRejoinMiddleware made in this thread leads to


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class ApiRejoinMiddleware:
    """Where API requests rejoin the chain, after the back office's middlewares."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        _rejoin.handler = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)


class ApiBypassMiddleware:
    """Sends API requests past the back office's middlewares, to the handler after ``ApiRejoinMiddleware``."""

    def __init__(self, get_response: Handler) -> None:
        after: Handler | None = getattr(_rejoin, "handler", None)
        if after is None:
            raise ImproperlyConfigured("ApiBypassMiddleware needs ApiRejoinMiddleware after it in MIDDLEWARE")
        _rejoin.handler = None
        self.get_response = get_response
        self.api_response = after

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_api_request(request):
            response = self.api_response(request)
            let_go(response)
            return response
        return self.get_response(request)


def let_go(response: HttpResponseBase) -> None:
    """Once a DRF response is rendered, take it out of the reference cycles DRF puts it in: its
    ``renderer_context`` names the view and the response itself, and the view names it (``response``) and is in
    a cycle with its request. In them, the response and its data (a page of orders is some 2,000 lists and dicts)
    were freed by the garbage collector only, which walked them over and over until then (issue 25); out of them,
    they go when the server has written the response. One place for every API answer (lists, writes, errors)."""
    context = getattr(response, "renderer_context", None)
    if context is None or not getattr(response, "is_rendered", False):
        return
    response.renderer_context = None  # type: ignore[attr-defined]  # set by the view (finalize_response)
    view = context.get("view")
    if getattr(view, "response", None) is response:
        del view.response
