"""A document written with its parts in one PostgreSQL statement (an invoice, its lines and its history row) and a
moved row with its history row, each beside its portable fallback (the ORM), as ``postgres`` does for batches:
callers say what to write in the ORM's terms and this module picks the statement, written once per model (the ORM
would build and compile it on every call). Each model's rows are sent as ``postgres_rows`` describes (an array per
column, a JSON column as one document)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

from .postgres import LaterWrite
from .postgres_rows import cast_type, column, field_of, insert_of, key_of, on_postgresql, quoted, saved, with_keys

H = TypeVar("H", bound=Model)


_STATEMENTS: dict[tuple[type[Model], str, tuple[bool, ...], tuple[tuple[type[Model], bool], ...]], str] = {}


def _statement(model: type[Model], unless: str, nulls: tuple[bool, ...],
               parts: tuple[tuple[type[Model], bool], ...]) -> str:
    """The document's statement; its columns whose value is None (``nulls``) written as ``NULL`` (a document
    starts with several: an invoice's number and dates), so that it is sent with fewer parameters (psycopg keeps
    its parse of a statement of up to 50); each part by its model and whether it is one row
    (``Columns.select_of``)."""
    key = (model, unless, nulls, parts)
    if key not in _STATEMENTS:
        insert = insert_of(model)
        values = ", ".join(f"NULL::{cast_type(field)}" if null else f"%s::{cast_type(field)}"
                           for field, null in zip(insert.columns.fields, nulls, strict=True))
        ctes = [f"d AS (INSERT INTO {insert.table} ({insert.columns.names}) SELECT {values} WHERE NOT EXISTS"
                f" (SELECT 1 FROM {insert.table} WHERE {column(field_of(model, unless))} = %s) RETURNING 1)"]
        for index, (part, one) in enumerate((insert_of(part_model), one) for part_model, one in parts):
            source = part.columns.one if one else part.columns.select
            ctes.append(f"p{index} AS (INSERT INTO {part.table} ({part.columns.names}) {source}"
                        f" WHERE EXISTS (SELECT 1 FROM d) RETURNING {column(part.key)})")
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
    with_keys([document, *(row for group in groups for row in group)])
    own = insert_of(model).columns.values(document)
    params = [*(item for item in own if item is not None),
              field_of(model, field_name).get_db_prep_value(value, connection)]
    for group in groups:
        params += insert_of(type(group[0])).columns.select_of(group)[1]
    sql = _statement(model, field_name, tuple(item is None for item in own),
                     tuple((type(group[0]), len(group) == 1) for group in groups))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted, *keys = cursor.fetchone()
    if not inserted:
        return False
    for group, group_keys in zip(groups, keys, strict=True):
        if len(group_keys or ()) != len(group):
            raise RuntimeError(f"{type(group[0])._meta.verbose_name_plural} were not written")
        if insert_of(type(group[0])).numbered:  # a key given before the statement stays (keys read back sorted)
            for row, key in zip(group, group_keys, strict=True):
                row.pk = key
    saved([document, *(row for group in groups for row in group)])
    return True


_UPDATES: dict[tuple[Any, ...], str] = {}


def _update_statement(model: type[Model], fields: tuple[str, ...], only_if: tuple[str, ...],
                      history: type[Model], along: tuple[str, ...], along_check: str) -> str:
    key = (model, fields, only_if, history, along, along_check)
    if key not in _UPDATES:
        sets = ", ".join(f"{column(field_of(model, name))} = %s" for name in fields)
        conditions = "".join(f" AND {column(field_of(model, name))} = %s" for name in only_if)
        insert = insert_of(history)
        _UPDATES[key] = (
            f"WITH {''.join(f'{part}, ' for part in along)}u AS (UPDATE {quoted(model._meta.db_table)} SET {sets}"
            f" WHERE {column(key_of(model))} = %s{conditions} RETURNING 1)"
            f" INSERT INTO {insert.table} ({insert.columns.names}) {insert.columns.one}"
            f" WHERE EXISTS (SELECT 1 FROM u) RETURNING {column(insert.key)}"
            + (f", {along_check}" if along_check else ""))
    return _UPDATES[key]


def update_and_record(instance: Model, *, fields: Sequence[str], only_if: dict[str, Any],
                      record: Callable[[], H], along: LaterWrite | None = None) -> H | None:
    """Write ``fields`` of ``instance`` (each field's ``pre_save`` first, as ``save(update_fields=…)`` does:
    ``auto_now`` stamps) where its row still holds the ``only_if`` values, and insert its history row (``record``
    builds it, after those stamps, as if written after the save): that row, or None when nothing was written.
    ``along``, a write built to go with the caller's next statement (``postgres.add_to_rows_and_record_later``),
    is sent in it. PostgreSQL: one statement; elsewhere an ``UPDATE`` and an ``INSERT``."""
    model = type(instance)
    updated = [field_of(model, name) for name in fields]
    values = {field.attname: field.pre_save(instance, add=False) for field in updated}
    row = record()
    if not on_postgresql():
        if not model._default_manager.filter(pk=instance.pk, **only_if).update(**values):
            return None
        row.save(force_insert=True)
        return row
    conditions = [field_of(model, name) for name in only_if]
    params = [*(along.params if along is not None else ()),
              *(field.get_db_prep_save(values[field.attname], connection) for field in updated),
              key_of(model).get_db_prep_value(instance.pk, connection),
              *(field.get_db_prep_value(only_if[field.name], connection) for field in conditions)]
    with_keys([row])
    params += insert_of(type(row)).columns.values(row)
    sql = _update_statement(model, tuple(fields), tuple(only_if), type(row),
                            along.parts if along is not None else (), along.check if along is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    if not returned:
        return None
    if along is not None:
        along.done(returned[0][-1])
    row.pk = returned[0][0]
    saved([row])
    return row
