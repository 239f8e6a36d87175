"""Domain errors. Services raise these; ``synthesq.core.problems`` turns them into RFC 9457 responses.

Each class carries an HTTP status, a stable machine-readable ``code`` and a title; an instance carries the
detail and any data a client needs to act (``extra`` is merged into the problem body).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "domain_error"
    title: str = "Request refused"
    # Response headers that go with the problem (e.g. the current ETag of a 412).
    headers: dict[str, str] = {}

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.extra = extra
        super().__init__(self.detail)


def field_error(field: str, message: str, code: str = "invalid") -> dict[str, str]:
    """One entry of ``ValidationFailed.errors``: which field, what is wrong, a stable code."""
    return {"field": field, "message": message, "code": code}


class ValidationFailed(DomainError):
    """The request is malformed or a field is invalid (400). ``errors`` names each field."""

    status = 400
    code = "validation_error"
    title = "Invalid request"

    def __init__(self, detail: str | None = None, *, errors: list[dict[str, str]] | None = None, **extra: Any):
        super().__init__(detail, errors=errors or [], **extra)


def refuse_unknown_fields(data: Mapping[str, Any], updatable: Iterable[str]) -> None:
    """An update service's first refusal (400): a change naming fields it does not update."""
    unknown = set(data) - set(updatable)
    if unknown:
        raise ValidationFailed(f"Not updatable: {', '.join(sorted(unknown))}.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class PermissionRefused(DomainError):
    status = 403
    code = "permission_denied"
    title = "Permission denied"


class Conflict(DomainError):
    """The action is not allowed in the resource's current state (409)."""

    status = 409
    code = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(DomainError):
    """``If-Match`` names another version than the current one (412); nothing was changed. The body carries
    ``current_etag``, also sent as the ``ETag`` header."""

    status = 412
    code = "precondition_failed"
    title = "Precondition failed"

    def __init__(self, *, current_etag: str) -> None:
        super().__init__(
            "The resource has changed since you read it (If-Match does not name its current version); nothing "
            "was changed. Read it again and retry with its current ETag.",
            current_etag=current_etag,
        )
        self.headers = {"ETag": current_etag}


class BusinessRuleViolation(DomainError):
    """A valid request that a business rule refuses (422)."""

    status = 422
    code = "business_rule_violation"
    title = "Refused by a business rule"


class InvalidTransition(Conflict):
    """A status change the state machine does not allow from the current status (409). The body carries
    ``current_status``, ``requested_status`` and ``allowed_statuses``."""

    code = "invalid_transition"
    title = "Status change not allowed"
    subject = "A resource"  # how the message names the thing, e.g. "An order"

    def __init__(self, *, current_status: str, requested_status: str, allowed_statuses: list[str],
                 detail: str | None = None) -> None:
        # Plain strings (not enum members) so messages and bodies read "draft", not OrderStatus.DRAFT.
        current_status, requested_status = str(current_status), str(requested_status)
        allowed_statuses = [str(s) for s in allowed_statuses]
        super().__init__(
            detail or f"{self.subject} in status {current_status!r} cannot move to {requested_status!r}; "
            f"allowed next: {', '.join(allowed_statuses) or 'none'}.",
            current_status=current_status, requested_status=requested_status, allowed_statuses=allowed_statuses,
        )
