"""Secrets never leave the process in a log line or an error report (issue 20, item 16).

Two nets, used by the log formatter (``logs``) and by Sentry's ``before_send`` (``sentry``):

- by name: a value under a key that names a secret (``token``, ``authorization``, ``secret``, ``password``, the
  webhook secrets, cookies…) is replaced by ``[redacted]``, in nested dicts and lists too;
- by shape: text that looks like a credential (``Bearer …``, an API token ``sqs_…``, a webhook secret
  ``whsec_…``) is replaced wherever it appears, in a message, an exception's text or a rendered traceback.

The first line of defence is elsewhere: tracebacks are rendered without their frames' local variables, and
Sentry sends none (``include_local_variables=False``). These nets catch what a future change lets through.

This module is imported by the settings (through ``logs``), so it imports nothing from Django.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"

# Key names (compared lower-cased, "-" read as "_") whose values are secrets: any key containing one of these.
SECRET_KEY_PARTS: tuple[str, ...] = (
    "token",  # API tokens, csrftoken, x_csrftoken, METRICS_TOKEN
    "authorization",  # the header, HTTP_AUTHORIZATION in META
    "secret",  # SECRET_KEY, webhook secret and previous_secret
    "password",
    "passwd",
    "api_key",
    "apikey",
    "cookie",  # Cookie, Set-Cookie, HTTP_COOKIE
    "sessionid",
    "credentials",
    "private_key",
    "signature",  # webhook-signature: proves knowledge of the secret
)

# Credentials recognised by their shape: the Authorization scheme and our own token and secret prefixes.
_SECRET_PATTERNS = re.compile(
    r"(?P<scheme>\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=\-]{6,}"  # an Authorization header's credentials
    r"|\bsqs_[A-Za-z0-9_\-]{8,}"  # an API token (synthesq.core.models.TOKEN_PREFIX)
    r"|\bwhsec_[A-Za-z0-9+/=]{8,}",  # a webhook signing secret (integrations.services.endpoints)
    flags=re.IGNORECASE,
)


# Keys that name something about a secret, not the secret: an id, a prefix shown to recognise it, a time, a count.
_ABOUT_A_SECRET = ("_id", "_ids", "_prefix", "_at", "_count", "_name")


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret (``Authorization``, ``previous_secret``, ``HTTP_COOKIE``…), not
    something about one (``token_id``, ``key_prefix``, ``previous_secret_expires_at``)."""
    if not isinstance(key, str):
        return False
    name = key.lower().replace("-", "_")
    return any(part in name for part in SECRET_KEY_PARTS) and not name.endswith(_ABOUT_A_SECRET)


def redact_text(text: str) -> str:
    """``text`` with every credential-shaped part replaced (an Authorization scheme keeps its name)."""
    return _SECRET_PATTERNS.sub(lambda match: (match.group("scheme") or "") + REDACTED, text)


def redact(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists and tuples walked) with secrets replaced, by key name and by shape.
    Values of other types are returned as they are (they are rendered later, and the rendered text is
    redacted again by shape)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: (REDACTED if is_secret_key(key) and item not in (None, "") else redact(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, tuple):
        return tuple(redact(item) for item in value)
    return value


def redact_event_dict(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the event's fields, by name and by shape, before they are rendered."""
    return redact(event_dict)


def redact_rendered(logger: Any, method_name: str, rendered: Any) -> Any:
    """structlog processor, after the renderer: the rendered line (a traceback included), by shape."""
    if isinstance(rendered, bytes):
        return redact_text(rendered.decode("utf-8", "replace")).encode()
    return redact_text(rendered)
