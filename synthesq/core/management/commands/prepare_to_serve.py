"""Before a web node serves: refuse without what it needs, then collect the static files if they changed.

gunicorn's master runs this (``synthesq.gunicorn_conf.on_starting``) in a child process before it starts any
worker, so ``make serve``, the Procfile's ``web`` and ``gunicorn -c python:synthesq.gunicorn_conf`` of an
installed copy all refuse, with a message naming what is missing, to serve:

- with DEBUG off and ``ALLOWED_HOSTS`` empty (every request, the probes too, would be answered 400);
- with DEBUG off and no ``DATABASE_URL`` (the settings would fall back to a SQLite file beside the code);
- with migrations the release step (``migrate``) has not applied;
- without collected static files when told not to collect them (``--no-collectstatic``).

Collecting (hashing and compressing every file) takes a minute or more, so it runs only when the static files
changed since the last collect into ``STATIC_ROOT``: a fingerprint of every source file's path, size and
modification time is kept there, and a collect made by hand (``collectstatic`` at build or install time, whose
manifest is newer than every source file and than that fingerprint) counts too, so every start then skips it.
It runs in a child process so the master never imports the app: a graceful reload (``kill -HUP``) then brings
new code to the new workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

# Written into STATIC_ROOT after a collect: the fingerprint of the static files it was collected from.
FINGERPRINT_FILE = ".collected-from"
# What collectstatic ignores by default (its --ignore defaults), so the fingerprint sees what it collects.
_IGNORED = ["CVS", ".*", "*~"]


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """``app.migration`` names this code has and the database has not applied, in the order they would run."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def static_sources() -> tuple[str, int]:
    """A digest of every file collectstatic would collect (its path, size and modification time) and of the
    storage that writes them, which changes when a file, an app or the storage changes; and the newest file's
    modification time (ns)."""
    digest = hashlib.sha256(f"{settings.STATIC_URL}|{type(staticfiles_storage).__qualname__}".encode())
    entries: list[str] = []
    newest = 0
    for finder in finders.get_finders():
        for path, storage in finder.list(_IGNORED):
            stat = os.stat(storage.path(path))
            prefix = getattr(storage, "prefix", None) or ""
            entries.append(f"{prefix}/{path}|{stat.st_size}|{stat.st_mtime_ns}")
            newest = max(newest, stat.st_mtime_ns)
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest(), newest


def collected_marker(root: Path) -> Path | None:
    """The file that shows ``root`` holds a collect the storage can serve (its manifest; for a storage without
    one, the fingerprint written after the collect), or None."""
    marker = root / (getattr(staticfiles_storage, "manifest_name", None) or FINGERPRINT_FILE)
    return marker if marker.is_file() else None


def static_files_up_to_date(root: Path, fingerprint: str, newest_source_ns: int) -> bool:
    """Collected from these very files: the fingerprint kept at the last collect matches, or a collect made since
    (by hand) is newer than every source file and than that fingerprint."""
    marker = collected_marker(root)
    if marker is None:
        return False
    stamp = root / FINGERPRINT_FILE
    if stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return True
    collected_ns = marker.stat().st_mtime_ns
    return collected_ns > newest_source_ns and (not stamp.is_file() or collected_ns > stamp.stat().st_mtime_ns)


class Command(BaseCommand):
    help = ("Refuse to serve without ALLOWED_HOSTS, DATABASE_URL or with pending migrations (exit 1), then "
            "collectstatic when the static files changed. Run by gunicorn at start-up.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-collectstatic", action="store_true",
                            help="Never collect (the build or install step did); refuse if nothing was collected.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.check_configuration()
        self.check_migrations()
        self.stdout.write(f"Ready to serve: migrations applied, {self.prepare_static_files(options)}.")

    def check_configuration(self) -> None:
        if settings.DEBUG:
            return
        if not settings.ALLOWED_HOSTS:
            raise CommandError(
                "Cannot serve: ALLOWED_HOSTS is not set, so every request (the probes too) would be refused with "
                "400. Set ALLOWED_HOSTS to the public host name and the Host the balancer's probes send, comma "
                "separated (e.g. ALLOWED_HOSTS=sales.example.com,10.0.0.5)."
            )
        if not os.environ.get("DATABASE_URL"):
            raise CommandError(
                "Cannot serve: DATABASE_URL is not set (e.g. DATABASE_URL=postgres://user@host:5432/db); without "
                "it the settings fall back to a SQLite file beside the code."
            )

    def check_migrations(self) -> None:
        try:
            pending = pending_migrations()
        except DatabaseError as exc:
            raise CommandError(f"Cannot serve: the database does not answer ({type(exc).__name__}).") from exc
        if pending:
            shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
            raise CommandError(
                f"Cannot serve: {len(pending)} migration(s) not applied ({shown}). "
                "Run the release step first: python -m synthesq migrate (manage.py migrate in a checkout, "
                "synthesq-sales migrate for an installed copy)"
            )

    def prepare_static_files(self, options: dict[str, Any]) -> str:
        """Collect when the static files changed since the last collect into STATIC_ROOT; say what was done."""
        root = Path(settings.STATIC_ROOT)
        if options["no_collectstatic"]:
            if collected_marker(root) is None:
                raise CommandError(
                    f"Cannot serve: no static files collected in STATIC_ROOT ({root}) and COLLECTSTATIC_AT_START=0. "
                    "Collect them at build or install time (python -m synthesq collectstatic --noinput, with the "
                    "same STATIC_ROOT) or let the node collect them (unset COLLECTSTATIC_AT_START)."
                )
            return "static files collected beforehand"
        fingerprint, newest = static_sources()
        stamp = root / FINGERPRINT_FILE
        if static_files_up_to_date(root, fingerprint, newest):
            if not stamp.is_file() or stamp.read_text().strip() != fingerprint:
                # (a read-only STATIC_ROOT collected at build time: compared by time at the next start too)
                with contextlib.suppress(OSError):
                    stamp.write_text(fingerprint + "\n")
            return "static files unchanged since they were collected"
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(fingerprint + "\n")
        return "static files collected"
