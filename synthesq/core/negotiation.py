"""Content negotiation: DRF's, with the usual request answered without parsing its ``Accept`` header (issue 25).

A request without ``Accept``, with ``Accept: */*`` or with exactly the first renderer's media type (what API
clients send: ``application/json``), and no format override, gets the first renderer and the media type DRF would
have chosen for it; any other request goes through DRF's ``DefaultContentNegotiation`` unchanged (406 included).
The header is read from ``META``: going through ``request.headers`` would build the whole header mapping for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request: Request, renderers: Iterable[BaseRenderer],
                        format_suffix: str | None = None) -> Any:
        renderers = list(renderers)
        if renderers and not (format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)):
            first = renderers[0]
            accept = request.META.get("HTTP_ACCEPT")
            if accept is None or accept == "*/*":
                return first, first.media_type  # DRF: the renderer's type for a wildcard without parameters
            if accept == first.media_type:
                return first, accept
        return super().select_renderer(request, renderers, format_suffix)
