"""Optimistic concurrency: ``ETag`` on single-resource reads, ``If-Match`` on changes.

The tag is a digest of the resource's representation as the caller receives it (its JSON), so any change a
caller could see — another user's edit, a status move, a stock adjustment — gives a new tag. A change sent with
``If-Match`` is made only if the resource is still at one of the named versions: the view locks the row (in
the order the service will lock it, so no deadlock), recomputes the tag in the same transaction as the change,
and answers 412 ``precondition_failed`` with the current tag otherwise, having changed nothing. Without
``If-Match`` a change is made whatever the version, exactly as before.

Viewsets use ``ETagMixin``, wrap the change in ``conditional_change`` and name the actions in
``if_match_actions``; the schema documents ``ETag`` on those responses and on ``retrieve``, and ``If-Match`` on
the conditional actions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .errors import PreconditionFailed

IF_MATCH = "If-Match"
_TAG = re.compile(r'(W/)?"([!#-~]*)"')


def etag_of(data: Any) -> str:
    """A strong entity tag for a representation."""
    canonical = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f'"{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"'


def if_match_tags(request: Request) -> list[str] | None:
    """The strong tags ``If-Match`` names (``["*"]`` for any version), or None without the header. Weak tags never
    match (RFC 9110 compares strongly for If-Match), and neither does anything that is not an entity tag: such a
    header names no current version, so the change is refused with 412."""
    value = request.headers.get(IF_MATCH)
    if value is None:
        return None
    if value.strip() == "*":
        return ["*"]
    tags = []
    for part in value.split(","):
        match = _TAG.fullmatch(part.strip())
        if match and not match.group(1):
            tags.append(f'"{match.group(2)}"')
    return tags


# For viewsets: ``ETag`` on ``retrieve`` and on the conditional actions' responses, and ``conditional_change``.
# (No docstring: drf-spectacular would describe every operation of the viewset with it.)
class ETagMixin:

    if_match_actions: tuple[str, ...] = ()

    @contextmanager
    def conditional_change(self, request: Request, *, lock: Callable[[], Any],
                           current: Callable[[], Any]) -> Iterator[None]:
        """Run the change in the block only if ``If-Match`` names the current version. With the header, one
        transaction holds the check and the change: ``lock`` the rows the change will lock (in its order), then
        refuse with 412 unless the ``current`` representation still has a named tag. Without it, the block runs
        as it always did (no transaction, lock or read of its own)."""
        tags = if_match_tags(request)
        if tags is None:
            yield
            return
        with transaction.atomic():
            lock()
            tag = etag_of(current())
            if "*" not in tags and tag not in tags:
                raise PreconditionFailed(current_etag=tag)
            yield

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        action = getattr(self, "action", None)
        if (
            (action == "retrieve" or action in self.if_match_actions)
            and 200 <= response.status_code < 300
            and isinstance(getattr(response, "data", None), dict)
        ):
            response["ETag"] = etag_of(response.data)
        return response
