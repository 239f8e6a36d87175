"""Timestamps read by psycopg's C loader (synthesq.db.postgresql): the same aware values, with the same tzinfo, as
Django's loader gives; a session in another time zone gets Django's loader back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from sales.models import Order
from sales.selectors import order_read_of_row, order_rows
from synthesq.db.postgresql.base import _TIMESTAMPTZ
from tests.factories import OrderFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MOMENTS = ["2026-12-06 19:00:00+00", "2026-12-06 19:00:00.5+05:30", "1970-01-01 00:00:00.000001-08",
           "2026-03-29 01:30:00+01", "9999-12-31 23:59:59.999999+00", "0001-01-01 00:00:00+00"]


def _read(sql: str, *params: Any) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchone())


@pytest.fixture
def djangos_loader() -> Iterator[None]:
    """Django's own loader on this connection for the duration (what every cursor had before)."""
    adapters = connection.connection.adapters
    register_tzloader(connection.timezone, connection.connection)
    try:
        yield
    finally:
        adapters.register_loader("timestamptz", _TIMESTAMPTZ)


def _statement(moments: list[str] = MOMENTS) -> str:
    return "SELECT " + ", ".join(f"'{moment}'::timestamptz" for moment in moments)


def test_the_connection_reads_timestamps_with_psycopg_s_c_loader() -> None:
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(1184, Format.TEXT) is _TIMESTAMPTZ
    assert _TIMESTAMPTZ.__module__.startswith("psycopg_binary")


def test_the_values_and_their_time_zone_are_django_s(djangos_loader: None) -> None:
    # given Django's loader: what it reads
    expected = _read(_statement())
    # when psycopg's C loader reads the same
    connection.connection.adapters.register_loader("timestamptz", _TIMESTAMPTZ)
    values = _read(_statement())
    # then the same datetimes, each aware in datetime.UTC, the object Django's loader sets
    assert values == expected
    assert all(value.tzinfo is dt.UTC and other.tzinfo is dt.UTC for value, other in zip(values, expected,
                                                                                         strict=True))
    assert [value.isoformat() for value in values] == [value.isoformat() for value in expected]


def test_an_order_page_reads_the_same_times() -> None:
    # given an order; when its page row and its instance are read; then aware UTC times, as they were written
    order = OrderFactory()
    [row] = [order_read_of_row(row) for row in order_rows().filter(pk=order.pk)]
    assert row.created_at == order.created_at and row.created_at.tzinfo is dt.UTC
    assert Order.objects.get(pk=order.pk).updated_at.tzinfo is dt.UTC
    assert [o.created_at.tzinfo for o in Order.objects.filter(pk=order.pk).iterator(chunk_size=10)] == [dt.UTC]


def test_a_session_in_another_time_zone_reads_as_django_did(djangos_loader: None) -> None:
    # given the session moved to another zone (Django sets its own at connect; something else could change it)
    within = MOMENTS[:4]  # the last ones are beyond datetime's range in a zone east of UTC
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Kolkata'")
    try:
        expected = _read(_statement(within))  # Django's loader, as it reads them in such a session
        # when the connection has psycopg's loader again
        connection.connection.adapters.register_loader("timestamptz", _TIMESTAMPTZ)
        values = _read(_statement(within))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
    # then its cursors read with Django's, as before
    assert values == expected and all(value.tzinfo is dt.UTC for value in values)
