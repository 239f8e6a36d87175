"""A document written with its parts in one PostgreSQL statement (an invoice, its lines and its history row),
beside its portable fallback (the ORM), as ``postgres`` does for batches: callers say what to write in the ORM's
terms and this module picks the statement.

Each model's rows go as one array per column (``unnest``), except JSON columns: those go as one ``jsonb`` array
of the rows' values, taken by position. A ``jsonb[]`` array literal escapes every quote of every value in Python
(psycopg's text array dumper); one JSON document is quoted once, by libpq."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, JSONField, Model

from .postgres import _column, _insert_fields, _key, _quoted, _saved, _with_keys, on_postgresql


def _select_columns(rows: Sequence[Model], fields: Sequence[Field[Any, Any]]) -> tuple[str, list[Any]]:
    """``SELECT <the rows' values of fields> FROM unnest(…)`` (values as ``bulk_create`` would save them) and its
    parameters: plain columns as arrays, JSON columns from one ``jsonb`` array each (SQL NULL for ``None``)."""
    arrays, array_params, selected, json_params = [], [], [], []
    for field in fields:
        values = [field.pre_save(row, add=True) for row in rows]
        if isinstance(field, JSONField):
            selected.append(f"NULLIF((%s::jsonb) -> (r.ord - 1)::integer, 'null'::jsonb)")
            json_params.append(field.get_db_prep_save(values, connection))
            continue
        name = f"c{len(arrays)}"
        arrays.append(f"%s::{field.db_type(connection)}[]")
        array_params.append([field.get_db_prep_save(value, connection) for value in values])
        selected.append(f"r.{name}")
    names = [f"c{index}" for index in range(len(arrays))]
    sql = (f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) WITH ORDINALITY "
           f"AS r({', '.join([*names, 'ord'])})")
    return sql, [*json_params, *array_params]


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
    _with_keys([document])
    fields = _insert_fields(model)
    select, params = _select_columns([document], fields)
    unique = model._meta.get_field(field_name)
    ctes = [f"""d AS (INSERT INTO {_quoted(model._meta.db_table)} ({", ".join(_column(f) for f in fields)})
                  {select} WHERE NOT EXISTS (SELECT 1 FROM {_quoted(model._meta.db_table)}
                                              WHERE {_column(unique)} = %s)
                  RETURNING 1)"""]  # type: ignore[arg-type]
    params.append(unique.get_db_prep_value(value, connection))  # type: ignore[union-attr]
    for index, group in enumerate(groups):
        part_model = type(group[0])
        part_fields = _insert_fields(part_model)
        select, part_params = _select_columns(group, part_fields)
        ctes.append(f"""p{index} AS (INSERT INTO {_quoted(part_model._meta.db_table)}
                              ({", ".join(_column(f) for f in part_fields)})
                          {select} WHERE EXISTS (SELECT 1 FROM d) RETURNING {_column(_key(part_model))})""")
        params += part_params
    # Keys a sequence gives are increasing in the order the rows are inserted (the order given).
    returned = ", ".join(["(SELECT count(*) FROM d)",
                          *(f"(SELECT array_agg(p{index}.k ORDER BY p{index}.k) FROM p{index} AS p{index}(k))"
                            for index in range(len(groups)))])
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} SELECT {returned}", params)
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
