"""Control characters never reach the database.

PostgreSQL refuses NUL in text (the request would fail with a 500), and no other control character has a
place in an id, a filter, a header or a name. Free text in JSON bodies may hold tab, line feed and carriage
return (a product description has lines); every other C0 or C1 control character, DEL, and lone surrogates
(which cannot be encoded) are refused: 404 for an id in the path, 400 naming the field or parameter elsewhere.

The patterns are the same in the OpenAPI schema (ECMA and Rust regular expressions) and here (Python).
"""

from __future__ import annotations

import contextlib
import re

# Refused everywhere: C0 controls, DEL and C1 controls.
PARAMETER_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
# Refused in JSON strings: the same but tab, line feed and carriage return.
BODY_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

# Required fields are not blank: at least one character that is neither refused nor whitespace (exactly
# Python's ``str.isspace``, which DRF trims).
NON_BLANK_BODY_TEXT_PATTERN = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*"
    r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
)

_PARAMETER_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BODY_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def header_has_control_characters(value: str) -> bool:
    """A header value as WSGI gives it (its bytes as Latin-1), read as the UTF-8 clients send: refused like a
    parameter (``\xc2\x84`` is U+0084, a C1 control; ``\xe2\x82\xac`` is a euro sign and passes)."""
    with contextlib.suppress(UnicodeError):
        value = value.encode("latin-1").decode("utf-8")
    return _PARAMETER_REFUSED.search(value) is not None


def has_control_characters(value: str, *, allow_line_breaks: bool = False) -> bool:
    """Whether ``value`` holds a character refused in parameters (or, with ``allow_line_breaks``, in bodies)."""
    return (_BODY_REFUSED if allow_line_breaks else _PARAMETER_REFUSED).search(value) is not None


CONTROL_CHARACTERS_MESSAGE = "Must not contain control characters."
