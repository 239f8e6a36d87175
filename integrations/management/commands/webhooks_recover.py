"""Start again the webhook work a stopped worker left behind (run at worker start-up, or from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from integrations import services


class Command(BaseCommand):
    help = ("Re-enqueue events not yet fanned out and due webhook deliveries whose trigger was lost (a worker "
            "stopped between taking a task and its first write). Safe to run at any time, on any node.")

    def handle(self, *args: Any, **options: Any) -> None:
        found = services.webhooks_recover()
        self.stdout.write(f"Re-enqueued {found['events']} event fan-out(s) and {found['deliveries']} delivery "
                          "attempt(s).")
