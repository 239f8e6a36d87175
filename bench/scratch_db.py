"""Set up Django on a scratch PostgreSQL database for a benchmark (dropped, created and migrated anew)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_scratch_database(default_url: str) -> str:
    """Point Django at ``BENCH_DATABASE_URL`` (default ``default_url``), recreate that database empty, set
    Django up and migrate. Returns the URL used. The database is scratch: whatever it held is dropped."""
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthesq.settings.base")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-0123456789")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # One token drives the whole load: the per-token rate limit would measure itself, not the work.
    os.environ.setdefault("API_THROTTLE_TOKEN_RATE", "off")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url
