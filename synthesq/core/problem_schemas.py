"""OpenAPI components for problem details: one schema per problem ``code``, extending the base ``Problem``.

A client generated from the schema reads each problem as a typed object (``InsufficientStockProblem.lines`` is a
list of ``InsufficientStockLine``), so every member a problem carries must be declared here. Each app declares
the problems its services raise in its ``api/problems.py`` with ``problem_doc``; views name the ones an action
can return in ``problem_responses`` by the ``DomainError`` classes the services raise (or, for a class that
carries several codes, by the ``ProblemDoc`` of each code); a problem another app raises inside an operation through
a signal's receiver is declared by that app with ``also_returned_by``. ``synthesq.core.schema.ProblemAutoSchema``
attaches them to each operation and status.

The generic problems of every request (``validation_error``, ``not_authenticated``, ``payload_too_large`` …)
are declared below.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError, InvalidTransition

JsonSchema = dict[str, Any]

STRING: JsonSchema = {"type": "string"}
INTEGER: JsonSchema = {"type": "integer"}
DATETIME: JsonSchema = {"type": "string", "format": "date-time"}
DECIMAL: JsonSchema = {"type": "string", "format": "decimal", "example": "129.99"}


def array_of(items: JsonSchema) -> JsonSchema:
    return {"type": "array", "items": items}


def ref(component: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{component}"}


@dataclass(frozen=True)
class ProblemDoc:
    """How one problem ``code`` looks on the wire: its status, and the members it adds to the base problem
    (all of them always present). The component is ``<name>Problem``."""

    name: str
    code: str
    status: int
    title: str
    description: str
    members: dict[str, JsonSchema] = field(default_factory=dict)

    @property
    def component(self) -> str:
        return f"{self.name}Problem"


# What a view or an app names as a problem an operation returns: the ``DomainError`` class its services raise, or
# the declared ``ProblemDoc`` of one code when a class carries several (``HoldConflict``).
ProblemRef = type[DomainError] | ProblemDoc


# Helper components (objects inside problems), registered next to the problem components.
HELPER_COMPONENTS: dict[str, JsonSchema] = {}
PROBLEM_DOCS: dict[str, ProblemDoc] = {}
_PROBLEM_DOCS_BY_ERROR: dict[type[DomainError], ProblemDoc] = {}


def helper_component(name: str, schema: JsonSchema) -> JsonSchema:
    """Declare an object used inside problems (e.g. ``InsufficientStockLine``); returns a reference to it."""
    HELPER_COMPONENTS[name] = schema
    return ref(name)


def problem_doc(name: str, *, status: int | None = None, code: str | None = None, title: str | None = None,
                error: type[DomainError] | None = None, description: str = "",
                **members: JsonSchema) -> ProblemDoc:
    """Declare a problem. With ``error`` (a ``DomainError`` class), status, code and title default to its own."""
    doc = ProblemDoc(
        name=name,
        code=code or (error.code if error else ""),
        status=status or (error.status if error else 0),
        title=title or (error.title if error else ""),
        description=description,
        members=members,
    )
    if not doc.code or not doc.status:
        raise ValueError(f"problem {name}: code and status are required")
    existing = PROBLEM_DOCS.get(name)
    if existing is not None and existing != doc:
        raise ValueError(f"problem {name} declared twice, differently")
    PROBLEM_DOCS[name] = doc
    if error is not None:
        _PROBLEM_DOCS_BY_ERROR[error] = doc
    return doc


PROBLEM_BASE: JsonSchema = {
    "type": "object",
    "description": "RFC 9457 problem details. Each `code` has its own schema (`<Name>Problem`) that adds the "
                   "members a client needs to act; servers may add more members in later versions.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "`urn:synthesq:problem:<code>`"},
        "title": {"type": "string", "description": "Short summary of the problem type."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong this time, for people."},
        "code": {"type": "string", "description": "Stable machine-readable error code."},
        "instance": {"type": "string", "description": "The request path."},
        "request_id": {"type": "string", "description": "The request's X-Request-ID, to quote when reporting."},
    },
}


def problem_doc_of(problem: ProblemRef) -> ProblemDoc:
    """The problem declared for an error class (or for the nearest of its bases), or the problem itself."""
    if isinstance(problem, ProblemDoc):
        return problem
    for error in problem.__mro__:
        if error in _PROBLEM_DOCS_BY_ERROR:
            return _PROBLEM_DOCS_BY_ERROR[error]
    raise KeyError(f"no problem declared for {problem.__name__} (problem_doc(..., error={problem.__name__}))")


# Problems an operation returns that another app raises inside it (through a signal's receiver): keyed by the
# viewset's router basename and action, so the app that raises them declares them without the viewset's app
# having to name it.
EXTRA_PROBLEM_RESPONSES: dict[tuple[str, str], list[ProblemRef]] = defaultdict(list)


def also_returned_by(basename: str, action: str, *problems: ProblemRef) -> None:
    """Declare that the viewset registered as ``basename`` can return these problems from ``action``."""
    EXTRA_PROBLEM_RESPONSES[(basename, action)].extend(problems)


def problem_component(doc: ProblemDoc) -> JsonSchema:
    own: JsonSchema = {
        "type": "object",
        "required": ["code", *doc.members],
        "properties": {"code": {"type": "string", "enum": [doc.code]}, **doc.members},
    }
    schema: JsonSchema = {"allOf": [ref("Problem"), own]}
    description = f"`{doc.code}` ({doc.status}): {doc.title}."
    if doc.description:
        description += f" {doc.description}"
    schema["description"] = description
    return schema


# --- the problems any request may meet ---------------------------------------------------------------

FIELD_ERROR = helper_component("FieldError", {
    "type": "object",
    "required": ["field", "message", "code"],
    "properties": {
        "field": {"type": "string", "nullable": True,
                  "description": "Path of the field or parameter, e.g. `line_items[0].quantity`; null for the "
                                 "request as a whole."},
        "message": {"type": "string"},
        "code": {"type": "string", "description": "What kind of error, e.g. `required`, `invalid`, `max_length`."},
    },
})

VALIDATION_ERROR = problem_doc(
    "ValidationError", status=400, code="validation_error", title="Invalid request",
    description="Invalid fields, filters, sort, cursor or `limit`; `errors` names each one.",
    errors=array_of(FIELD_ERROR),
)
MALFORMED_REQUEST = problem_doc(
    "MalformedRequest", status=400, code="malformed_request", title="Malformed request",
    description="The body is not JSON, is nested deeper than the limit, or a header is malformed.",
)
NOT_AUTHENTICATED = problem_doc(
    "NotAuthenticated", status=401, code="not_authenticated", title="Authentication required",
    description="Missing, unknown or revoked bearer token.",
)
PERMISSION_DENIED = problem_doc(
    "PermissionDenied", status=403, code="permission_denied", title="Permission denied",
    description="The token's role does not allow this action.",
)
NOT_FOUND = problem_doc(
    "NotFound", status=404, code="not_found", title="Not found", description="No resource with this id.",
)
NOT_ACCEPTABLE = problem_doc(
    "NotAcceptable", status=406, code="not_acceptable", title="Not acceptable",
    description="The `Accept` header asks for something other than JSON.",
)
CONFLICT = problem_doc(
    "Conflict", status=409, code="conflict", title="Conflict with the current state",
    description="A database constraint refused the change (e.g. a concurrent duplicate); nothing was changed.",
)
CONCURRENT_CHANGE = problem_doc(
    "ConcurrentChange", status=409, code="concurrent_change", title="Changed concurrently",
    description="The resource changed while the request ran; nothing was changed. Read it and retry.",
)
INVALID_TRANSITION = problem_doc(
    "InvalidTransition", error=InvalidTransition,
    description="The move is not allowed from the current status.",
    current_status=STRING, requested_status=STRING, allowed_statuses=array_of(STRING),
)
PRECONDITION_FAILED = problem_doc(
    "PreconditionFailed", status=412, code="precondition_failed", title="Precondition failed",
    description="`If-Match` names another version than the current one; nothing was changed. `current_etag` "
                "is the current version's tag (also in the `ETag` header).",
    current_etag=STRING,
)
PAYLOAD_TOO_LARGE = problem_doc(
    "PayloadTooLarge", status=413, code="payload_too_large", title="Request body too large",
    description="The body is larger than `max_bytes`.",
    max_bytes=INTEGER,
)
UNSUPPORTED_MEDIA_TYPE = problem_doc(
    "UnsupportedMediaType", status=415, code="unsupported_media_type", title="Unsupported media type",
    description="Send bodies as `application/json`.",
)
THROTTLED = problem_doc(
    "Throttled", status=429, code="throttled", title="Too many requests",
    description="Too many requests for this token, or too many failed authentications from this address. "
                "Retry after `retry_after` seconds (also the `Retry-After` header).",
    retry_after=INTEGER,
)
