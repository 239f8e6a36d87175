"""A redirect to HTTPS that keeps a write's method and body.

Django's SecurityMiddleware (``SECURE_SSL_REDIRECT``) answers a plain-HTTP request with ``301 Moved Permanently``
to its ``https://`` URL; clients follow a 301 with a ``GET`` and no body, so an API ``POST`` sent to ``http://`` by
mistake would silently become a read. This middleware sits just outside it (``synthesq.settings.production``)
and turns that redirect into ``308 Permanent Redirect`` for every method but ``GET`` and ``HEAD``: clients follow a
308 with the same method and body. (Django's middleware stays in ``MIDDLEWARE`` as the deploy checklist expects.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SAFE_TO_REPEAT_AS_GET = {"GET", "HEAD"}


class HttpsRedirectKeepsWritesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code == 301 and request.method not in SAFE_TO_REPEAT_AS_GET and not request.is_secure()
                and response.get("Location", "").startswith("https://")):
            response.status_code = 308
        return response
