"""The database's query metrics (django-prometheus' series) as the PostgreSQL backend's metered cursor counts
them: every statement, its duration, and an error by its type."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db

LABELS = {"alias": "default", "vendor": "postgresql"}


def _value(name: str, **extra: str) -> float:
    return REGISTRY.get_sample_value(name, {**LABELS, **extra}) or 0.0


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the metered cursor is the PostgreSQL backend's")


def test_a_statement_is_counted_and_timed() -> None:
    executed, timed = _value("django_db_execute_total"), _value("django_db_query_duration_seconds_count")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert _value("django_db_execute_total") == executed + 1
    assert _value("django_db_query_duration_seconds_count") == timed + 1


def test_many_statements_are_counted_as_many() -> None:
    executed, many = _value("django_db_execute_total"), _value("django_db_execute_many_total")
    with connection.cursor() as cursor:
        cursor.executemany("SELECT %s", [(1,), (2,), (3,)])
    assert _value("django_db_execute_total") == executed + 3
    assert _value("django_db_execute_many_total") == many + 3


def test_a_failed_statement_is_counted_by_its_error_type() -> None:
    failed, timed = _value("django_db_errors_total", type="UndefinedTable"), _value(
        "django_db_query_duration_seconds_count")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert _value("django_db_errors_total", type="UndefinedTable") == failed + 1
    assert _value("django_db_query_duration_seconds_count") > timed  # timed too (with the savepoint's statements)
