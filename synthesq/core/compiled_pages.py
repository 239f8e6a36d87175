"""A list's page read by one statement compiled once per shape (``synthesq.core.compiled``), under DRF's cursor
paginator: building the page's queryset and compiling it was a tenth of a page of orders' time (issue 25).

``CompiledPageRows`` stands for a list's queryset when the request names no filter and no sort (``?limit=…``,
``?cursor=…`` only: the filter backends leave the queryset as it is). It records what the cursor paginator does to
it — ``order_by`` its ordering, ``filter`` past the cursor's position (one lookup), a slice (the cursor's offset,
the page size and one more) — and when the paginator lists it, runs the same queryset compiled once per (ordering,
lookup, slice), the position a ``Text`` slot: the same SQL, the same rows. Anything else done to it (a second
filter, a value that is not a string) is replayed on the queryset itself, as before."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Model, QuerySet

from .compiled import CompiledQuery, Text

# (ordering, lookup or None, start, stop) for each name: a cursor's offset is at most DRF's ``offset_cutoff``,
# a page size at most the paginator's maximum, so a few shapes a list; the oldest goes out past the bound.
_Shape = tuple[str, tuple[str, ...], str | None, int | None, int | None]
_SHAPES: dict[_Shape, CompiledQuery[Any]] = {}
_SHAPES_MAX = 64
_LOCK = threading.Lock()


class CompiledPageRows:
    """The rows of ``base()`` (a queryset, never evaluated itself) as the cursor paginator pages them."""

    def __init__(self, name: str, base: Callable[[], QuerySet[Any, Any]], model: type[Model],
                 ops: tuple[tuple[str, Any], ...] = ()) -> None:
        self.name = name
        self.model = model  # django-filter's backend checks the list's model against its filter set's
        self._base = base
        self._ops = ops

    def _then(self, op: str, argument: Any) -> CompiledPageRows:
        return CompiledPageRows(self.name, self._base, self.model, (*self._ops, (op, argument)))

    def order_by(self, *fields: str) -> CompiledPageRows:
        return self._then("order_by", fields)

    def filter(self, **lookups: Any) -> CompiledPageRows:
        return self._then("filter", lookups)

    def __getitem__(self, key: slice) -> CompiledPageRows:
        if not isinstance(key, slice):
            raise TypeError("a page is taken by a slice")
        return self._then("slice", key)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows())

    def _rows(self) -> list[Any]:
        shape = _shape_of(self._ops)
        if shape is None:
            return list(_replayed(self._base(), self._ops))
        ordering, lookup, position, start, stop = shape
        query = _compiled((self.name, ordering, lookup, start, stop), self._base)
        return query(position=position) if lookup is not None else query()


def _shape_of(ops: tuple[tuple[str, Any], ...]) -> tuple[tuple[str, ...], str | None, Any, int | None,
                                                          int | None] | None:
    """(ordering, lookup, position, start, stop) when the operations are the paginator's (``order_by``, at most
    one ``filter`` of one lookup on a string, one slice without a step); else None."""
    kinds = [op for op, _ in ops]
    if kinds not in (["order_by", "slice"], ["order_by", "filter", "slice"]):
        return None
    ordering, window = ops[0][1], ops[-1][1]
    if window.step is not None or not all(v is None or isinstance(v, int) for v in (window.start, window.stop)):
        return None
    if len(ops) == 2:
        return ordering, None, None, window.start, window.stop
    lookups = ops[1][1]
    if len(lookups) != 1:
        return None
    [(lookup, position)] = lookups.items()
    if not isinstance(position, str):
        return None
    return ordering, lookup, position, window.start, window.stop


def _compiled(shape: _Shape, base: Callable[[], QuerySet[Any, Any]]) -> CompiledQuery[Any]:
    query = _SHAPES.get(shape)
    if query is None:
        name, ordering, lookup, start, stop = shape
        if lookup is None:
            query = CompiledQuery(name, lambda: base().order_by(*ordering)[start:stop])
        else:
            query = CompiledQuery(name, lambda position: base().order_by(*ordering)
                                  .filter(**{lookup: position})[start:stop], position=Text())
        with _LOCK:
            while len(_SHAPES) >= _SHAPES_MAX:
                del _SHAPES[next(iter(_SHAPES))]
            _SHAPES[shape] = query
    return query


def _replayed(queryset: QuerySet[Any, Any], ops: tuple[tuple[str, Any], ...]) -> QuerySet[Any, Any]:
    for op, argument in ops:
        if op == "order_by":
            queryset = queryset.order_by(*argument)
        elif op == "filter":
            queryset = queryset.filter(**argument)
        else:
            queryset = queryset[argument]
    return queryset
