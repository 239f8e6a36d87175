"""The per-request connection health check (synthesq.db.postgresql): a quiet socket passes without a round
trip; a connection the server ended is found out and replaced before the request uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from synthesq.db.postgresql.base import quiet_and_open

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def connection() -> Iterator:
    """This thread's connection (not the proxy), kept open, with health checks on."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.ensure_connection()
    enabled = wrapper.health_check_enabled
    wrapper.health_check_enabled = True
    try:
        yield wrapper
    finally:
        wrapper.health_check_enabled = enabled


def _sent_statements(monkeypatch: pytest.MonkeyPatch, connection: object) -> list[str]:
    """``SELECT 1`` of Django's ``is_usable`` goes around its cursor wrappers: spy on it directly."""
    sent: list[str] = []
    usable = type(connection).is_usable

    def spy(self: object) -> bool:
        sent.append("SELECT 1")
        return usable(self)  # type: ignore[arg-type]

    monkeypatch.setattr(type(connection), "is_usable", spy)
    return sent


def test_a_kept_idle_connection_passes_the_health_check_without_asking_the_server(
        monkeypatch: pytest.MonkeyPatch, connection) -> None:
    # given a kept connection, health checks on, a request's first use ahead
    connection.health_check_done = False
    sent = _sent_statements(monkeypatch, connection)
    # when the request checks it, then the socket said enough: no SELECT 1, the connection kept
    connection.close_if_health_check_failed()
    assert sent == [] and connection.connection is not None and connection.health_check_done
    assert quiet_and_open(connection.connection)


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(
        monkeypatch: pytest.MonkeyPatch, connection) -> None:
    # given a kept connection, and the server ending its backend (a restart, an administrator)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits until it is gone
    finally:
        other.close()
    connection.health_check_done = False
    sent = _sent_statements(monkeypatch, connection)
    # when the next request checks it
    connection.close_if_health_check_failed()
    # then the readable socket sent it to Django's SELECT 1, which failed: the connection was dropped
    assert sent == ["SELECT 1"] and connection.connection is None
    # and the request's statement runs on a new connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
