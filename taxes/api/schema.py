"""How the schema states a percent (``PercentSerializerField``): requests take a JSON number or a decimal string
from 0 to below 1000 with at most 4 decimals; responses are decimal strings with 4 decimals."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

PERCENT_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"


class PercentFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "taxes.api.serializers.PercentSerializerField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        string = {"type": "string", "format": "decimal", "pattern": PERCENT_PATTERN, "example": "19.0000"}
        if direction == "request":
            number = {"type": "number", "minimum": 0, "maximum": 1000, "exclusiveMaximum": True,
                      "multipleOf": 0.0001, "example": 19}
            return {"oneOf": [number, string]}
        return {"type": "string", "format": "decimal", "example": "19.0000"}
