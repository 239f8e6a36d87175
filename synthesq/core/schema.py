"""OpenAPI: the bearer scheme and the problem-details responses on every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from .problems import PROBLEM_CONTENT_TYPE


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Path of the field, e.g. line_items[0].quantity")
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details. Other members may be present, depending on ``code``."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    instance = serializers.CharField(required=False)
    request_id = serializers.CharField(required=False, help_text="The request's X-Request-ID, to quote when reporting.")
    # A declared field, moved off the class by DRF's metaclass: the serializer's own ``errors`` is untouched.
    errors = FieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="For validation_error: each field.")


_DESCRIPTIONS = {
    "400": "Invalid request (validation_error, malformed_request)",
    "401": "Missing or invalid bearer token (not_authenticated)",
    "403": "The token's role does not allow this (permission_denied)",
    "404": "No such resource (not_found)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Not allowed in the resource's current state",
    "415": "Unsupported media type",
    "422": "Refused by a business rule",
}


class ProblemAutoSchema(AutoSchema):
    """Adds problem-details responses: 401/403 everywhere, 400 where input is read, 404 on detail routes,
    and whatever a view declares in ``problem_responses = {"adjustments": (409, 422)}``."""

    def _problem_codes(self) -> set[str]:
        codes = {"401", "403", "406"}
        view = self.view
        action = getattr(view, "action", None)
        if self.method in ("POST", "PUT", "PATCH"):
            codes |= {"400", "415"}
        if self.method == "GET" and self._is_list_view():
            codes.add("400")  # filters, sort and cursor are validated
        if self.path_regex and "{" in self.path:
            codes.add("404")
        declared = getattr(view, "problem_responses", {})
        codes |= {str(code) for code in declared.get(action, ())}
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self._problem_codes()):
            if code in responses:
                continue
            response = self._get_response_for_code(ProblemSerializer, code, [PROBLEM_CONTENT_TYPE])
            response["description"] = _DESCRIPTIONS.get(code, "Error")
            responses[code] = response
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "synthesq.core.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `python manage.py create_api_token USERNAME`.",
        }


class AmountFieldExtension(OpenApiSerializerFieldExtension):
    """Amounts: requests take a JSON number or a decimal string; responses are always decimal strings."""

    target_class = "synthesq.core.money.AmountSerializerField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        string = {"type": "string", "format": "decimal", "pattern": r"^-?\d{0,14}(?:\.\d{0,4})?$",
                  "example": "129.99"}
        if direction == "request":
            return {"oneOf": [{"type": "number", "example": 129.99}, string]}
        return string


def strip_trailing_slashes(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Paths are documented as the guide writes them, without a trailing slash (both forms are served)."""
    result["paths"] = {
        (path.rstrip("/") if path != "/" else path): item for path, item in result.get("paths", {}).items()
    }
    return result
