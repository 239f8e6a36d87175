"""Settings come from the environment; production refuses to start without a key and passes --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off() -> None:
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_mode_runs_with_development_key() -> None:
    assert manage("check", DEBUG="1").returncode == 0


def test_production_settings_pass_the_deploy_checklist() -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SETTINGS_MODULE="synthesq.settings.production",
        SECRET_KEY="k" * 20 + "-production-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="sales.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_url_selects_postgres_with_persistent_health_checked_connections() -> None:
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "synthesq.settings.base", "DEBUG": "1",
             "DATABASE_URL": "postgres://u@db.example:5432/sales", "CONN_MAX_AGE": "120"},
        timeout=60, check=False,
    )
    # (django-prometheus' PostgreSQL backend, counting queries for /metrics, with a health check that asks the
    # socket before the server: synthesq.db.postgresql)
    assert result.stdout.split() == ["synthesq.db.postgresql", "sales", "120", "True"], result.stderr


@pytest.mark.django_db
def test_migrations_are_complete() -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


PRODUCTION = {"DJANGO_SETTINGS_MODULE": "synthesq.settings.production", "ALLOWED_HOSTS": "sales.example.com"}


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "1"},  # DEBUG on would fall back to the development key in base
        {"DEBUG": "0"},
        {"DEBUG": "1", "SECRET_KEY": "short-but-set"},
        {"SECRET_KEY": "x" * 60},  # long but not random
        {"SECRET_KEY": "django-insecure-" + "k3y" * 20},
    ],
    ids=["debug-no-key", "no-key", "short-key", "repetitive-key", "insecure-prefix"],
)
def test_production_refuses_to_start_without_a_real_secret_key_whatever_debug_says(env: dict[str, str]) -> None:
    result = manage("check", **PRODUCTION, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in result.stderr


def test_production_never_runs_with_debug_on() -> None:
    code = "from django.conf import settings; print(settings.DEBUG, len(settings.SECRET_KEY))"
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, capture_output=True, text=True,
        env={**clean, **PRODUCTION, "DEBUG": "1", "SECRET_KEY": "Zq8-" + "abcdefghij" * 5}, timeout=60, check=False,
    )
    assert result.stdout.split() == ["False", "54"], result.stderr


def test_cache_is_redis_when_redis_url_is_set() -> None:
    code = "from django.conf import settings; c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "synthesq.settings.base", "DEBUG": "1",
             "REDIS_URL": "redis://127.0.0.1:6379/3"},
        timeout=60, check=False,
    )
    assert result.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/3"], \
        result.stderr


@pytest.mark.parametrize("rate", ["fast", "10/week", "/min", "0/s"])
def test_bad_throttle_rate_refuses_to_start(rate: str) -> None:
    result = manage("check", DEBUG="1", API_THROTTLE_TOKEN_RATE=rate)
    assert result.returncode != 0
    assert "API_THROTTLE_TOKEN_RATE" in result.stderr


@pytest.mark.parametrize(("value", "cost"), [
    (None, "1.1"),  # the default: index lookups costed as what they cost on SSD and in memory
    ("", None),  # the server's own setting
    ("2.5", "2.5"),
])
def test_postgresql_connections_set_the_planners_random_page_cost(
        monkeypatch: pytest.MonkeyPatch, value: str | None, cost: str | None) -> None:
    from synthesq.settings.database import database_settings

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/sales")
    if value is None:
        monkeypatch.delenv("DATABASE_RANDOM_PAGE_COST", raising=False)
    else:
        monkeypatch.setenv("DATABASE_RANDOM_PAGE_COST", value)
    assert database_settings(ROOT)["OPTIONS"].get("random_page_cost") == cost
    monkeypatch.setenv("DATABASE_URL", "sqlite:///db.sqlite3")
    assert "random_page_cost" not in database_settings(ROOT)["OPTIONS"]


def test_a_random_page_cost_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from synthesq.settings.database import database_settings

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example:5432/sales")
    monkeypatch.setenv("DATABASE_RANDOM_PAGE_COST", "1.1 -c statement_timeout=0")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_RANDOM_PAGE_COST"):
        database_settings(ROOT)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner; CI runs it there")
def test_the_connection_plans_with_that_cost() -> None:
    # (set by the backend on each new connection: synthesq.db.postgresql)
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
