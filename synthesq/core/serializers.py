"""Base classes for request bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ActorField(serializers.SlugRelatedField):
    """Who did it (history, ledger, payments): the user's username, or null for the system."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", read_only=True, allow_null=True, **kwargs)


class InputSerializer(serializers.Serializer):
    """A request body: unknown keys are refused (a typo such as ``unit_prce`` must not pass silently).

    ``put_defaults`` are the values a PUT (full replacement) gives to optional fields it omits.
    """

    put_defaults: dict[str, Any] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {field.field_name for field in self.fields.values() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)

    def replacement_data(self) -> dict[str, Any]:
        """Validated data for a PUT: omitted optional fields take their ``put_defaults``."""
        return {**self.put_defaults, **self.validated_data}
