"""A row's fields read as ONE JSON object (``JSONObject``): a query that brings along another table's row (the
customer of a draft, a promotion code) reads it with one subquery instead of one per field — one plan, one
conversion — and gets the values back as the model's fields would give them. Other tables' rows (a price list's
entries, tax rates) come along as ONE JSON array (``json_array_of``).

Each value travels in the JSON as both databases render it alike: text, integers and booleans as they are
(SQLite's 1/0 made booleans again), a datetime as its ISO text (made aware in UTC when SQLite's is naive), a
decimal and a JSON column as text (a decimal keeps its digits; SQLite's REAL is quantized to the field's places
as its own converter does)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates.mixins import OrderableAggMixin
from django.db.models import (
    Aggregate,
    BooleanField,
    DateTimeField,
    DecimalField,
    Expression,
    F,
    Field,
    JSONField,
    Model,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, JSONObject
from django.utils.dateparse import parse_datetime


def _model_field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _sent(field: Field[Any, Any], path: str) -> Expression | F:
    if isinstance(field, (DecimalField, JSONField)):
        return Cast(path, TextField())
    return F(path)


def fields_json(model: type[Model], names: Sequence[str], *, prefix: str = "", **extra: Any) -> JSONObject:
    """A JSON object of the fields ``names`` of ``model`` (reached through ``prefix``, e.g. ``"customer__"``, or
    the queryset's own model), plus ``extra`` expressions as they are."""
    return JSONObject(**{name: _sent(_model_field(model, name), prefix + name) for name in names}, **extra)


def _decimal(places: int) -> Callable[[Any], Any]:
    quantum = Decimal(1).scaleb(-places)
    return lambda value: Decimal(value).quantize(quantum)


def _aware(value: Any) -> Any:
    parsed = parse_datetime(value)
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed


def _boolean(value: Any) -> bool:
    return bool(value)


_CONVERTERS: dict[tuple[type[Model], str], Callable[[Any], Any] | None] = {}


def _converter(model: type[Model], name: str) -> Callable[[Any], Any] | None:
    key = (model, name)
    if key not in _CONVERTERS:
        field = _model_field(model, name)
        _CONVERTERS[key] = (_decimal(field.decimal_places or 0) if isinstance(field, DecimalField)
                            else json.loads if isinstance(field, JSONField)
                            else _aware if isinstance(field, DateTimeField)
                            else _boolean if isinstance(field, BooleanField) else None)
    return _CONVERTERS[key]


def fields_from_json(model: type[Model], names: Sequence[str], data: dict[str, Any]) -> dict[str, Any]:
    """The fields ``names`` from a ``fields_json`` object, as the model's fields read them."""
    values = {}
    for name in names:
        value, convert = data.get(name), _converter(model, name)
        values[name] = convert(value) if convert is not None and value is not None else value
    return values


class JSONArrayAgg(OrderableAggMixin, Aggregate):
    """The rows' values as one JSON array, never NULL (no row: ``[]``): PostgreSQL's ``jsonb_agg``, in the order of
    ``order_by`` when given. SQLite's ``json_group_array`` cannot order its input before 3.44, so an ordered one
    is NULL there: the caller then reads those rows by a statement of its own."""

    function = "JSONB_AGG"
    template = "COALESCE(%(function)s(%(distinct)s%(expressions)s %(order_by)s), '[]'::jsonb)"
    output_field = JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        if getattr(self, "order_by", None) is not None:
            return "NULL", ()
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"JSON_GROUP_ARRAY({sql})", tuple(params)


def json_array_of(rows: QuerySet[Any], value: Expression, *, order_by: Sequence[str] = ()) -> Subquery:
    """A subquery: the ``value`` of each of ``rows`` (a JSON expression, e.g. ``JSONArray`` of some columns; a
    decimal sent as ``json_text``) as ONE JSON array (``JSONArrayAgg``), ``[]`` when there is none."""
    aggregate = JSONArrayAgg(value, order_by=tuple(order_by)) if order_by else JSONArrayAgg(value)
    # grouped by a constant: one aggregate row over all of ``rows`` (Django groups by no column for a Value)
    grouped = rows.order_by().annotate(json_all=Value(1)).values("json_all")
    return Subquery(grouped.annotate(json_rows=aggregate).values("json_rows"), output_field=JSONField())


def json_text(path: str) -> Expression:
    """A decimal column sent in JSON as its text (its digits kept)."""
    return Cast(path, TextField())


def json_decimal(value: Any, places: int) -> Decimal:
    """A decimal sent by ``json_text``, as its field reads it (SQLite's REAL quantized to the field's places)."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places))
