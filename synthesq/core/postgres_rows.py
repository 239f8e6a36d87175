"""How rows of a model are sent to a statement written by hand on PostgreSQL, worked out once per model (or set of
columns) and used by every statement of ``postgres`` (batches) and ``postgres_documents`` (a document with its
parts, a row with its history row): the table, the columns, the key, and how each column's values go.

Values go as one typed array per column (``unnest``), except JSON columns: each goes as ONE ``jsonb`` document
(an array of the rows' values) taken by position. A ``jsonb[]`` parameter would have psycopg escape every quote of
every value in Python (its text array dumper, a regular expression's substitution per quote); one JSON document
is quoted once, by libpq. A JSON ``None`` is a JSON null in that document and stored as SQL NULL, as
``bulk_create`` stores it. One row (a document, a history row) goes as plain typed parameters instead
(``Columns.one``): psycopg dumps every list parameter in Python, a plain value in C. Each value goes through its
field's converter (``postgres_params``), worked out once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, JSONField, Model

from .postgres_params import Converter, converter_of


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def column(field: Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field.name} has no column")
    return quoted(field.column)


def field_of(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def key_of(model: type[Model]) -> Field[Any, Any]:
    key = model._meta.pk
    if key is None:
        raise TypeError(f"{model.__name__} has no primary key")
    return key


def cast_type(field: Field[Any, Any]) -> str:
    """The field's column type without its length (as Django's own unnest insert does), so that a value too long
    is refused, not cut."""
    return str(field.db_type(connection)).split("(")[0]


def array_type(field: Field[Any, Any]) -> str:
    """The field's array placeholder (``cast_type``)."""
    return f"%s::{cast_type(field)}[]"


@dataclass(frozen=True)
class Columns:
    """How rows' values of some fields are selected (worked out once per set of fields): ``select`` yields one row
    per position, the fields' columns in their order. Its JSON columns' placeholders stand in its select list,
    before the arrays' (in ``unnest``): their parameters come first (``params``)."""

    fields: tuple[Field[Any, Any], ...]
    json: tuple[Field[Any, Any], ...]
    arrays: tuple[Field[Any, Any], ...]
    names: str  # the columns, quoted, comma-separated
    selected: str  # the select list, from ``r`` (the rows unnested) and the JSON documents
    unnest: str  # ``unnest(…) WITH ORDINALITY AS r(c0, …, ord)``: ``r.ord`` is a row's position, from 1
    converters: tuple[tuple[Field[Any, Any], Converter], ...]  # each array's field with its converter
    one: str  # ``SELECT %s::type, …``: one row's values as typed parameters, in the fields' order (``values``)
    field_converters: tuple[tuple[Field[Any, Any], Converter], ...]  # every field with its converter, in order

    @property
    def select(self) -> str:
        return f"SELECT {self.selected} FROM {self.unnest}"

    def select_of(self, rows: Sequence[Model]) -> tuple[str, list[Any]]:
        """The select of these rows and its parameters: one row as ``one`` (plain parameters: psycopg dumps each
        list parameter in Python, a plain value in C), more as ``select``."""
        if len(rows) == 1:
            return self.one, self.values(rows[0])
        return self.select, self.params(rows)

    def params(self, rows: Sequence[Model]) -> list[Any]:
        """The rows' values as ``bulk_create`` would save them (each field's ``pre_save``)."""
        return self.params_of({field: [field.pre_save(row, add=True) for row in rows] for field in self.fields})

    def params_of(self, values: dict[Field[Any, Any], Sequence[Any]]) -> list[Any]:
        """``values`` (each field's, in the rows' order) as this select's parameters (each array's values through
        the field's converter, ``postgres_params``)."""
        db = connections[DEFAULT_DB_ALIAS]  # the connection itself: each use of the proxy costs a look-up
        return [*(field.get_db_prep_save(list(values[field]), db) for field in self.json),
                *([convert(value, db) for value in values[field]] for field, convert in self.converters)]

    def values(self, row: Model) -> list[Any]:
        """One row's values as plain parameters, in the fields' order (for ``VALUES``)."""
        db = connections[DEFAULT_DB_ALIAS]
        return [convert(field.pre_save(row, add=True), db) for field, convert in self.field_converters]


_COLUMNS: dict[tuple[Field[Any, Any], ...], Columns] = {}


def columns_of(fields: Sequence[Field[Any, Any]]) -> Columns:
    found = _COLUMNS.get(tuple(fields))
    if found is None:
        json = tuple(field for field in fields if isinstance(field, JSONField))
        arrays = tuple(field for field in fields if not isinstance(field, JSONField))
        position = {field: index for index, field in enumerate(arrays)}
        selected = ", ".join(f"r.c{position[field]}" if field in position
                             else "NULLIF((%s::jsonb) -> (r.ord - 1)::integer, 'null'::jsonb)" for field in fields)
        aliases = ", ".join([*(f"c{index}" for index in range(len(arrays))), "ord"])
        found = _COLUMNS[tuple(fields)] = Columns(
            fields=tuple(fields), json=json, arrays=arrays, names=", ".join(column(field) for field in fields),
            selected=selected, converters=tuple((field, converter_of(field)) for field in arrays),
            one="SELECT " + ", ".join(f"%s::{cast_type(field)}" for field in fields),
            field_converters=tuple((field, converter_of(field)) for field in fields),
            unnest=f"unnest({', '.join(array_type(field) for field in arrays)}) WITH ORDINALITY AS r({aliases})")
    return found


@dataclass(frozen=True)
class Insert:
    """How rows of a model are inserted (worked out once per model): its table, its columns and its key."""

    table: str
    columns: Columns
    key: Field[Any, Any]
    numbered: bool  # the database gives the key (an auto key): read back


_INSERTS: dict[type[Model], Insert] = {}


def insert_of(model: type[Model]) -> Insert:
    found = _INSERTS.get(model)
    if found is None:
        key = key_of(model)
        # all columns but an auto-incremented key (the database numbers it)
        fields = [field for field in model._meta.concrete_fields
                  if not (field is key and getattr(field, "db_returning", False))]
        found = _INSERTS[model] = Insert(quoted(model._meta.db_table), columns_of(fields), key,
                                         not any(field is key for field in fields))
    return found


def with_keys(rows: Sequence[Model]) -> None:
    """Give each row its primary key before the statement (prefixed ids: the field's default makes one)."""
    for row in rows:
        row.pk = row.pk or key_of(type(row)).get_default()


def saved(rows: Sequence[Model]) -> None:
    """Mark the rows saved, as ``bulk_create`` does."""
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias
