"""Content negotiation: the quick answer for the usual Accept headers is DRF's own answer, and every other request
still goes through DRF (406 for what no renderer gives)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request

from synthesq.core.negotiation import ContentNegotiation
from synthesq.core.renderers import PDFRenderer

ACCEPTS = [None, "*/*", "application/json", "application/pdf", "application/json; indent=4", "application/*",
           "text/html", "text/html, */*;q=0.8", "*/*; q=0.5", "application/json, text/html", "", "image/png"]
RENDERER_SETS = [[JSONRenderer], [PDFRenderer], [JSONRenderer, BrowsableAPIRenderer]]


def _chosen(negotiation: DefaultContentNegotiation, accept: str | None, renderers: list[BaseRenderer],
            query: str = "") -> tuple[type, str] | str:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(RequestFactory().get(f"/api/v1/anything{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except NotAcceptable:
        return "406"
    return type(renderer), media_type


@pytest.mark.parametrize("query", ["", "?format=json", "?format=pdf", "?format="])
@pytest.mark.parametrize("renderer_classes", RENDERER_SETS, ids=lambda classes: "+".join(c.format for c in classes))
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_renderer_and_media_type_are_drfs(accept: str | None, renderer_classes: list[type[BaseRenderer]],
                                               query: str) -> None:
    renderers = [renderer() for renderer in renderer_classes]
    try:
        expected = _chosen(DefaultContentNegotiation(), accept, renderers, query)
    except Exception as exc:  # DRF's 404 for a format no renderer has: ours raises the same
        with pytest.raises(type(exc)):
            _chosen(ContentNegotiation(), accept, renderers, query)
        return
    assert _chosen(ContentNegotiation(), accept, renderers, query) == expected


def test_the_api_uses_it() -> None:
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is ContentNegotiation
