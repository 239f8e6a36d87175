"""The statements only PostgreSQL runs, each beside its portable fallback (the ORM; SQLite stays the embedded
default of ``make run`` and the quick tests). Callers say what to write in the ORM's terms — a model, its rows,
its fields — and this module picks the statement: nowhere else in the apps is there raw SQL or a test of the
database vendor.

On PostgreSQL a batch is one statement, its rows sent as ``postgres_rows`` describes (an array per column, a JSON
column as one document): as many rows as you like, one round trip, one plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Case, F, IntegerField, Model, Value, When
from django.db.models.expressions import RawSQL

from .models import Sequence as Counter
from .postgres_counts import Increment, count_within_limits, increment_statement
from .postgres_rows import (
    Columns,
    array_type,
    column,
    columns_of,
    field_of,
    insert_of,
    key_of,
    on_postgresql,
    quoted,
    saved,
    with_keys,
)
from .sequences import sequence_next, sequence_reserve_block


def insert_numbered(rows: Sequence[Model], *, number_field: str, counter: str, along: Sequence[Model] = (),
                    first: Increment | None = None) -> None:
    """Insert ``rows`` (of one model), numbered in their order from a block of counter ``counter`` taken in the
    same step; the counter row stays locked until the transaction ends, which is what makes the numbers visible
    in order. ``along``: single rows of other models written in the same step (a task row that processes the
    numbered ones), as ``save(force_insert=True)`` writes them. ``first``: a counter raised within its limit
    before the block is taken (its ``refused`` error raised at its limit: the caller's transaction then rolls
    back), so that a transaction whose last statement this is locks that row, then the counter's, each only until
    its commit. PostgreSQL: one statement (the counter's ``UPDATE … RETURNING`` feeds the ``INSERT`` and each of
    ``along``; it is gated on ``first``'s count, which is therefore made before it); elsewhere ``first``, the
    block, then ``bulk_create`` and the ``along`` rows' saves."""
    if not rows:
        return
    model = type(rows[0])
    if not on_postgresql():
        if first is not None:
            count_within_limits([first])
        block = sequence_reserve_block(counter, len(rows))
        for offset, row in enumerate(rows):
            setattr(row, number_field, block + offset)
        model._default_manager.bulk_create(rows)
        for companion in along:
            companion.save(force_insert=True)
        return
    with_keys([*rows, *along])
    sql, columns = _numbered_sql(model, number_field, tuple(type(companion) for companion in along),
                                 first.shape if first is not None else None)
    count = len(rows)
    values = [*([key_of(first.model).get_db_prep_value(first.pk, connection), counter] if first is not None else []),
              count, counter, *(value for companion in along for value in insert_of(type(companion)).columns.values(
                  companion)), count, *columns.params(rows)]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if cursor.rowcount == 0:  # the counter's very first use (``first`` not counted): create it, then number them
            Counter.objects.bulk_create([Counter(name=counter, value=0)], ignore_conflicts=True)
            cursor.execute(sql, values)
        if cursor.rowcount != count:
            raise RuntimeError(f"{model._meta.verbose_name_plural} were not written")
        returned = cursor.fetchall()
    if first is not None and not returned[0][1]:
        raise first.refused()
    number = min(row[0] for row in returned)
    for offset, row in enumerate(rows):
        setattr(row, number_field, number + offset)
    saved([*rows, *along])


_NUMBERED: dict[tuple[type[Model], str, tuple[type[Model], ...], tuple[type[Model], str, str] | None],
                tuple[str, Columns]] = {}


def _numbered_sql(model: type[Model], number_field: str, along: tuple[type[Model], ...],
                  first: tuple[type[Model], str, str] | None) -> tuple[str, Columns]:
    """``insert_numbered``'s statement, written once per shape, with the numbered rows' columns (all but the
    number): nothing is written when the counter does not exist yet (the ``along`` rows are selected from its
    block too, and ``first`` counts only where the counter exists). The counter's ``UPDATE`` waits for ``first``'s
    count (its one-time filter), so the two rows are always locked in that order."""
    key = (model, number_field, along, first)
    if key not in _NUMBERED:
        insert, number = insert_of(model), field_of(model, number_field)
        columns = columns_of([field for field in insert.columns.fields if field is not number])
        companions = "".join(
            f", t{index} AS (INSERT INTO {insert_of(other).table} ({insert_of(other).columns.names})"
            f" {insert_of(other).columns.one} FROM block RETURNING 1)" for index, other in enumerate(along))
        counter_table = quoted(Counter._meta.db_table)
        counted = gate = returned = ""
        if first is not None:
            counted = (f"i AS ({increment_statement(*first)} AND EXISTS (SELECT 1 FROM {counter_table}"
                       f" WHERE name = %s) RETURNING 1), ")
            gate = " AND (SELECT count(*) FROM i) >= 0"
            returned = ", (SELECT count(*) FROM i)"
        _NUMBERED[key] = f"""
            WITH {counted}block AS (UPDATE {counter_table} SET value = value + %s WHERE name = %s{gate}
                           RETURNING value){companions}
            INSERT INTO {insert.table} ({column(number)}, {columns.names})
            SELECT block.value - %s + r.ord, {columns.selected}
              FROM block, {columns.unnest}
            RETURNING {column(number)}{returned}
        """, columns
    return _NUMBERED[key]


@dataclass(frozen=True)
class Number:
    """A document number for the one row of ``insert_together``'s first batch: ``prefix`` then the next value of
    counter ``counter``, zero-padded to ``width`` digits (``SO-00000042``), the value longer when it needs more."""

    field: str
    counter: str
    prefix: str
    width: int

    def text(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.width}d}"

    def sql(self) -> tuple[str, list[Any]]:
        """The same text in SQL, from ``n.value`` (the counter's new value)."""
        return ("%s || CASE WHEN n.value < %s THEN lpad(n.value::text, %s, '0') ELSE n.value::text END",
                [self.prefix, 10 ** self.width, self.width])


def insert_together(batches: Sequence[Sequence[Model]], *, number: Number | None = None) -> None:
    """Insert each batch (rows of one model; a batch a later one refers to comes first: an order, its lines, its
    history row) as ``bulk_create`` would: keys given (a prefixed id made now, an auto key read back), rows marked
    saved; with ``number``, the first batch's one row numbered from its counter, taken in the same step (the row
    stays locked until the transaction ends: gapless, visible in order). PostgreSQL: one statement (the counter's
    ``UPDATE … RETURNING`` first, then an ``INSERT`` per batch in a ``WITH``; the foreign keys are checked at its
    end); elsewhere the counter (``sequence_next``), then one ``bulk_create`` per batch."""
    batches = [rows for rows in batches if rows]
    if number is not None and len(batches[0]) != 1:
        raise ValueError("a number is given to one row")
    if not on_postgresql():
        if number is not None:
            setattr(batches[0][0], number.field, number.text(sequence_next(number.counter)))
        for rows in batches:
            type(rows[0])._default_manager.bulk_create(rows)
        return
    sql, params = _insert_together_sql(batches, number)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.fetchall()
        if number is not None and not written:  # the counter's very first use: create it, then number the row
            Counter.objects.bulk_create([Counter(name=number.counter, value=0)], ignore_conflicts=True)
            cursor.execute(sql, params)
            written = cursor.fetchall()
    for index, rows in enumerate(batches):
        keys = [key for batch, key in written if batch == index]  # each batch's rows in the order inserted
        if len(keys) != len(rows):
            raise RuntimeError(f"{type(rows[0])._meta.verbose_name_plural} were not written")
        insert = insert_of(type(rows[0]))
        if number is not None and index == 0:
            setattr(rows[0], number.field, keys[0])
        elif insert.numbered:
            for row, key in zip(rows, keys, strict=True):
                row.pk = insert.key.to_python(key)
        saved(rows)


def _insert_together_sql(batches: Sequence[Sequence[Model]], number: Number | None) -> tuple[str, list[Any]]:
    """``insert_together``'s statement: each batch's rows, one row as plain values; with ``number``, every batch
    selected from the counter's updated row (none when the counter does not exist yet: nothing is written)."""
    parts, params, answers = [], [], []
    if number is not None:
        parts.append(f"n AS (UPDATE {quoted(Counter._meta.db_table)} SET value = value + 1 WHERE name = %s "
                     "RETURNING value)")
        params.append(number.counter)
    source_of = "n, " if number is not None else ""
    for index, rows in enumerate(batches):
        insert = insert_of(type(rows[0]))
        if not insert.numbered:
            with_keys(rows)
        columns = insert.columns
        returned = f"{column(insert.key)}::text" if insert.numbered else "NULL::text"
        if len(rows) == 1:
            placeholders, values = ["%s"] * len(columns.fields), columns.values(rows[0])
            if number is not None and index == 0:
                numbered = field_of(type(rows[0]), number.field)
                at = columns.fields.index(numbered)
                placeholders[at], number_params = number.sql()
                values[at:at + 1] = number_params
                returned = f"{column(numbered)}::text"
            source = (f"SELECT {', '.join(placeholders)} FROM n" if number is not None
                      else f"VALUES ({', '.join(placeholders)})")
        else:
            source, values = f"SELECT {columns.selected} FROM {source_of}{columns.unnest}", columns.params(rows)
        parts.append(f"b{index} AS (INSERT INTO {insert.table} ({columns.names}) {source} RETURNING {returned} AS k)")
        params += values
        answers.append(f"SELECT {index}, k FROM b{index}")
    return f"WITH {', '.join(parts)} {' UNION ALL '.join(answers)}", params


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
    with_keys(records)
    parts, params, checks, counts = _adds_parts(adds, companions, "")
    insert = insert_of(ledger)
    sql = f"""
        WITH {", ".join(parts)}
        INSERT INTO {insert.table} ({insert.columns.names}) {insert.columns.select}
         WHERE {" AND ".join(checks) or "true"}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *insert.columns.params(records), *counts])
        if cursor.rowcount != len(records):
            raise RuntimeError(f"{ledger._meta.verbose_name_plural} were not written")
    saved(records)


@dataclass(frozen=True)
class LaterWrite:
    """``add_to_rows_and_record``'s write, built but not sent: ``parts`` (``WITH`` items, named ``w…``) and their
    ``params`` go first in a statement the caller sends anyway (``update_and_record``'s ``along``), whose answer
    carries ``check`` (how many ledger rows were written); then ``done`` with that count. The statement's text
    depends on the number of models changed only (counts are parameters): one shape, one prepared statement."""

    parts: tuple[str, ...]
    params: list[Any]
    check: str
    records: Sequence[Model]

    def done(self, written: int) -> None:
        if written != len(self.records):
            raise RuntimeError(f"{type(self.records[0])._meta.verbose_name_plural} were not written")
        saved(self.records)


def add_to_rows_and_record_later(adds: Sequence[tuple[type[Model], str, dict[Any, int]]], *,
                                 records: Sequence[Model], companions: Sequence[Model] = ()) -> LaterWrite | None:
    """``add_to_rows_and_record``, sent with the caller's next statement (PostgreSQL: the rows it changes are
    locked, and nothing reads them before that statement); elsewhere written now (None)."""
    if not on_postgresql():
        add_to_rows_and_record(adds, records=records, companions=companions)
        return None
    with_keys(records)
    parts, params, checks, counts = _adds_parts(adds, companions, "w")
    insert = insert_of(type(records[0]))
    parts.append(f"wl AS (INSERT INTO {insert.table} ({insert.columns.names}) {insert.columns.select}"
                 f" WHERE {' AND '.join(checks) or 'true'} RETURNING 1)")
    return LaterWrite(parts=tuple(parts), params=[*params, *insert.columns.params(records), *counts],
                      check="(SELECT count(*) FROM wl)", records=records)


def write_now(write: LaterWrite) -> None:
    """Send a ``LaterWrite`` on its own (a caller with no statement to carry it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(write.parts)} SELECT {write.check}", write.params)
        (written,) = cursor.fetchone()
    write.done(written)


def _adds_parts(adds: Sequence[tuple[type[Model], str, dict[Any, int]]], companions: Sequence[Model],
                name: str) -> tuple[list[str], list[Any], list[str], list[int]]:
    """``add_to_rows_and_record``'s ``WITH`` items (their names prefixed with ``name``), their parameters, the
    checks that every update found all its rows and the checks' parameters (the counts of rows)."""
    parts, params, checks, counts = [], [], [], []
    for index, (model, field, deltas) in enumerate(adds):
        changed, key = column(field_of(model, field)), key_of(model)
        parts.append(f"""{name}a{index} AS (UPDATE {quoted(model._meta.db_table)} AS t
                           SET {changed} = t.{changed} + v.delta
                           FROM unnest({array_type(key)}, %s::integer[]) AS v(key, delta)
                          WHERE t.{column(key)} = v.key RETURNING 1)""")
        params += [[key.get_db_prep_save(pk, connection) for pk in deltas], list(deltas.values())]
        checks.append(f"(SELECT count(*) FROM {name}a{index}) = %s")
        counts.append(len(deltas))
    if companions:
        insert = insert_of(type(companions[0]))
        parts.append(f"{name}c AS (INSERT INTO {insert.table} ({insert.columns.names}) {insert.columns.select}"
                     " RETURNING 1)")
        params += insert.columns.params(companions)
    return parts, params, checks, counts


def update_each(model: type[Model], *, keys: Sequence[Any], per_row: dict[str, Sequence[Any]],
                same: dict[str, Any], only_if: dict[str, Any]) -> int:
    """Set the rows ``keys`` (primary keys) of ``model``: each ``per_row`` field to the row's own value (lists in
    the order of ``keys``), each ``same`` field to one value for all, where the ``only_if`` fields hold these
    values. Returns how many rows changed. PostgreSQL: one ``UPDATE … FROM unnest``; elsewhere row by row."""
    if not on_postgresql():
        return sum(model._default_manager.filter(pk=pk, **only_if).update(
            **same, **{name: values[index] for name, values in per_row.items()}) for index, pk in enumerate(keys))
    key = key_of(model)
    own = [field_of(model, name) for name in per_row]
    rows = columns_of([key, *own])
    shared = [(field_of(model, name), value) for name, value in same.items()]
    conditions = [(field_of(model, name), value) for name, value in only_if.items()]
    sets = [f"{column(f)} = %s" for f, _ in shared] + [f"{column(f)} = v.{column(f)}" for f in own]
    sql = f"""
        UPDATE {quoted(model._meta.db_table)} AS t SET {", ".join(sets)}
          FROM ({rows.select}) AS v(key, {", ".join(column(f) for f in own)})
         WHERE t.{column(key)} = v.key{"".join(f" AND t.{column(f)} = %s" for f, _ in conditions)}
    """
    params = [f.get_db_prep_save(value, connection) for f, value in shared]
    params += rows.params_of({key: keys, **{f: per_row[f.name] for f in own}})
    params += [f.get_db_prep_save(value, connection) for f, value in conditions]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def joined_rows(model: type[Model], *, parent: type[Model], key: str, fields: Sequence[str]) -> RawSQL:
    """An expression for ``annotate`` on a query of ``parent``: the parent row's rows of ``model`` (those whose
    foreign key ``key`` points at it), each as its primary key then ``fields`` joined by ':', the rows joined by
    ',' in no set order (``split_joined_rows`` reads them back in key order); NULL when it has none. A correlated
    subquery: PostgreSQL looks each parent row's rows up through the foreign key's index whatever the table's
    size, where a join let the planner read the whole table instead (a page of 50 orders read every allocation of
    a database holding 35,000 of them: 5 ms where the index takes 0.5; issue 25). That takes the connections'
    ``random_page_cost`` of 1.1 (``synthesq.settings.database``): at PostgreSQL's default of 4 it scanned a small
    table once per parent row. The fields' text must hold neither ':' nor ',' (keys, prefixed ids, numbers)."""
    child, outer = quoted(model._meta.db_table), quoted(parent._meta.db_table)
    parts = [f"{child}.{column(key_of(model))}", *(f"{child}.{column(field_of(model, name))}" for name in fields)]
    if connection.vendor == "postgresql":
        row, rows = f"concat_ws(':', {', '.join(parts)})", "string_agg({}, ',')"
    else:
        row, rows = " || ':' || ".join(parts), "group_concat({}, ',')"
    return RawSQL(f"(SELECT {rows.format(row)} FROM {child} WHERE {child}.{column(field_of(model, key))}"
                  f" = {outer}.{column(key_of(parent))})", ())


def split_joined_rows(text: str | None) -> list[list[str]]:
    """``joined_rows``'s text as its rows (each its key, then its fields, as text), in key order."""
    if text is None:
        return []
    rows = [row.split(":") for row in text.split(",")]
    if len(rows) > 1:
        rows.sort(key=lambda row: int(row[0]) if row[0].isdigit() else row[0])
    return rows


def joined_text(expression: str, vendor: str | None = None) -> str | None:
    """SQL aggregating ``expression`` (text) over a group's rows, joined by commas; None where the database has
    no such aggregate (the caller then reads the rows through the ORM)."""
    return {"postgresql": f"string_agg({expression}, ',')",
            "sqlite": f"group_concat({expression}, ',')"}.get(vendor or connection.vendor)
