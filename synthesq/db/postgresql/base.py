"""PostgreSQL with django-prometheus's query metrics, and a health check without a round trip (issue 25).

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before a request first uses it, by sending
``SELECT 1`` (``is_usable``): one round trip per request, more than a trivial request's own statements cost. This
backend first asks the socket: an idle connection the server has nothing to say on is not readable, and one the
server closed or is closing (a restart, ``pg_terminate_backend``, a crash) is, with its end or its notice. So a quiet
socket passes at the cost of one ``select()``; anything else (readable, or the connection already known closed or
broken) gets Django's own ``SELECT 1``, which reconnects when it fails, as before. The check after a request that
had errors (``close_if_unusable_or_obsolete``) stays Django's.

``OPTIONS["prepared_max"]`` (synthesq/settings/database.py) is psycopg's per-connection limit of prepared
statements, not a connection parameter: it is taken out of the parameters and set on each new connection.
"""

from __future__ import annotations

import select
from typing import Any

from django_prometheus.db.backends.postgresql import base


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

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        self.prepared_max = params.pop("prepared_max", None)
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
