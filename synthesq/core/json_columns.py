"""JSON columns read as their text and parsed in one step, for reads of many rows (a page of orders parses some
450 JSON values). A ``JSONField`` column comes back from the database as text anyway (PostgreSQL's jsonb through
psycopg's text loader, SQLite's stored text) and Django parses it with ``json.loads`` behind a converter per
value; selecting ``json_text(column)`` and parsing with ``json_value`` gives the same objects with the C scanner
alone."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

_scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner json.loads ends in


def json_text(column: str) -> Cast:
    """The column's JSON as text (``::text`` on PostgreSQL: jsonb's own output; the stored text on SQLite)."""
    return Cast(column, output_field=TextField())


def json_value(text: str | None) -> Any:
    """What ``JSONField.from_db_value`` makes of the column's text: None for NULL, the parsed value, and (as it
    does) the text itself when it is not JSON."""
    if text is None:
        return None
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, json.JSONDecodeError):
        end = -1
    if end == len(text):
        return value
    try:  # blanks around the value, or not JSON: the full parser decides, as Django's converter does
        return json.loads(text)
    except json.JSONDecodeError:
        return text
