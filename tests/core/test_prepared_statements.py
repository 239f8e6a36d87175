"""PostgreSQL binds parameters on the server and prepares what a connection runs often (synthesq/settings/database.py,
synthesq.db.postgresql); DATABASE_SERVER_SIDE_BINDING=0 turns it off; SQLite is untouched. The suite itself runs
with it on, as production does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_options(**env: str) -> dict[str, object]:
    """The default database's OPTIONS under the base settings with ``env``."""
    code = "from django.conf import settings as s; print(json.dumps(s.DATABASES['default']['OPTIONS']))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_SETTINGS_MODULE"))}
    result = subprocess.run(
        [sys.executable, "-c", f"import json, django; django.setup(); {code}"], cwd=ROOT, capture_output=True,
        text=True, env={**clean, "DJANGO_SETTINGS_MODULE": "synthesq.settings.base", "DEBUG": "1", **env},
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    options: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return options


POSTGRES = {"DATABASE_URL": "postgres://u@db.example:5432/sales"}


def test_postgresql_binds_on_the_server_and_prepares_by_default() -> None:
    assert database_options(**POSTGRES) == {"server_side_binding": True, "prepare_threshold": 5, "prepared_max": 100,
                                            "random_page_cost": "1.1"}


def test_the_threshold_and_the_cache_size_come_from_the_environment() -> None:
    options = database_options(**POSTGRES, DATABASE_PREPARE_THRESHOLD="0", DATABASE_PREPARED_MAX="250")
    assert options == {"server_side_binding": True, "prepare_threshold": 0, "prepared_max": 250,
                       "random_page_cost": "1.1"}


@pytest.mark.parametrize("off", ["0", "false", "off"])
def test_it_turns_off_for_a_transaction_pooler(off: str) -> None:
    assert database_options(**POSTGRES, DATABASE_SERVER_SIDE_BINDING=off) == {"random_page_cost": "1.1"}


def test_sqlite_is_untouched() -> None:
    assert database_options(DATABASE_SERVER_SIDE_BINDING="1") == {"timeout": 20, "transaction_mode": "IMMEDIATE"}


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_suite_runs_with_prepared_statements_as_production_does() -> None:
    options = settings.DATABASES["default"]["OPTIONS"]
    connection.ensure_connection()
    psycopg_connection = connection.connection
    assert psycopg_connection.prepare_threshold == options["prepare_threshold"] == 5
    assert psycopg_connection.prepared_max == options["prepared_max"] == 100
    sql = "SELECT %s::integer + 1 AS prepared_statement_probe"
    with connection.cursor() as cursor:
        for value in range(6):
            cursor.execute(sql, [value])
            assert cursor.fetchone() == (value + 1,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%prepared_statement_probe%"])
        assert cursor.fetchone() == (1,)
