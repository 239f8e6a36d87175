"""Before a web node serves: refuse when migrations are pending, then collect the static files.

gunicorn's master runs this (``synthesq.gunicorn_conf.on_starting``) in a child process before it starts any
worker, so ``make serve``, the Procfile's ``web`` and a bare ``gunicorn synthesq.wsgi`` all refuse to serve
code whose migrations the release step (``migrate``) has not applied. It runs in a child process so the
master never imports the app: a graceful reload (``kill -HUP``) then brings new code to the new workers.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """``app.migration`` names this code has and the database has not applied, in the order they would run."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


class Command(BaseCommand):
    help = "Refuse to serve with pending migrations (exit 1), then collectstatic. Run by gunicorn at start-up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="Skip collectstatic (static files already collected at build time).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pending = pending_migrations()
        except DatabaseError as exc:
            raise CommandError(f"Cannot serve: the database does not answer ({type(exc).__name__}).") from exc
        if pending:
            shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
            raise CommandError(
                f"Cannot serve: {len(pending)} migration(s) not applied ({shown}). "
                "Run the release step first: python manage.py migrate"
            )
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write("Ready to serve: migrations applied" +
                          ("." if options["no_collectstatic"] else ", static files collected."))
