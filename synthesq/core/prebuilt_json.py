"""JSON the database has already written (issue 25): a page of orders' line items built by PostgreSQL as compact
JSON text, put in the page's data as ``PrebuiltJSON`` and written into the response as it is (an
``orjson.Fragment``), not read as rows and made into dicts and lists again.

The text must be exactly what the renderer would have written for the values it stands for (compact, UTF-8, the
keys in the representation's order): ``JSONRenderer`` inserts it verbatim. Everything else that writes the data
(DRF's renderer for an ``indent``, ``etag_of``) goes through ``JSONEncoder``, which writes the parsed value in its
place, so its output is the one the plain values would have given."""

from __future__ import annotations

import json
from typing import Any

import orjson
from rest_framework.utils import encoders


class PrebuiltJSON:
    """JSON text standing for the value it parses to."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def value(self) -> Any:
        """The plain value (dicts, lists, strings, integers, None): what the representation would have built."""
        return json.loads(self.text)

    def fragment(self) -> orjson.Fragment:
        return orjson.Fragment(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrebuiltJSON) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"PrebuiltJSON({self.text!r})"


class JSONEncoder(encoders.JSONEncoder):
    """DRF's encoder, writing a ``PrebuiltJSON`` as its parsed value (with the encoder's own settings: indent,
    sorted keys)."""

    def default(self, obj: Any) -> Any:
        if obj.__class__ is PrebuiltJSON:
            return obj.value()
        return super().default(obj)


def plain(data: Any) -> Any:
    """``data`` with every ``PrebuiltJSON`` in it (in dicts and lists) replaced by its parsed value: for what
    reads the data rather than writes it."""
    if data.__class__ is PrebuiltJSON:
        return data.value()
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(value) for value in data]
    return data
