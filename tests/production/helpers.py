"""Helpers for the production-shape tests: the test database's URL (for processes started by a test)."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connection


def database_url_for_processes() -> str:
    """A DATABASE_URL naming the database this test runs on (pytest-django's test_<name>)."""
    s = connection.settings_dict
    credentials = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{s['NAME']}"
