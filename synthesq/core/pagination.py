"""Cursor pagination for every list: DRF's envelope (``next``, ``previous``, ``results``), ``limit`` 1 to 200
(anything else, an empty value too, is a 400 naming it, as the schema's bounds say).

Cursor (keyset) pagination keeps deep pages as fast as the first one and stable while rows are added.
The default ordering is newest first by id (our ids are ULIDs, so id order is creation order).
"""

import re
from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class CursorPage(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-id"
    cursor_query_param = "cursor"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                f"Must be a whole number from 1 to {self.max_page_size}."
            ]})
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "Where the page starts: take it from `next` or `previous` (opaque).",
             "schema": {"type": "string"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"Results per page (default {self.page_size}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF answers a bad cursor with 404; it is bad input, so 400 naming the parameter.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None


class OldestFirstCursorPage(CursorPage):
    """For logs and ledgers, read in the order they were written."""

    ordering = "id"
