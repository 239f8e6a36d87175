"""Counters raised within their limits (a promotion code's uses): one guarded ``UPDATE`` per row on PostgreSQL,
written once per model, the ORM's ``update`` elsewhere; ``postgres.insert_numbered`` sends one with the rows it
numbers (``first``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, Model, Q

from .postgres_rows import column, field_of, key_of, on_postgresql, quoted


@dataclass(frozen=True)
class Increment:
    """1 added to ``field`` of the row ``pk`` of ``model`` unless it has reached ``limit`` (another column; NULL:
    no limit), as ``increment_within_limit`` adds it; ``refused`` makes the error raised when it has."""

    model: type[Model]
    pk: Any
    field: str
    limit: str
    refused: Callable[[], Exception]

    @property
    def shape(self) -> tuple[type[Model], str, str]:
        return self.model, self.field, self.limit


_INCREMENTS: dict[tuple[type[Model], str, str], str] = {}


def increment_statement(model: type[Model], field: str, limit: str) -> str:
    key = (model, field, limit)
    if key not in _INCREMENTS:
        counted, ceiling = column(field_of(model, field)), column(field_of(model, limit))
        _INCREMENTS[key] = (f"UPDATE {quoted(model._meta.db_table)} SET {counted} = {counted} + 1"
                            f" WHERE ({ceiling} IS NULL OR {counted} < {ceiling}) AND {column(key_of(model))} = %s")
    return _INCREMENTS[key]


def increment_within_limit(model: type[Model], pk: Any, *, field: str, limit: str) -> bool:
    """Add 1 to ``field`` of the row ``pk`` unless it has reached ``limit`` (another column; NULL: no limit), in
    one guarded ``UPDATE`` that locks the row (PostgreSQL re-checks the guard on the latest row when it waited for
    it); whether it counted. The statement is written once per model; elsewhere the ORM's ``update``."""
    if not on_postgresql():
        return bool(model._default_manager.filter(
            Q(**{f"{limit}__isnull": True}) | Q(**{f"{field}__lt": F(limit)}), pk=pk,
        ).update(**{field: F(field) + 1}))
    with connection.cursor() as cursor:
        cursor.execute(increment_statement(model, field, limit), [key_of(model).get_db_prep_value(pk, connection)])
        return bool(cursor.rowcount)


def count_within_limits(increments: Sequence[Increment]) -> None:
    """Count each increment on its own (``increment_within_limit``), raising its ``refused`` error at its limit."""
    for increment in increments:
        if not increment_within_limit(increment.model, increment.pk, field=increment.field, limit=increment.limit):
            raise increment.refused()
