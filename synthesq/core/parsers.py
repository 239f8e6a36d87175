"""JSON parsing for every request body.

- Numbers with a fraction are kept as ``Decimal``: money never passes through float.
- ``NaN`` and ``Infinity`` are not JSON and are refused.
- Nesting deeper than ``MAX_JSON_DEPTH`` (64) is refused with 400 ``malformed_request`` (no body of ours is
  deeper than 4; without a limit, deep nesting exhausts the parser's recursion).
- Control characters in strings and keys (but tab, line feed and carriage return) are refused with 400
  ``validation_error`` naming the field: they never reach the database (``synthesq.core.text``).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from .text import CONTROL_CHARACTERS_MESSAGE, has_control_characters

MAX_JSON_DEPTH = 64


class DecimalJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
              ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            data = json.load(decoded, parse_float=Decimal, parse_constant=self._refuse_constant)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_json(data)
        return data

    @staticmethod
    def _refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")


def _field_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_json(data: Any) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` (ParseError) and strings or keys with control characters
    (ValidationError naming the first such field). Iterative, so any depth is safe to inspect."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if has_control_characters(value, allow_line_breaks=True):
                raise ValidationError({path or "body": [CONTROL_CHARACTERS_MESSAGE]})
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            for key, item in value.items():
                if has_control_characters(key, allow_line_breaks=False):
                    raise ValidationError({path or "body": ["Keys must not contain control characters."]})
                stack.append((item, _field_path(path, key), depth + 1))
        else:
            stack.extend((item, _field_path(path, index), depth + 1) for index, item in enumerate(value))
