"""Delete events older than EVENT_RETENTION_DAYS (with their deliveries and attempts), in batches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from integrations import services


class Command(BaseCommand):
    help = "Delete events (and their webhook deliveries) older than EVENT_RETENTION_DAYS, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help=f"Keep this many days (EVENT_RETENTION_DAYS: {settings.EVENT_RETENTION_DAYS}).")
        parser.add_argument("--batch-size", type=int, default=1000, help="Events per transaction (default 1000).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.EVENT_RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 1 or options["batch_size"] < 1:
            raise CommandError("--days and --batch-size must be positive")
        cutoff = timezone.now() - timedelta(days=days)
        deleted = services.events_purge(older_than=cutoff, batch_size=options["batch_size"])
        self.stdout.write(f"Deleted {deleted} event(s) created before {cutoff:%Y-%m-%d %H:%M} UTC.")
