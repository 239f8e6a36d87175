"""Refusals and references in staff's words, built in one place.

The API's problem ``detail`` keeps ids and field names: its consumers need them. Staff read order, invoice and
payment numbers, SKUs and plain words, linked where useful. So the admin never shows a ``detail`` it could word
better, and never parses one: each app declares, in its admin package, how to word its own exceptions from their
data (``@staff_wording(SomeError)``) and how to name its objects by id (``@object_namer("ord")``);
``refusal_message`` and ``object_names`` are what the admin's pages call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .errors import DomainError

E = TypeVar("E", bound=DomainError)
Wording = Callable[[Any], "str | None"]
Namer = Callable[[list[str]], dict[str, str]]

_WORDINGS: dict[type[DomainError], Wording] = {}
_NAMERS: dict[str, Namer] = {}


def staff_wording(exc_type: type[E]) -> Callable[[Callable[[E], str | None]], Callable[[E], str | None]]:
    """Declare how staff read a refusal of ``exc_type`` (HTML-safe when it links; None: the ``detail`` will do)."""

    def register(wording: Callable[[E], str | None]) -> Callable[[E], str | None]:
        _WORDINGS[exc_type] = wording
        return wording

    return register


def refusal_message(exc: DomainError) -> str:
    """The refusal as staff read it: its class's wording (or its nearest base's), else the problem's detail."""
    for klass in type(exc).__mro__:
        wording = _WORDINGS.get(klass)
        if wording is not None:
            message = wording(exc)
            if message:
                return message
    return exc.detail


def object_namer(prefix: str) -> Callable[[Namer], Namer]:
    """Declare how staff name the objects whose ids start ``<prefix>_``: ids → their number (HTML, a link where
    useful), in one query for many ids."""

    def register(namer: Namer) -> Namer:
        _NAMERS[prefix] = namer
        return namer

    return register


def object_names(ids: Iterable[str]) -> dict[str, str]:
    """What staff call each of ``ids`` (an order's number, a return's number); ids no app names are left out."""
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for object_id in set(ids):
        if object_id and "_" in object_id:
            by_prefix[object_id.split("_", 1)[0]].append(object_id)
    names: dict[str, str] = {}
    for prefix, group in by_prefix.items():
        namer = _NAMERS.get(prefix)
        if namer is not None:
            names.update(namer(sorted(group)))
    return names
