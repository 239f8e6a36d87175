from typing import Any

from django.core.management.base import BaseCommand

from synthesq.core.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS (run from cron, e.g. daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {idempotency_keys_purge()} expired idempotency key(s).")
