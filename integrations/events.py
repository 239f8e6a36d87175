"""Publishing events: the services' side of the outbox.

A service that changes state publishes what happened with ``publish(...)``; it runs under
``@publishes_events`` (``transaction.atomic`` plus an event scope). Events are buffered while the service runs
and written when its outermost scope ends — still inside the transaction, as one bulk INSERT that also writes
the one ``fan_out_events`` task (the row django-tasks' database backend writes) and any count the change makes
last (``count_last``). So a committed change always has its events and their delivery task, and a rolled-back one
has neither (a nested service that fails takes its buffered events with it). Publishing outside a service's scope
is a programming error.

Event types are declared by the app that owns the object (``register_event_types``); endpoints subscribe to
types or to ``<prefix>.*`` wildcards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar, overload

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from synthesq.core import postgres
from synthesq.core.postgres_counts import Increment, count_within_limits

from .models import Event
from .queue import FAN_OUT_EVENTS, announce, enqueue, task_row

EVENT_SEQUENCE = "events"
_TYPES: dict[str, str] = {}

P = ParamSpec("P")
R = TypeVar("R")


def register_event_types(types: dict[str, str]) -> None:
    """Declare event types (type → what it means); each app declares its own."""
    _TYPES.update(types)


def event_types() -> dict[str, str]:
    return dict(sorted(_TYPES.items()))


def pattern_is_known(pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return any(name.startswith(pattern[:-1]) for name in _TYPES)
    return pattern in _TYPES


def known_patterns() -> list[str]:
    """Everything a subscription or a filter may name: ``*``, each ``prefix.*`` and each type."""
    prefixes = sorted({name.split(".", 1)[0] for name in _TYPES if "." in name})
    return ["*", *(f"{prefix}.*" for prefix in prefixes), *sorted(_TYPES)]


class KnownPatternChoices(Sequence[tuple[str, str]]):
    """``known_patterns()`` as (value, label) choices, read each time they are used: the types are declared
    when the apps are ready, after the serializers and filters that offer them are defined."""

    def _choices(self) -> list[tuple[str, str]]:
        return [(pattern, pattern) for pattern in known_patterns()]

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str] | Sequence[tuple[str, str]]:
        return self._choices()[index]

    def __len__(self) -> int:
        return len(self._choices())


def type_matches(event_type: str, patterns: Iterable[str]) -> bool:
    """Whether ``event_type`` is among ``patterns`` (exact types, ``prefix.*`` wildcards or ``*``)."""
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
               for p in patterns)


def _new_event_id() -> str:
    return str(Event._meta.pk.get_default())


@dataclass
class PendingEvent:
    type: str
    object_id: str
    data: dict[str, Any]
    only_endpoint_id: str = ""
    created_at: datetime = field(default_factory=timezone.now)
    id: str = field(default_factory=_new_event_id)
    # publish(..., at_commit=True): rendered again when the outermost scope ends if it is its object's last event
    render: Callable[[], dict[str, Any]] | None = None


@dataclass
class _Change:
    """What a service's outermost scope writes when it ends: the events published in it and the counts it makes
    last (``count_last``)."""

    events: list[PendingEvent] = field(default_factory=list)
    last: list[Increment] = field(default_factory=list)


_scope: ContextVar[_Change | None] = ContextVar("event_scope", default=None)


@contextmanager
def event_scope() -> Iterator[_Change]:
    """Collect the events published inside (and the counts made last); the outermost scope writes them when it
    ends normally."""
    change = _scope.get()
    if change is not None:  # nested: a failure drops what was published (and counted last) inside
        marks = len(change.events), len(change.last)
        try:
            yield change
        except BaseException:
            del change.events[marks[0]:], change.last[marks[1]:]
            raise
        return
    change = _Change()
    token = _scope.set(change)
    try:
        yield change
        _flush(change)
    finally:
        _scope.reset(token)


def count_last(increment: Increment) -> None:
    """Count ``increment`` (a counter raised within its limit: the uses of a promotion code) as the change's last
    write, in the statement that writes its events when the service's outermost scope ends (its own statement
    when there are none). A row that many changes count (a popular code) is then locked from that statement to
    the commit, not through the rest of the change; its refusal, raised there, rolls the whole change back.
    Its row is locked after every row the change has locked and before the events' counter: any other change
    that locks such a row keeps that order (a cancellation gives a code's use back after its order and stock)."""
    change = _scope.get()
    if change is None:
        raise RuntimeError("Counts made last belong to a service's change (@publishes_events).")
    change.last.append(increment)


def in_event_scope() -> bool:
    """Whether a service's event scope is open here (its events are not written yet)."""
    return _scope.get() is not None


def publishes_events(func: Callable[P, R]) -> Callable[P, R]:
    """A service that runs in one transaction and publishes the events of what it changed.

    Called by another service (inside its event scope), it joins that service's transaction without a savepoint
    of its own (two statements fewer per nested call): a refusal it raises refuses the outer service as a whole.
    A caller that means to carry on after a nested refusal wraps the call in its own ``transaction.atomic()``."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(savepoint=_scope.get() is None), event_scope():
            return func(*args, **kwargs)

    return run


def publish(event_type: str, *, object_id: str, obj: dict[str, Any] | Callable[[], dict[str, Any]],
            previous_attributes: dict[str, Any] | None = None, only_endpoint_id: str = "",
            at_commit: bool = False) -> str | None:
    """Record that ``event_type`` happened to the object: ``obj`` is the object as the API renders it now
    (or a function that renders it, called only when events are on: ``EVENTS_ENABLED``, read here only).

    ``at_commit=True`` (with a function) is for an object that later steps of the same change alter — a payment
    embeds the invoice it then settles, an invoice is saved by the caller after it moved: rendered now (this step
    as it left the object) and, if no later event of the change is about the same object, rendered again when
    the service's outermost scope ends (still in its transaction, after everything it changed), so the object's
    last event is what GET returns once the change is committed. A ping names the one endpoint it is for.
    Returns the event's id (None when events are off)."""
    change = _scope.get()
    if change is None:
        raise RuntimeError("Events are published by services, inside their transaction (@publishes_events).")
    if event_type not in _TYPES:
        raise ValueError(f"Undeclared event type {event_type!r}")
    if not settings.EVENTS_ENABLED:  # the one switch, for measuring what events cost (bench/webhooks.py)
        return None
    render = obj if at_commit and callable(obj) else None
    data: dict[str, Any] = {"object": obj() if callable(obj) else obj}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    pending = PendingEvent(type=event_type, object_id=object_id, data=data, only_endpoint_id=only_endpoint_id,
                           render=render)
    change.events.append(pending)
    return pending.id


def _flush(change: _Change) -> None:
    """Write the buffered events and enqueue their fan-out (one task), in the transaction, with the change's last
    count (several, each a statement of its own before the events', in the order they were made: one statement
    cannot count one row twice, nor promise in which order it locks two)."""
    pending, counts = change.events, change.last
    if len(counts) > 1 or not pending:
        count_within_limits(counts)
        counts = []
    if not pending:
        return
    last = {item.object_id: item for item in pending}
    for item in pending:
        if item.render is not None:
            if last[item.object_id] is item:  # the object as the change leaves it, as GET will return it
                item.data["object"] = item.render()
            item.render = None
    events = [Event(id=item.id, type=item.type, object_id=item.object_id, data=item.data,
                    only_endpoint_id=item.only_endpoint_id, created_at=item.created_at) for item in pending]
    # the fan-out's task row goes with the events' statement (django-tasks' own row, written by it elsewhere)
    task = task_row(FAN_OUT_EVENTS, [event.pk for event in events])
    postgres.insert_numbered(events, number_field="sequence", counter=EVENT_SEQUENCE, along=[task] if task else [],
                             first=counts[0] if counts else None)
    if task is None:
        enqueue(FAN_OUT_EVENTS, [event.pk for event in events])
    else:
        announce(task)


register_event_types({
    "ping": "A test event sent to one endpoint (POST /api/v1/webhook-endpoints/{id}/test).",
    "webhook_endpoint.disabled": "An endpoint failed continuously for WEBHOOK_DISABLE_AFTER_DAYS and was disabled.",
})


def previous_attributes(before: dict[str, Any], after: dict[str, Any],
                        ignore: Iterable[str] = ("updated_at",)) -> dict[str, Any]:
    """The fields that changed between two renderings of an object, with their earlier values."""
    skipped = set(ignore)
    return {name: value for name, value in before.items() if name not in skipped and after.get(name) != value}
