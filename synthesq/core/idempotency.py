"""``Idempotency-Key`` for POSTs that create things (orders, payments).

The same key with the same body replays the first response and creates nothing; the same key with a
different body is 422 ``idempotency_key_reused``. The key row is inserted first, inside the request's
transaction: a concurrent request with the same key waits on the unique index until the first commits,
then replays its response (or, if the first failed and rolled back, runs itself). Keys are scoped to the
user and the endpoint and kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (48 by default; at least 24).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from .actors import acting_user
from .errors import BusinessRuleViolation, ValidationFailed
from .models import IdempotencyKey
from .problem_schemas import STRING, problem_doc

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_REPLAYED_HEADERS = ("Location",)
# Visible ASCII, spaces inside only: what every HTTP stack carries unchanged.
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"


def idempotency_key_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter(
        HEADER, {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
        OpenApiParameter.HEADER, required=False,
        description=f"Repeat-safe {what}: the same key and body replays the first response; another body with the "
                    "same key is 422. 1 to 255 visible ASCII characters.",
    )


class IdempotencyKeyReused(BusinessRuleViolation):
    code = "idempotency_key_reused"
    title = "Idempotency key reused with a different request"


IDEMPOTENCY_KEY_REUSED = problem_doc("IdempotencyKeyReused", error=IdempotencyKeyReused, key=STRING)


def _digest(request: Request) -> str:
    canonical = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path.rstrip('/')}\n{canonical}".encode()).hexdigest()


def _key_from(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not re.fullmatch(KEY_PATTERN, key):
        raise ValidationFailed(
            f"{HEADER} must be 1 to 255 visible ASCII characters.",
            errors=[{"field": HEADER, "message": "1 to 255 visible ASCII characters.", "code": "invalid"}],
        )
    return key


def _replay(record: IdempotencyKey) -> Response:
    headers = {**record.response_headers, REPLAY_HEADER: "true"}
    return Response(record.response_body, status=record.response_status, headers=headers)


def idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per idempotency key; replay its response for repeats."""
    key = _key_from(request)
    if key is None:
        return handler()
    # One endpoint however it is spelt: the router serves /orders and /orders/ alike.
    endpoint = f"{request.method} {request.path.rstrip('/')}"[:255]
    digest = _digest(request)
    expiry = timezone.now() - timedelta(hours=max(settings.IDEMPOTENCY_KEY_TTL_HOURS, 24))
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=acting_user(request), key=key, endpoint=endpoint, request_digest=digest
                )
        except IntegrityError:
            record = IdempotencyKey.objects.select_for_update().get(
                user=acting_user(request), endpoint=endpoint, key=key)
            if record.created_at >= expiry:
                if record.request_digest != digest:
                    raise IdempotencyKeyReused(
                        f"{HEADER} {key!r} was already used with a different request body.", key=key
                    ) from None
                return _replay(record)
            # Expired: the key starts a new life.
            record.created_at, record.request_digest = timezone.now(), digest
            record.response_status = record.response_body = None
            record.save()
        response = handler()
        record.response_status = response.status_code
        record.response_body = response.data
        record.response_headers = {h: response[h] for h in _REPLAYED_HEADERS if response.has_header(h)}
        record.save(update_fields=["response_status", "response_body", "response_headers"])
        return response


def idempotency_keys_purge() -> int:
    """Delete keys past their time to live. Returns how many."""
    expiry = timezone.now() - timedelta(hours=max(settings.IDEMPOTENCY_KEY_TTL_HOURS, 24))
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=expiry).delete()
    return deleted
