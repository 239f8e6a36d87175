"""The statements only PostgreSQL runs, each beside its portable fallback (the ORM; SQLite stays the embedded
default of ``make run`` and the quick tests). Callers say what to write in the ORM's terms — a model, its rows,
its fields — and this module picks the statement: nowhere else in the apps is there raw SQL or a test of the
database vendor.

On PostgreSQL a batch is one statement, with its values sent as arrays (``unnest(%s::type[], …)``): as many
rows as you like, one round trip, one plan."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection
from django.db.models import Case, F, Field, IntegerField, JSONField, Model, Value, When

from .models import Sequence as Counter
from .sequences import sequence_reserve_block


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(field: Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field.name} has no column")
    return _quoted(field.column)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _key(model: type[Model]) -> Field[Any, Any]:
    key = model._meta.pk
    if key is None:
        raise TypeError(f"{model.__name__} has no primary key")
    return key


# A JSON column's values sent as ONE jsonb document (an array, a JSON null for SQL NULL as Django saves None) and
# made an array again by PostgreSQL: a jsonb[] parameter would have psycopg escape every quote of every document
# in Python, a regular expression's substitution per quote (a rendered order has hundreds).
_JSON_ARRAY = ("(SELECT array_agg(CASE WHEN j.e = 'null'::jsonb THEN NULL ELSE j.e END ORDER BY j.n)"
               " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS j(e, n))")
_ARRAY_TYPES: dict[Field[Any, Any], str] = {}


def _array_type(field: Field[Any, Any]) -> str:
    """The field's array placeholder (its column type worked out once per field)."""
    placeholder = _ARRAY_TYPES.get(field)
    if placeholder is None:
        is_json = isinstance(field, JSONField)
        # the type without its length (as Django's own unnest insert does): a value too long is refused, not cut
        column_type = str(field.db_type(connection)).split("(")[0]
        placeholder = _ARRAY_TYPES[field] = _JSON_ARRAY if is_json else f"%s::{column_type}[]"
    return placeholder


def _array(field: Field[Any, Any], values: Iterable[Any]) -> tuple[str, Any]:
    """``values`` of ``field`` as one typed array parameter: its placeholder and its value."""
    placeholder = _array_type(field)
    if placeholder is _JSON_ARRAY:
        return placeholder, json.dumps([value for value in values], cls=cast(JSONField, field).encoder)
    return placeholder, [field.get_db_prep_save(value, connection) for value in values]


def _columns_of(rows: Sequence[Model], fields: Sequence[Field[Any, Any]]) -> tuple[list[str], list[Any]]:
    """The rows' ``fields`` as one array each (values as ``bulk_create`` would save them): the placeholders
    and the parameters."""
    arrays = [_array(field, [field.pre_save(row, add=True) for row in rows]) for field in fields]
    return [placeholder for placeholder, _ in arrays], [values for _, values in arrays]


def _with_keys(rows: Sequence[Model]) -> None:
    """Give each row its primary key before the statement (prefixed ids: the field's default makes one)."""
    for row in rows:
        row.pk = row.pk or _key(type(row)).get_default()


def _saved(rows: Sequence[Model]) -> None:
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


def insert_numbered(rows: Sequence[Model], *, number_field: str, counter: str) -> None:
    """Insert ``rows`` (of one model), numbered in their order from a block of counter ``counter`` taken in the
    same step; the counter row stays locked until the transaction ends, which is what makes the numbers visible
    in order. PostgreSQL: one statement (the counter's ``UPDATE … RETURNING`` feeds the ``INSERT``); elsewhere
    the block, then ``bulk_create``."""
    if not rows:
        return
    model = type(rows[0])
    if not on_postgresql():
        first = sequence_reserve_block(counter, len(rows))
        for offset, row in enumerate(rows):
            setattr(row, number_field, first + offset)
        model._default_manager.bulk_create(rows)
        return
    _with_keys(rows)
    number = _field(model, number_field)
    fields = [field for field in model._meta.concrete_fields if field is not number]
    placeholders, params = _columns_of(rows, fields)
    names = [_column(field) for field in fields]
    sql = f"""
        WITH block AS (UPDATE {_quoted(Counter._meta.db_table)} SET value = value + %s WHERE name = %s
                       RETURNING value)
        INSERT INTO {_quoted(model._meta.db_table)} ({", ".join(names)}, {_column(number)})
        SELECT {", ".join(f"r.{name}" for name in names)}, block.value - %s + r.ord
          FROM block, unnest({", ".join(placeholders)}, %s::integer[]) AS r({", ".join(names)}, ord)
        RETURNING {_column(number)}
    """
    count = len(rows)
    values = [count, counter, count, *params, list(range(1, count + 1))]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if cursor.rowcount == 0:  # the counter's very first use: create it, then number them
            Counter.objects.bulk_create([Counter(name=counter, value=0)], ignore_conflicts=True)
            cursor.execute(sql, values)
        if cursor.rowcount != count:
            raise RuntimeError(f"{model._meta.verbose_name_plural} were not written")
        first = min(value for (value,) in cursor.fetchall())
    for offset, row in enumerate(rows):
        setattr(row, number_field, first + offset)
    _saved(rows)


@dataclass(frozen=True)
class _Insert:
    """How rows of a model are inserted (worked out once per model): its table, columns and key."""

    table: str
    fields: list[Field[Any, Any]]
    columns: str
    key: Field[Any, Any]
    numbered: bool  # the database gives the key (an auto key): read back


_INSERTS: dict[type[Model], _Insert] = {}


def _insert_of(model: type[Model]) -> _Insert:
    found = _INSERTS.get(model)
    if found is None:
        fields, key = _insert_fields(model), _key(model)
        found = _INSERTS[model] = _Insert(_quoted(model._meta.db_table), fields,
                                          ", ".join(_column(field) for field in fields), key,
                                          not any(field is key for field in fields))
    return found


def _rows_source(rows: Sequence[Model], fields: Sequence[Field[Any, Any]]) -> tuple[str, list[Any]]:
    """What an ``INSERT`` takes its rows from: one row as plain values, more as arrays (``unnest``)."""
    if len(rows) == 1:
        row = rows[0]
        return (f"VALUES ({', '.join(['%s'] * len(fields))})",
                [field.get_db_prep_save(field.pre_save(row, add=True), connection) for field in fields])
    placeholders, values = _columns_of(rows, fields)
    return f"SELECT * FROM unnest({', '.join(placeholders)})", values


def insert_together(batches: Sequence[Sequence[Model]]) -> None:
    """Insert each batch (rows of one model; a batch a later one refers to comes first: an order, its lines, its
    history row) as ``bulk_create`` would: keys given (a prefixed id made now, an auto key read back), rows marked
    saved. PostgreSQL: one statement (an ``INSERT`` per batch in a ``WITH``; the foreign keys are checked at its
    end); elsewhere one ``bulk_create`` per batch."""
    batches = [rows for rows in batches if rows]
    if not on_postgresql():
        for rows in batches:
            type(rows[0])._default_manager.bulk_create(rows)
        return
    parts, params, answers = [], [], []
    for index, rows in enumerate(batches):
        insert = _insert_of(type(rows[0]))
        if not insert.numbered:
            _with_keys(rows)
        source, values = _rows_source(rows, insert.fields)
        returned = f"{_column(insert.key)}::text" if insert.numbered else "NULL::text"
        parts.append(f"b{index} AS (INSERT INTO {insert.table} ({insert.columns}) {source} RETURNING {returned} AS k)")
        params += values
        answers.append(f"SELECT {index}, k FROM b{index}")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} {' UNION ALL '.join(answers)}", params)
        written = cursor.fetchall()
    for index, rows in enumerate(batches):
        keys = [key for batch, key in written if batch == index]  # each batch's rows in the order inserted
        if len(keys) != len(rows):
            raise RuntimeError(f"{type(rows[0])._meta.verbose_name_plural} were not written")
        insert = _insert_of(type(rows[0]))
        if insert.numbered:
            for row, key in zip(rows, keys, strict=True):
                row.pk = insert.key.to_python(key)
        _saved(rows)


def _insert_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """The columns an insert of ``model`` names: all but an auto-incremented key (the database numbers it)."""
    key = _key(model)
    return [field for field in model._meta.concrete_fields
            if not (field is key and getattr(field, "db_returning", False))]


def add_to_rows_and_record(adds: Sequence[tuple[type[Model], str, dict[Any, int]]], *, records: Sequence[Model],
                           companions: Sequence[Model] = ()) -> None:
    """For each (model, field, deltas) of ``adds``, add the deltas (primary key → amount) to ``field`` of those
    rows; insert ``records`` (a ledger, of one model) and ``companions`` (rows of one other model the caller keeps
    beside the change, e.g. allocations). PostgreSQL: one statement (each ``UPDATE … FROM unnest`` and the
    companions' ``INSERT`` in a ``WITH``; the ledger rows are written only if every update found all its rows);
    elsewhere one ``UPDATE`` with a ``CASE`` per model and one ``bulk_create`` each."""
    ledger = type(records[0])
    if not on_postgresql():
        for model, field, deltas in adds:
            model._default_manager.filter(pk__in=deltas).update(**{field: F(field) + Case(
                *(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()),
                default=Value(0), output_field=IntegerField())})
        ledger._default_manager.bulk_create(records)
        if companions:
            type(companions[0])._default_manager.bulk_create(companions)
        return
    _with_keys(records)
    parts, params, checks = [], [], []
    for index, (model, field, deltas) in enumerate(adds):
        changed, key = _column(_field(model, field)), _key(model)
        keys, key_values = _array(key, deltas)
        parts.append(f"""a{index} AS (UPDATE {_quoted(model._meta.db_table)} AS t SET {changed} = t.{changed} + v.delta
                           FROM unnest({keys}, %s::integer[]) AS v(key, delta)
                          WHERE t.{_column(key)} = v.key RETURNING 1)""")
        params += [key_values, list(deltas.values())]
        checks.append(f"(SELECT count(*) FROM a{index}) = {len(deltas)}")
    if companions:
        fields = _insert_fields(type(companions[0]))
        placeholders, values = _columns_of(companions, fields)
        names = [_column(item) for item in fields]
        parts.append(f"""c AS (INSERT INTO {_quoted(type(companions[0])._meta.db_table)} ({", ".join(names)})
                          SELECT * FROM unnest({", ".join(placeholders)}) RETURNING 1)""")
        params += values
    fields = list(ledger._meta.concrete_fields)
    placeholders, values = _columns_of(records, fields)
    names = [_column(item) for item in fields]
    sql = f"""
        WITH {", ".join(parts)}
        INSERT INTO {_quoted(ledger._meta.db_table)} ({", ".join(names)})
        SELECT {", ".join(f"r.{name}" for name in names)}
          FROM unnest({", ".join(placeholders)}) AS r({", ".join(names)})
         WHERE {" AND ".join(checks) or "true"}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *values])
        if cursor.rowcount != len(records):
            raise RuntimeError(f"{ledger._meta.verbose_name_plural} were not written")
    _saved(records)


def update_each(model: type[Model], *, keys: Sequence[Any], per_row: dict[str, Sequence[Any]],
                same: dict[str, Any], only_if: dict[str, Any]) -> int:
    """Set the rows ``keys`` (primary keys) of ``model``: each ``per_row`` field to the row's own value (lists in
    the order of ``keys``), each ``same`` field to one value for all, where the ``only_if`` fields hold these
    values. Returns how many rows changed. PostgreSQL: one ``UPDATE … FROM unnest``; elsewhere row by row."""
    if not on_postgresql():
        return sum(model._default_manager.filter(pk=pk, **only_if).update(
            **same, **{name: values[index] for name, values in per_row.items()}) for index, pk in enumerate(keys))
    key = _key(model)
    own = [_field(model, name) for name in per_row]
    arrays = [_array(key, keys), *(_array(field, per_row[field.name]) for field in own)]
    shared = [(_field(model, name), value) for name, value in same.items()]
    conditions = [(_field(model, name), value) for name, value in only_if.items()]
    sets = [f"{_column(f)} = %s" for f, _ in shared] + [f"{_column(f)} = v.{_column(f)}"
                                                               for f in own]
    sql = f"""
        UPDATE {_quoted(model._meta.db_table)} AS t SET {", ".join(sets)}
          FROM unnest({", ".join(placeholder for placeholder, _ in arrays)})
               AS v(key, {", ".join(_column(f) for f in own)})
         WHERE t.{_column(key)} = v.key{"".join(f" AND t.{_column(f)} = %s" for f, _ in conditions)}
    """
    params = [f.get_db_prep_save(value, connection) for f, value in shared]
    params += [values for _, values in arrays]
    params += [f.get_db_prep_save(value, connection) for f, value in conditions]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def joined_text(expression: str, vendor: str | None = None) -> str | None:
    """SQL aggregating ``expression`` (text) over a group's rows, joined by commas; None where the database has
    no such aggregate (the caller then reads the rows through the ORM)."""
    return {"postgresql": f"string_agg({expression}, ',')",
            "sqlite": f"group_concat({expression}, ',')"}.get(vendor or connection.vendor)
