"""The database (``DATABASES["default"]``) from the environment; the variables are in base's docstring.

PostgreSQL binds parameters on the server and prepares what a connection runs often (issue 25). With Django's
default (client-side binding) psycopg sends every statement as text with its values inlined, and PostgreSQL
parses and plans it again on every request; with ``server_side_binding`` psycopg sends the values apart and,
once a statement has run ``prepare_threshold`` times on a connection, prepares it there and runs the prepared
one from then on: no parse or plan. Connections are persistent (``CONN_MAX_AGE``), so each worker's connection
keeps its prepared statements (at most ``prepared_max``, the least recently used deallocated) until it closes.
Off (``DATABASE_SERVER_SIDE_BINDING=0``) behind a pooler in transaction mode that does not keep prepared
statements per client (PgBouncer before 1.21 or without ``max_prepared_statements``): a prepared statement
lives on one server connection, and the next transaction may run on another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from synthesq.settings.environment import env_bool, env_int


def database_settings(base_dir: Path) -> dict[str, Any]:
    database: dict[str, Any] = dict(dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{base_dir / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    ))
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite: short connections, and wait for the write lock instead of failing at once.
        database["CONN_MAX_AGE"] = 0
        options.update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    elif database["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_SERVER_SIDE_BINDING", default=True
    ):
        options.setdefault("server_side_binding", True)
        # Django passes no threshold unless told (psycopg would then never prepare); 0 prepares at once.
        options.setdefault("prepare_threshold", env_int("DATABASE_PREPARE_THRESHOLD", 5))
        # Read by synthesq.db.postgresql, which sets it on each new connection (psycopg's default is 100).
        options.setdefault("prepared_max", env_int("DATABASE_PREPARED_MAX", 100))
    return database
