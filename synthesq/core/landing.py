"""``/``: a small page pointing to what the service offers (the back-office, the API's documentation and schema,
the health probe), so "Return to site" and a bare host name lead somewhere useful."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


def landing(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "landing.html")
