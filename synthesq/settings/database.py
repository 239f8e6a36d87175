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

The planner is told that a page read at random costs about what one read in sequence does
(``random_page_cost``, ``DATABASE_RANDOM_PAGE_COST``, 1.1 as PostgreSQL's manual suggests for solid-state storage
and a database that fits in memory; PostgreSQL's own default, 4, is for spinning disks): at 4 it read a whole
table rather than look 150 rows up by their index, for the allocations of a page of 50 orders (issue 25). It is
set on each new connection (``OPTIONS["random_page_cost"]``, read by synthesq.db.postgresql: a statement, not a
startup option, which poolers such as PgBouncer refuse); empty leaves the server's own setting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from synthesq.settings.environment import env_bool, env_int

RANDOM_PAGE_COST = "1.1"


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
    if database["ENGINE"] == "django.db.backends.postgresql":
        cost = os.environ.get("DATABASE_RANDOM_PAGE_COST", RANDOM_PAGE_COST).strip()
        if cost:
            if not re.fullmatch(r"\d+(\.\d+)?", cost):
                raise ImproperlyConfigured(f"DATABASE_RANDOM_PAGE_COST must be a number, not {cost!r}.")
            options.setdefault("random_page_cost", cost)
    return database
