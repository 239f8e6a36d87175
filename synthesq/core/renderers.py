"""The API's renderers: JSON written by orjson, the same bytes as DRF's ``JSONRenderer`` (issue 25), and binary
documents (``application/pdf``).

``JSONRenderer`` is DRF's, with its compact, UTF-8, strict settings written by orjson (a page of 50 orders is
170 KB: ``json.dumps`` took about 1 ms of it, orjson a tenth). What orjson would write otherwise goes to DRF's
encoder (``default``: dates and times as DRF writes them, decimals, lazy strings, querysets …), and whatever orjson
refuses (an integer beyond 64 bits, a key that is not a string, a string that is not valid UTF-8, a type DRF cannot
write either) is written by DRF's renderer itself, so the answer (or the error) is DRF's. What differs: a float is
written in its shortest form, which may spell the same number otherwise (``1e-05`` as ``0.00001``), and a
non-finite float as ``null`` where DRF would refuse it; the API's representations carry no floats (amounts are
decimal strings, parsed JSON numbers are ``Decimal``). An ``indent`` (``application/json; indent=4``) or other
settings than the default go to DRF's renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils import encoders

# orjson's own forms of these differ from DRF's (a datetime's microseconds and ``Z``; a dataclass DRF cannot
# write), so they go to DRF's encoder.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))
_DEFAULT = encoders.JSONEncoder().default  # holds no state of its own


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if data is None or not self._plain(accepted_media_type, renderer_context):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_DEFAULT, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # DRF escapes the two line separators JavaScript refuses in strings; so does this.
        for raw, escaped in _LINE_SEPARATORS:
            if raw in body:
                body = body.replace(raw, escaped)
        return body

    def _plain(self, accepted_media_type: str | None, renderer_context: Mapping[str, Any] | None) -> bool:
        """DRF's default settings (compact, UTF-8, strict) and no indent: what orjson writes identically."""
        return (self.compact and not self.ensure_ascii and self.strict
                and self.get_indent(accepted_media_type or "", renderer_context or {}) is None)


class PDFRenderer(renderers.BaseRenderer):
    """Binary documents. A view that answers with a document declares this renderer only; its errors (a dict,
    problem details) are still written as JSON, with the problem+json content type the exception handler sets."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: Mapping[str, Any] | None = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data, "application/json", renderer_context)
