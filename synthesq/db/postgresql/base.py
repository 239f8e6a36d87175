"""PostgreSQL with django-prometheus's query metrics, and a health check without a round trip (issue 25).

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before a request first uses it, by sending
``SELECT 1`` (``is_usable``): one round trip per request, more than a trivial request's own statements cost. This
backend first asks the socket: an idle connection the server has nothing to say on is not readable, and one the
server closed or is closing (a restart, ``pg_terminate_backend``, a crash) is, with its end or its notice. So a quiet
socket passes at the cost of one ``select()``; anything else (readable, or the connection already known closed or
broken) gets Django's own ``SELECT 1``, which reconnects when it fails, as before. The check after a request that
had errors (``close_if_unusable_or_obsolete``) stays Django's.

The query metrics are django-prometheus' (the same series: statements, their durations, errors by type), counted by
a cursor class whose labelled children are looked up once per connection (``metered_cursor_class``) rather than
three times per statement (django-prometheus' cursor calls ``labels()`` in every ``execute``; issue 25).

Timestamps are read by psycopg's own loader (its C implementation), not by Django's: Django's subclasses psycopg's
Python loader to set the time zone of each value (``replace(tzinfo=…)``), a page of 50 orders' 500 timestamps read
in Python (issue 25). When the database's time zone is UTC (Django's ``timezone``: ``USE_TZ`` without a
``TIME_ZONE`` of its own) and the session's is ``UTC``, psycopg's loader gives the same values with the same
``tzinfo`` (``datetime.timezone.utc``): it converts each to the session's zone. A cursor whose session is in
another zone gets Django's loader, as Django registers it.

``OPTIONS["prepared_max"]`` (synthesq/settings/database.py) is psycopg's per-connection limit of prepared
statements, not a connection parameter: it is taken out of the parameters and set on each new connection.
``OPTIONS["random_page_cost"]`` is the planner's setting each new connection sets on its session (one statement
per connection, which lives for ``CONN_MAX_AGE``).
"""

from __future__ import annotations

import datetime
import functools
import select
from timeit import default_timer
from typing import Any

import psycopg
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerSideCursor
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django_prometheus.db import errors_total, execute_many_total, execute_total, query_duration_seconds
from django_prometheus.db.backends.postgresql import base
from psycopg.pq import Format

# psycopg's timestamptz loader (its C implementation when psycopg[binary] is installed).
_TIMESTAMPTZ = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


def quiet_and_open(connection: object) -> bool:
    """Whether a psycopg connection is open and its socket has nothing to read (no end, no notice): usable
    without asking the server. False when in doubt."""
    try:
        if connection.closed or connection.broken:  # type: ignore[attr-defined]
            return False
        readable, _writable, _failed = select.select([connection.fileno()], [], [], 0)  # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        return False
    return not readable


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool  # set by Django's BaseDatabaseWrapper
    prepared_max: int | None = None  # OPTIONS["prepared_max"], read with the connection parameters
    random_page_cost: str | None = None  # OPTIONS["random_page_cost"], likewise

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        self.prepared_max = params.pop("prepared_max", None)
        self.random_page_cost = params.pop("random_page_cost", None)
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if self.prepared_max is not None:
            connection.prepared_max = self.prepared_max
        return connection

    def close_if_health_check_failed(self) -> None:
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not quiet_and_open(self.connection) and not self.is_usable():
            self.close()
        self.health_check_done = True

    def init_connection_state(self) -> None:
        super().init_connection_state()
        if self.connection is not None and self.random_page_cost is not None:
            self.connection.execute("SELECT set_config('random_page_cost', %s, false)", [self.random_page_cost])
            if not self.get_autocommit():
                self.connection.commit()
        if self.connection is not None:  # django-prometheus' cursor class, for one with its children looked up once
            factory = self.connection.cursor_factory
            if factory.__module__ == _PROMETHEUS_CURSORS:  # ExportingCursorWrapper(Django's cursor class)
                factory = factory.__mro__[1]
            self.connection.cursor_factory = metered_cursor_class(factory, self.alias, self.vendor)
            if self.timezone is datetime.UTC:
                self.connection.adapters.register_loader("timestamptz", _TIMESTAMPTZ)

    def create_cursor(self, name: str | None = None) -> Any:
        if self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is not _TIMESTAMPTZ:
            return super().create_cursor(name)
        # Django's cursors, without its look at the loader's time zone (psycopg's loader has none: see above)
        if name is None:
            cursor = self.connection.cursor()
        elif self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
            cursor = ServerSideCursor(self.connection, name=name, scrollable=False,  # type: ignore[call-arg]
                                      withhold=self.connection.autocommit)  # (django-stubs: no signature)
        else:
            cursor = self.connection.cursor(name, scrollable=False, withhold=self.connection.autocommit)
        if self.connection.info.parameter_status("TimeZone") != "UTC":
            register_tzloader(self.timezone, cursor)
        return cursor


_PROMETHEUS_CURSORS = "django_prometheus.db.common"  # the module of django-prometheus' cursor classes


@functools.cache
def metered_cursor_class(cursor_class: type, alias: str, vendor: str) -> type:
    """django-prometheus' ``ExportingCursorWrapper`` (the same metrics and labels), with the labelled children
    looked up once: per statement it counts the statement, times it, and counts an error by its type."""
    executed = execute_total.labels(alias, vendor)
    executed_many = execute_many_total.labels(alias, vendor)
    duration = query_duration_seconds.labels(alias, vendor)

    class MeteredCursor(cursor_class):
        def execute(self, *args: Any, **kwargs: Any) -> Any:
            executed.inc()
            started = default_timer()
            try:
                return super().execute(*args, **kwargs)
            except BaseException as exc:
                errors_total.labels(alias, vendor, type(exc).__name__).inc()
                raise
            finally:
                duration.observe(max(default_timer() - started, 0))

        def executemany(self, query: Any, param_list: Any, *args: Any, **kwargs: Any) -> Any:
            executed.inc(len(param_list))
            executed_many.inc(len(param_list))
            started = default_timer()
            try:
                return super().executemany(query, param_list, *args, **kwargs)
            except BaseException as exc:
                errors_total.labels(alias, vendor, type(exc).__name__).inc()
                raise
            finally:
                duration.observe(max(default_timer() - started, 0))

    MeteredCursor.__qualname__ = MeteredCursor.__name__ = f"Metered{cursor_class.__name__}"
    return MeteredCursor
