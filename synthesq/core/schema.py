"""OpenAPI: the contract generated clients and fuzzers rely on, as strict as the server.

- Every operation documents every status it can return, each with the problem schema of every ``code`` it can
  carry (``synthesq.core.problem_schemas``): the generic ones of every request, 404 on routes with an id, 412 on
  conditional writes, and what the view declares in ``problem_responses = {"create": (CurrencyMismatch,)}``.
- Request bodies are closed (``additionalProperties: false``: unknown keys are refused), currencies are the ISO
  4217 list, amounts are bounded numbers or decimal strings, free text cannot hold control characters, and a
  PATCH body is partial only where the view says so (``request=Serializer(partial=True)``).
- Single-resource reads and conditional writes document ``ETag`` and ``If-Match``; 429 documents ``Retry-After``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .money import AMOUNT_MAX_EXCLUSIVE, amount_pattern, currency_codes
from .problem_schemas import (
    CONCURRENT_CHANGE,
    CONFLICT,
    EXTRA_PROBLEM_RESPONSES,
    HELPER_COMPONENTS,
    MALFORMED_REQUEST,
    NOT_ACCEPTABLE,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    PAYLOAD_TOO_LARGE,
    PERMISSION_DENIED,
    PRECONDITION_FAILED,
    PROBLEM_BASE,
    PROBLEM_DOCS,
    THROTTLED,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    ProblemDoc,
    problem_component,
    problem_doc_of,
)
from .problems import PROBLEM_CONTENT_TYPE
from .text import BODY_TEXT_PATTERN, NON_BLANK_BODY_TEXT_PATTERN, PARAMETER_TEXT_PATTERN

# Every request: bad parameters or headers (400), authentication (401), role (403), Accept (406), the body size
# limit (413, decided from Content-Length whatever the method) and throttling (429).
_EVERY_OPERATION = (VALIDATION_ERROR, MALFORMED_REQUEST, NOT_AUTHENTICATED, PERMISSION_DENIED, NOT_ACCEPTABLE,
                    PAYLOAD_TOO_LARGE, THROTTLED)
# Every write: a body of another media type (415), and the handler's safety nets for races (409).
_EVERY_WRITE = (UNSUPPORTED_MEDIA_TYPE, CONFLICT, CONCURRENT_CHANGE)
_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ETAG_HEADER = {
    "schema": {"type": "string"},
    "required": True,
    "description": "The version of the resource returned; send it back in `If-Match` to change this version only.",
}
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=False,
    description="Change the resource only if it is still at this version: its `ETag`, several separated by "
                "commas, or `*` for any. Otherwise (weak or malformed tags included) 412 `precondition_failed` "
                "and nothing changes. Without it the change is made whatever the version.",
)


def _status_schema(docs: list[ProblemDoc]) -> dict[str, Any]:
    if len(docs) == 1:
        return {"$ref": f"#/components/schemas/{docs[0].component}"}
    return {
        "oneOf": [{"$ref": f"#/components/schemas/{doc.component}"} for doc in docs],
        "discriminator": {
            "propertyName": "code",
            "mapping": {doc.code: f"#/components/schemas/{doc.component}" for doc in docs},
        },
    }


class ProblemAutoSchema(AutoSchema):
    def _action_key(self) -> tuple[str | None, str]:
        return getattr(self.view, "action", None), self.method.lower()

    def _declared(self, attribute: str) -> tuple[Any, ...]:
        """A view's per-action declaration; ``"hold.delete"`` keys are more specific than ``"hold"``."""
        action, method = self._action_key()
        declared = getattr(self.view, attribute, {})
        names = declared.get(f"{action}.{method}", declared.get(action)) if isinstance(declared, dict) else None
        return tuple(names or ())

    def _is_conditional(self) -> bool:
        action, _method = self._action_key()
        return action in getattr(self.view, "if_match_actions", ())

    def _is_etagged(self) -> bool:
        action, _method = self._action_key()
        return action == "retrieve" or self._is_conditional()

    def problem_docs(self) -> list[ProblemDoc]:
        docs: list[ProblemDoc] = list(_EVERY_OPERATION)
        if self.method in _WRITE_METHODS:
            docs.extend(_EVERY_WRITE)
        if "{" in self.path:
            docs.append(NOT_FOUND)
        if self._is_conditional():
            docs.append(PRECONDITION_FAILED)
        action, _method = self._action_key()
        extra = EXTRA_PROBLEM_RESPONSES.get((getattr(self.view, "basename", ""), action or ""), [])
        docs.extend(problem_doc_of(problem) for problem in (*self._declared("problem_responses"), *extra))
        return list({doc.name: doc for doc in docs}.values())

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        if self._is_etagged():
            for code, success in responses.items():
                if code.startswith("2"):
                    success.setdefault("headers", {})["ETag"] = ETAG_HEADER
        docs = self.problem_docs()
        by_status: dict[int, list[ProblemDoc]] = defaultdict(list)
        for doc in docs:
            by_status[doc.status].append(doc)
        for status in sorted(by_status):
            status_docs = by_status[status]
            response: dict[str, Any] = {
                "description": "; ".join(f"`{doc.code}`: {doc.title}" for doc in status_docs),
                "content": {PROBLEM_CONTENT_TYPE: {"schema": _status_schema(status_docs)}},
            }
            headers = self._problem_headers(status)
            if headers:
                response["headers"] = headers
            responses[str(status)] = response
        return responses

    @staticmethod
    def _problem_headers(status: int) -> dict[str, Any]:
        if status == 401:
            return {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True,
                                         "description": "`Bearer realm=\"api\"`"}}
        if status == 412:
            return {"ETag": {**ETAG_HEADER, "description": "The current version of the resource."}}
        if status == 429:
            return {"Retry-After": {"schema": {"type": "integer", "minimum": 0}, "required": True,
                                    "description": "Seconds to wait before retrying."}}
        return {}

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._is_conditional():
            parameters.append(IF_MATCH_PARAMETER)
        return parameters

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        # drf-spectacular makes every PATCH body partial. Ours are partial only where the view passes a
        # serializer instance with partial=True (customers, products); a status change needs its `status`.
        if self.method == "PATCH" and not (not isinstance(serializer, type) and getattr(serializer, "partial", False)):
            self.method = "PUT"
            try:
                schema, required = super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        else:
            schema, required = super()._get_request_for_media_type(serializer, direction)
        # A body that must name at least one field is itself required.
        return schema, required or bool(getattr(serializer, "min_fields", 0))


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "synthesq.core.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `python manage.py create_api_token USERNAME`.",
        }


class ClosedInputSerializerExtension(OpenApiSerializerExtension):
    """Request bodies refuse unknown keys (``InputSerializer``), so they say so."""

    target_class = "synthesq.core.serializers.InputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        if self.target.min_fields:
            schema["minProperties"] = self.target.min_fields
        for name, field in self.target.fields.items():
            # Lists of objects (line_items): drf-spectacular leaves out their size limits.
            prop = schema.get("properties", {}).get(name)
            if isinstance(field, serializers.ListSerializer) and isinstance(prop, dict) and prop.get("type") == "array":
                if not field.allow_empty:
                    prop["minItems"] = 1
                max_items = getattr(field, "max_length", None)
                if max_items is not None:
                    prop["maxItems"] = max_items
        if not type(self.target).__dict__.get("__doc__"):
            schema.pop("description", None)  # the base class's docstring says nothing about this body
        return schema


class AmountFieldExtension(OpenApiSerializerFieldExtension):
    """Amounts: requests take a JSON number or a decimal string (never more than 14 whole and 4 fractional digits;
    the currency's minor unit is checked against the body's currency); responses are always decimal strings."""

    target_class = "synthesq.core.money.AmountSerializerField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        signed = not (field.min_value is not None and field.min_value >= 0)
        string = {"type": "string", "format": "decimal", "pattern": amount_pattern(signed=signed),
                  "example": "129.99"}
        if direction == "request":
            number: dict[str, Any] = {"type": "number", "example": 129.99,
                                      "maximum": AMOUNT_MAX_EXCLUSIVE, "exclusiveMaximum": True}
            if signed:
                number.update(minimum=-AMOUNT_MAX_EXCLUSIVE, exclusiveMinimum=True)
            else:
                number["minimum"] = 0
            return {"oneOf": [number, string]}
        return {"type": "string", "format": "decimal", "example": "129.99"}


class CurrencyFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "synthesq.core.money.CurrencySerializerField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        if direction == "request":
            return {"type": "string", "enum": currency_codes()}
        return {"type": "string", "pattern": "^[A-Z]{3}$"}


def add_problem_components(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The problem components the operations refer to. Added after drf-spectacular's enum hook, which would
    otherwise turn each problem's one-value ``code`` enum into a component of its own."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_BASE
    schemas.update(HELPER_COMPONENTS)
    for doc in PROBLEM_DOCS.values():
        schemas[doc.component] = problem_component(doc)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


def _add_text_pattern(schema: Any, pattern: str, non_blank_pattern: str | None = None) -> None:
    """Strings without a pattern, enum or format of their own refuse control characters (and, in bodies, required
    text must not be blank, which DRF decides after trimming whitespace): say so."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & set(schema)):
        schema["pattern"] = non_blank_pattern if non_blank_pattern and schema.get("minLength", 0) >= 1 else pattern
    for key in ("items", "additionalProperties"):
        _add_text_pattern(schema.get(key), pattern, non_blank_pattern)
    for value in schema.get("properties", {}).values():
        _add_text_pattern(value, pattern, non_blank_pattern)
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key, []):
            _add_text_pattern(branch, pattern, non_blank_pattern)


def declare_text_patterns(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Request bodies refuse control characters but tab, line feed and carriage return; parameters (query and
    headers) refuse them all. Problem components describe responses and are left alone."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _add_text_pattern(schema, BODY_TEXT_PATTERN, NON_BLANK_BODY_TEXT_PATTERN)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") in ("query", "header"):
                    _add_text_pattern(parameter.get("schema"), PARAMETER_TEXT_PATTERN)
    return result


def strip_trailing_slashes(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Paths are documented as the guide writes them, without a trailing slash (both forms are served)."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result.get("paths", {}).items()
    }
    return result
