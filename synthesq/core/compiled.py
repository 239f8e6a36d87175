"""Compiled queries: a queryset built and compiled ONCE per database alias and per shape, then run again and again
with new values.

Building a queryset and compiling it to SQL is most of the ORM's CPU on a hot path (a statement with twenty
subquery annotations costs milliseconds), yet its SQL only depends on a few values. A ``CompiledQuery`` builds its
queryset from *slot markers* (typed sentinel values: a unique string for a ``Text`` slot, a unique int for an
``Int`` slot, a unique date for a ``Date`` slot, a list of them for a list slot used with ``__in``), compiles it,
finds each marker among the compiled parameters and keeps the SQL, the parameters and the compiler's column map
(``select``, ``klass_info``, ``annotation_col_map``, the converters). Each call puts the caller's values where
the markers were, runs the SQL and turns the rows into what the queryset would have given: model instances
exactly as Django's ``ModelIterable`` makes them (``select_related``, annotations, deferred fields,
``prefetch_related`` run after), or the rows of ``values()`` / ``values_list()`` (``flat`` too).

    product_prices = CompiledQuery(
        "inventory.product_prices",
        lambda ids: Product.objects.filter(pk__in=ids).values_list("pk", "price"),
        ids=TextList(),
    )
    rows = product_prices(ids=["prod_1", "prod_2"])

Rules the builder must follow (compiling refuses, never runs wrong SQL, when it can tell):
- every value that varies between calls is a slot: anything else the builder reads (the time, a setting) is
  frozen into the SQL at the first call;
- a slot's marker must reach the SQL as a whole parameter, unchanged: a marker wrapped (``__contains``, a LIKE
  pattern), transformed (``.upper()``, arithmetic) or dropped (an always-false ``__in``) raises ``SlotError``;
- the elements of a list slot are used alike (each found as often as the others: ``max(ids)`` would refuse).

A list slot's length is part of the shape: each length compiles once (keep lengths few, e.g. the distinct ids
of a request). Nothing but SQL and structure is kept, never a row; the cache is bounded (oldest shape out) and
safe to share between threads (a shape compiled twice at once is harmless: the second replaces the first).
Converters are taken once from the compiling connection: they depend on the backend and the settings, not on
the connection object, so every connection of the alias shares them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
)
from django.db.transaction import TransactionManagementError

from .compiled_models import model_maker

T = TypeVar("T")

_TEXT_MARKER = "cqslot{:05d}z"
_INT_MARKER_BASE = 2_061_550_000  # inside a 32-bit integer, so an IntegerField lookup keeps it
_DATE_MARKER_BASE = date(1187, 3, 1)


class SlotError(ValueError):
    """The builder uses a slot in a way compiling cannot replace safely (or a call's values do not fit)."""


class Slot:
    """One varying value of a compiled query."""

    kind = "value"

    def marker(self, number: int) -> Any:
        raise NotImplementedError

    def forms(self, marker: Any) -> list[tuple[Any, Callable[[Any], Any]]]:
        """The parameters the marker may compile to, each with the adapter that makes the caller's value so."""
        return [(marker, _same)]

    def check(self, name: str, value: Any) -> None:
        raise NotImplementedError


def _same(value: Any) -> Any:
    return value


def _iso(value: date) -> str:
    return value.isoformat()


class Text(Slot):
    """A ``str`` compared whole (``=``, ``__in``, a key): never inside a pattern."""

    kind = "text"

    def marker(self, number: int) -> str:
        return _TEXT_MARKER.format(number)

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, str):
            raise SlotError(f"slot {name!r} takes a str, not {type(value).__name__}")


class Int(Slot):
    """An ``int`` (not a bool) compared whole."""

    kind = "int"

    def marker(self, number: int) -> int:
        return _INT_MARKER_BASE + number

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise SlotError(f"slot {name!r} takes an int, not {type(value).__name__}")


class Date(Slot):
    """A ``date`` (not a datetime) compared with a ``DateField``: adapted as the backend adapts dates (an ISO
    string on SQLite, the date itself on PostgreSQL)."""

    kind = "date"

    def marker(self, number: int) -> date:
        return _DATE_MARKER_BASE + timedelta(days=number)

    def forms(self, marker: Any) -> list[tuple[Any, Callable[[Any], Any]]]:
        return [(marker, _same), (marker.isoformat(), _iso)]

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise SlotError(f"slot {name!r} takes a date, not {type(value).__name__}")


@dataclass(frozen=True)
class ListOf(Slot):
    """A list of values of one slot type (for ``__in``); its length is part of the compiled shape."""

    item: Slot

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"list of {self.item.kind}"

    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, (list, tuple)):
            raise SlotError(f"slot {name!r} takes a list or tuple, not {type(value).__name__}")
        for item in value:
            self.item.check(name, item)


def TextList() -> ListOf:
    return ListOf(Text())


def IntList() -> ListOf:
    return ListOf(Int())


def DateList() -> ListOf:
    return ListOf(Date())


_SCALARS: tuple[type, ...] = (str, int, float, bool, date, type(None), bytes)


@dataclass(frozen=True)
class _Place:
    """Where a slot's value goes: the parameter's index, the slot, the list element (None: a scalar slot)."""

    index: int
    name: str
    item: int | None
    adapt: Callable[[Any], Any]


@dataclass
class _Plan:
    """What a shape compiled to: the SQL, its parameters with the slots' places, and how to read its rows."""

    sql: str
    params: list[Any]
    places: list[_Place]
    converters: list[tuple[int, tuple[list[Any], Any]]]
    col_count: int | None  # rows are cut to it when the SQL selects extra columns
    make: Callable[[BaseDatabaseWrapper, list[list[Any]]], list[Any]]
    for_update: bool = False
    empty: bool = False
    prefetch: tuple[Any, ...] = field(default=())


def _empty_plan() -> _Plan:
    return _Plan("", [], [], [], None, lambda connection, rows: [], empty=True)


class CompiledQuery(Generic[T]):
    """A queryset compiled once per (alias, vendor, shape) and run with each call's values (see the module).

    ``build`` receives each slot's marker by name and returns the queryset; calling the compiled query with the
    slots' values by name (and ``using``, the alias) returns the list the queryset would have given.

    ``shared_related``: each row a forward ``select_related`` relation (a foreign key) reaches is made once per
    call and shared by the rows that point at it (Django makes one instance per row): lines locked with their
    order get one order, warehouse stock rows one product each. Only for callers that treat those instances as
    one (they assign the same one anyway, or only read them)."""

    def __init__(self, name: str, build: Callable[..., QuerySet[Any, T]], /, *, maxsize: int = 32,
                 shared_related: bool = False, **slots: Slot) -> None:
        if "using" in slots:
            raise SlotError("'using' names the database alias of a call: give the slot another name")
        self.name = name
        self._build = build
        self._shared_related = shared_related
        self._slots = slots
        self._lists = tuple(slot_name for slot_name, slot in slots.items() if isinstance(slot, ListOf))
        self._maxsize = maxsize
        self._plans: dict[tuple[Any, ...], _Plan] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<CompiledQuery {self.name} ({len(self._plans)} shapes)>"

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[T]:
        if values.keys() != self._slots.keys():
            raise SlotError(f"{self.name} takes the slots {sorted(self._slots)}, given {sorted(values)}")
        for slot_name, slot in self._slots.items():
            slot.check(slot_name, values[slot_name])
        connection = connections[using]
        shape = tuple(len(values[slot_name]) for slot_name in self._lists)
        key = (using, connection.vendor, *shape)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(using, shape)
            with self._lock:
                while len(self._plans) >= self._maxsize:
                    del self._plans[next(iter(self._plans))]
                self._plans[key] = plan
        return _run(plan, connection, values)

    def clear(self) -> None:
        """Forget every compiled shape (tests; a schema change)."""
        with self._lock:
            self._plans.clear()

    def _markers(self, shape: Sequence[int]) -> tuple[dict[str, Any], dict[Any, tuple[str, int | None, Any]]]:
        """Each slot's marker (a list of them for a list slot) and, by parameter form, the place it stands for."""
        markers: dict[str, Any] = {}
        forms: dict[Any, tuple[str, int | None, Any]] = {}
        lengths = dict(zip(self._lists, shape, strict=True))
        number = 0
        for slot_name, slot in self._slots.items():
            items = ([(None, slot)] if not isinstance(slot, ListOf)
                     else [(i, slot.item) for i in range(lengths[slot_name])])
            made = []
            for item, item_slot in items:
                marker = item_slot.marker(number)
                number += 1
                made.append(marker)
                for form, adapt in item_slot.forms(marker):
                    forms[(type(form), form)] = (slot_name, item, adapt)
            markers[slot_name] = made if isinstance(slot, ListOf) else made[0]
        return markers, forms

    def _compile(self, using: str, shape: Sequence[int]) -> _Plan:
        markers, forms = self._markers(shape)
        queryset = self._build(**markers)
        if not isinstance(queryset, QuerySet):
            raise TypeError(f"{self.name}: the builder must return a QuerySet, not {type(queryset).__name__}")
        queryset = queryset.using(using)
        make = _maker(queryset, using, shared_related=self._shared_related)
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # empty whatever the values (an empty list slot): no statement, no rows
            return _empty_plan()
        places = _places(self.name, list(params), forms)
        fields = [column[0] for column in compiler.select[0:compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return _Plan(sql, list(params), places, converters,
                     compiler.col_count if compiler.has_extra_select else None, make(compiler),
                     for_update=queryset.query.select_for_update,
                     prefetch=tuple(queryset._prefetch_related_lookups))  # type: ignore[attr-defined]


def _form_of(param: Any, forms: dict[Any, tuple[str, int | None, Any]]) -> tuple[str, int | None, Any] | None:
    """The slot place a whole parameter stands for, if any. An int may come wrapped by the backend's adapter
    (psycopg's ``Int4`` on PostgreSQL, a subclass of int): the caller's value is wrapped alike."""
    if not isinstance(param, _SCALARS):
        return None
    kind: Any = type(param)
    if isinstance(param, int) and kind is not int and kind is not bool:
        found = forms.get((int, int(param)))
        if found is None:
            return None
        slot_name, item, adapt = found
        return slot_name, item, lambda value: kind(adapt(value))
    return forms.get((kind, param))


def _places(name: str, params: list[Any], forms: dict[Any, tuple[str, int | None, Any]]) -> list[_Place]:
    """Where each marker stands among the compiled parameters; refuses a marker inside a parameter, one missing,
    and list elements used unevenly."""
    places = []
    texts = [str(form) for _, form in forms]
    for index, param in enumerate(params):
        found = _form_of(param, forms)
        if found is not None:
            places.append(_Place(index, *found))
            continue
        shown = param if isinstance(param, str) else repr(param)
        inside = [text for text in texts if text in shown]
        if inside:
            raise SlotError(f"{name}: a slot marker ({inside[0]!r}) is inside the parameter {param!r}: a slot must "
                            "be a whole parameter (no pattern, no transformation)")
    counts: dict[tuple[str, int | None], int] = {}
    for place in places:
        counts[(place.name, place.item)] = counts.get((place.name, place.item), 0) + 1
    for slot_name, item, _ in set(forms.values()):
        if (slot_name, item) not in counts:
            where = slot_name if item is None else f"{slot_name}[{item}]"
            raise SlotError(f"{name}: the slot {where} is not a parameter of the compiled SQL (transformed, or "
                            "dropped by the ORM)")
    by_list: dict[str, set[int]] = {}
    for (slot_name, item), count in counts.items():
        if item is not None:
            by_list.setdefault(slot_name, set()).add(count)
    uneven = sorted(slot_name for slot_name, seen in by_list.items() if len(seen) > 1)
    if uneven:
        raise SlotError(f"{name}: the elements of {uneven[0]} are not used alike (one taken apart, e.g. max())")
    return places


def _maker(queryset: QuerySet[Any, Any], using: str, *,
           shared_related: bool = False) -> Callable[[Any], Callable[..., list[Any]]]:
    """For the queryset's kind of rows, a function that takes the compiled compiler and returns the row maker."""
    iterable = queryset._iterable_class
    if queryset._known_related_objects:  # type: ignore[attr-defined]
        raise SlotError("a compiled query cannot come from a related manager (known related objects)")
    if iterable is ModelIterable:
        return lambda compiler: model_maker(compiler, using, shared_related=shared_related)
    if iterable is FlatValuesListIterable:
        return lambda compiler: lambda connection, rows: [row[0] for row in rows]
    if iterable is ValuesListIterable:
        return lambda compiler: lambda connection, rows: [tuple(row) for row in rows]
    if iterable is ValuesIterable:
        query = queryset.query
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select]
        return lambda compiler: lambda connection, rows: [dict(zip(names, row, strict=True)) for row in rows]
    raise SlotError(f"a compiled query cannot give {iterable.__name__} rows (models, values, values_list only)")


def _run(plan: _Plan, connection: BaseDatabaseWrapper, values: dict[str, Any]) -> list[Any]:
    if plan.empty:
        return []
    if plan.for_update and connection.get_autocommit() and connection.features.supports_transactions:
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    params = list(plan.params)
    for place in plan.places:
        value = values[place.name] if place.item is None else values[place.name][place.item]
        params[place.index] = place.adapt(value)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        fetched = cursor.fetchall()
    rows: list[list[Any]] = [list(row[:plan.col_count] if plan.col_count is not None else row) for row in fetched]
    for position, (convs, expression) in plan.converters:
        for row in rows:
            value = row[position]
            for converter in convs:
                value = converter(value, expression, connection)
            row[position] = value
    result = plan.make(connection, rows)
    if plan.prefetch and result:
        prefetch_related_objects(result, *plan.prefetch)
    return result
