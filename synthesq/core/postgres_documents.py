"""A document written with its parts in one PostgreSQL statement (an invoice, its lines and its history row), a
moved row with its history row, a counter raised within its limit, each beside its portable fallback (the ORM), as
``postgres`` does for batches: callers say what to write in the ORM's terms and this module picks the statement,
written once per model (the ORM would build and compile it on every call).

Each model's rows go as one array per column (``unnest``), except JSON columns: those go as one ``jsonb`` array
of the rows' values, taken by position. A ``jsonb[]`` array literal escapes every quote of every value in Python
(psycopg's text array dumper); one JSON document is quoted once, by libpq."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import F, Field, JSONField, Model, Q

from .postgres import _column, _field, _insert_fields, _key, _quoted, _saved, _with_keys, on_postgresql

H = TypeVar("H", bound=Model)


@dataclass(frozen=True)
class _Columns:
    """How a model's rows are selected for an ``INSERT`` (worked out once per model): the JSON columns, each
    from one ``jsonb`` parameter, then the others, one array each, and that ``SELECT``'s text."""

    json: tuple[Field[Any, Any], ...]
    arrays: tuple[Field[Any, Any], ...]
    names: str
    select: str

    def params(self, rows: Sequence[Model]) -> list[Any]:
        """The rows' values as ``bulk_create`` would save them (SQL NULL for a JSON ``None``)."""
        db = connections[DEFAULT_DB_ALIAS]  # the connection itself: each use of the proxy costs a look-up
        return [
            *(field.get_db_prep_save([field.pre_save(row, add=True) for row in rows], db) for field in self.json),
            *([field.get_db_prep_save(field.pre_save(row, add=True), db) for row in rows] for field in self.arrays),
        ]


_COLUMNS: dict[type[Model], _Columns] = {}


def _columns(model: type[Model]) -> _Columns:
    if model not in _COLUMNS:
        fields = _insert_fields(model)
        json = tuple(field for field in fields if isinstance(field, JSONField))
        arrays = tuple(field for field in fields if not isinstance(field, JSONField))
        position = {field: index for index, field in enumerate(arrays)}
        # The JSON columns' placeholders stand in the select list, before the arrays' (in unnest): their
        # parameters come first, in the columns' order (``params``).
        selected = ["NULLIF((%s::jsonb) -> (r.ord - 1)::integer, 'null'::jsonb)" if field in json
                    else f"r.c{position[field]}" for field in fields]
        _COLUMNS[model] = _Columns(
            json=json, arrays=arrays, names=", ".join(_column(field) for field in fields),
            select=(f"SELECT {', '.join(selected)} FROM unnest("
                    f"{', '.join(f'%s::{field.db_type(connection)}[]' for field in arrays)}) WITH ORDINALITY "
                    f"AS r({', '.join([*(f'c{index}' for index in range(len(arrays))), 'ord'])})"))
    return _COLUMNS[model]


_STATEMENTS: dict[tuple[type[Model], str, tuple[type[Model], ...]], str] = {}


def _statement(model: type[Model], unless: str, parts: tuple[type[Model], ...]) -> str:
    key = (model, unless, parts)
    if key not in _STATEMENTS:
        table, columns = _quoted(model._meta.db_table), _columns(model)
        ctes = [f"d AS (INSERT INTO {table} ({columns.names}) {columns.select}"
                f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {_column(_field(model, unless))} = %s) RETURNING 1)"]
        for index, part in enumerate(parts):
            part_columns = _columns(part)
            ctes.append(f"p{index} AS (INSERT INTO {_quoted(part._meta.db_table)} ({part_columns.names})"
                        f" {part_columns.select} WHERE EXISTS (SELECT 1 FROM d) RETURNING {_column(_key(part))})")
        # Keys a sequence gives are increasing in the order the rows are inserted (the order given).
        returned = ["(SELECT count(*) FROM d)",
                    *(f"(SELECT array_agg(p.k ORDER BY p.k) FROM p{index} AS p(k))" for index in range(len(parts)))]
        _STATEMENTS[key] = f"WITH {', '.join(ctes)} SELECT {', '.join(returned)}"
    return _STATEMENTS[key]


def insert_document(document: Model, *, parts: Sequence[Sequence[Model]], unless: tuple[str, Any]) -> bool:
    """Insert ``document`` and each group of ``parts`` (rows of one model each, pointing at it: its lines, its
    history row), unless a row of the document's model already has ``unless`` (field name, value): then nothing is
    written and the answer is False. The parts' keys are set as ``bulk_create`` sets them. PostgreSQL: one
    statement; elsewhere a check, then one ``INSERT`` per model."""
    model = type(document)
    field_name, value = unless
    groups = [list(group) for group in parts if group]
    if not on_postgresql():
        if model._default_manager.filter(**{field_name: value}).exists():
            return False
        document.save(force_insert=True)
        for group in groups:
            type(group[0])._default_manager.bulk_create(group)
        return True
    _with_keys([document, *(row for group in groups for row in group)])
    params = [*_columns(model).params([document]), _field(model, field_name).get_db_prep_value(value, connection)]
    for group in groups:
        params += _columns(type(group[0])).params(group)
    sql = _statement(model, field_name, tuple(type(group[0]) for group in groups))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted, *keys = cursor.fetchone()
    if not inserted:
        return False
    for group, group_keys in zip(groups, keys, strict=True):
        if len(group_keys or ()) != len(group):
            raise RuntimeError(f"{type(group[0])._meta.verbose_name_plural} were not written")
        for row, key in zip(group, group_keys, strict=True):
            row.pk = key
    _saved([document, *(row for group in groups for row in group)])
    return True


_UPDATES: dict[tuple[type[Model], tuple[str, ...], tuple[str, ...], type[Model]], str] = {}


def _update_statement(model: type[Model], fields: tuple[str, ...], only_if: tuple[str, ...],
                      history: type[Model]) -> str:
    key = (model, fields, only_if, history)
    if key not in _UPDATES:
        sets = ", ".join(f"{_column(_field(model, name))} = %s" for name in fields)
        conditions = "".join(f" AND {_column(_field(model, name))} = %s" for name in only_if)
        columns = _columns(history)
        _UPDATES[key] = (
            f"WITH u AS (UPDATE {_quoted(model._meta.db_table)} SET {sets}"
            f" WHERE {_column(_key(model))} = %s{conditions} RETURNING 1)"
            f" INSERT INTO {_quoted(history._meta.db_table)} ({columns.names}) {columns.select}"
            f" WHERE EXISTS (SELECT 1 FROM u) RETURNING {_column(_key(history))}")
    return _UPDATES[key]


def update_and_record(instance: Model, *, fields: Sequence[str], only_if: dict[str, Any],
                      record: Callable[[], H]) -> H | None:
    """Write ``fields`` of ``instance`` (each field's ``pre_save`` first, as ``save(update_fields=…)`` does:
    ``auto_now`` stamps) where its row still holds the ``only_if`` values, and insert its history row (``record``
    builds it, after those stamps, as if written after the save): that row, or None when nothing was written.
    PostgreSQL: one statement; elsewhere an ``UPDATE``, then an ``INSERT``."""
    model = type(instance)
    updated = [_field(model, name) for name in fields]
    values = {field.attname: field.pre_save(instance, add=False) for field in updated}
    row = record()
    if not on_postgresql():
        if not model._default_manager.filter(pk=instance.pk, **only_if).update(**values):
            return None
        row.save(force_insert=True)
        return row
    conditions = [_field(model, name) for name in only_if]
    params = [*(field.get_db_prep_save(values[field.attname], connection) for field in updated),
              _key(model).get_db_prep_value(instance.pk, connection),
              *(field.get_db_prep_value(only_if[field.name], connection) for field in conditions)]
    _with_keys([row])
    params += _columns(type(row)).params([row])
    sql = _update_statement(model, tuple(fields), tuple(only_if), type(row))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    if not returned:
        return None
    row.pk = returned[0][0]
    _saved([row])
    return row


_INCREMENTS: dict[tuple[type[Model], str, str], str] = {}


def increment_within_limit(model: type[Model], pk: Any, *, field: str, limit: str) -> bool:
    """Add 1 to ``field`` of the row ``pk`` unless it has reached ``limit`` (another column; NULL: no limit), in
    one guarded ``UPDATE`` that locks the row (PostgreSQL re-checks the guard on the latest row when it waited for
    it); whether it counted. The statement is written once per model; elsewhere the ORM's ``update``."""
    if not on_postgresql():
        return bool(model._default_manager.filter(
            Q(**{f"{limit}__isnull": True}) | Q(**{f"{field}__lt": F(limit)}), pk=pk,
        ).update(**{field: F(field) + 1}))
    key = (model, field, limit)
    if key not in _INCREMENTS:
        counted, ceiling = _column(_field(model, field)), _column(_field(model, limit))
        _INCREMENTS[key] = (f"UPDATE {_quoted(model._meta.db_table)} SET {counted} = {counted} + 1"
                            f" WHERE ({ceiling} IS NULL OR {counted} < {ceiling}) AND {_column(_key(model))} = %s")
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENTS[key], [_key(model).get_db_prep_value(pk, connection)])
        return bool(cursor.rowcount)
