"""Close delivered orders whose return window has passed (run from cron).

Safe to re-run (a second run finds nothing to close) and to run in two processes at once (rows are claimed
with FOR UPDATE SKIP LOCKED). Each chunk is one transaction, so Ctrl-C, SIGTERM or a killed process leaves
every order either closed with its invoice issued or untouched. Exit status: 0 when all went well, 1 when any
order failed, 130/143 when interrupted.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sales import selectors, services
from sales.signals import CLOSE_FIGURES


def _as_of(value: str | None) -> datetime:
    """``--as-of D`` means as of the end of day D (UTC), never later than now: a past date reproduces that
    day's run; a future date cannot close an order whose window has not passed yet. Without it, now."""
    now = timezone.now()
    if not value:
        return now
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from exc
    return min(datetime.combine(day, dtime.max, tzinfo=UTC), now)


class Progress:
    """A bar on a terminal, plain lines otherwise (cron logs)."""

    def __init__(self, stream: Any, total: int) -> None:
        self.stream, self.total, self.tty = stream, max(total, 1), stream.isatty()
        self.last_line = 0.0
        self.last_shown: tuple[int, int] | None = None

    def update(self, done: int, failed: int, *, final: bool = False) -> None:
        if (done, failed) == self.last_shown:
            return
        self.last_shown = (done, failed)
        if self.tty:
            width = 30
            filled = int(width * min(done, self.total) / self.total)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} closed, "
                              f"{failed} failed", ending="")
            self.stream.flush()
        elif final or time.monotonic() - self.last_line >= 1:
            self.last_line = time.monotonic()
            self.stream.write(f"progress: {done}/{self.total} closed, {failed} failed")
        else:
            self.last_shown = None  # not shown: the final update must still print it

    def finish(self) -> None:
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = "Close delivered orders whose return window has passed and that are not on hold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--return-window-days", type=int, default=None,
                            help=f"Default: ORDER_RETURN_WINDOW_DAYS ({settings.ORDER_RETURN_WINDOW_DAYS}).")
        parser.add_argument("--as-of", help="Close what is eligible by the end of this day (YYYY-MM-DD, UTC).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be closed; change nothing.")
        parser.add_argument("--limit", type=int, default=None, help="Close at most this many orders.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Orders per transaction (default 1000).")
        parser.add_argument("--json", action="store_true", help="Print a machine-readable report.")

    def handle(self, *args: Any, **options: Any) -> None:
        window = options["return_window_days"]
        window = settings.ORDER_RETURN_WINDOW_DAYS if window is None else window
        if window < 0:
            raise CommandError("--return-window-days must not be negative")
        if options["batch_size"] < 1 or (options["limit"] is not None and options["limit"] < 1):
            raise CommandError("--batch-size and --limit must be positive")
        as_of = _as_of(options["as_of"])
        if options["dry_run"]:
            self._dry_run(as_of, window, options)
            return
        self._run(as_of, window, options)

    # -- dry run -------------------------------------------------------------------------------------
    def _dry_run(self, as_of: datetime, window: int, options: dict[str, Any]) -> None:
        cutoff = selectors.close_cutoff(as_of=as_of, return_window_days=window)
        closable = selectors.orders_closable(cutoff=cutoff).order_by("delivered_at", "id")
        if options["limit"]:
            closable = closable[: options["limit"]]
        would_close = list(closable.only("id", "order_number", "delivered_at"))
        skipped = list(selectors.orders_not_closable(cutoff=cutoff).order_by("delivered_at", "id")
                       .only("id", "order_number", "delivered_at", "on_hold", "hold_reason"))
        if options["json"]:
            self.stdout.write(json.dumps({
                "dry_run": True, "as_of": as_of.isoformat(), "return_window_days": window,
                "would_close": [order.pk for order in would_close],
                "skipped": selectors.close_skip_counts(cutoff=cutoff),
                "skipped_orders": [{"id": order.pk, "reason": order.skip_reason} for order in skipped],
            }, indent=2))
            return
        for order in would_close:
            self.stdout.write(f"would close {order.order_number} ({order.pk}), "
                              f"delivered {order.delivered_at:%Y-%m-%d}")
        for order in skipped:
            ends_at = order.return_window_ends_at(return_window_days=window)
            why = (f"on hold: {order.hold_reason}" if order.skip_reason == "on_hold"
                   else "a return is requested or received" if order.skip_reason == "return_open"
                   else f"return window open until {ends_at:%Y-%m-%d %H:%M}")
            self.stdout.write(f"skip {order.order_number} ({order.pk}): {why}")
        self.stdout.write(f"Dry run: {len(would_close)} would be closed, {len(skipped)} skipped. Nothing changed.")

    # -- the run -------------------------------------------------------------------------------------
    def _run(self, as_of: datetime, window: int, options: dict[str, Any]) -> None:
        stop: dict[str, int | None] = {"signal": None}

        def request_stop(signum: int, frame: Any) -> None:
            stop["signal"] = signum
            signal.signal(signum, signal.SIG_DFL)  # a second signal ends it at once (the chunk rolls back)
            sys.stderr.write("\nStopping after the current chunk…\n")

        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = ({sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
                    if in_main_thread else {})
        cutoff = selectors.close_cutoff(as_of=as_of, return_window_days=window)
        total = selectors.orders_closable(cutoff=cutoff).count()
        if options["limit"]:
            total = min(total, options["limit"])
        progress = Progress(self.stderr, total)
        started = time.monotonic()
        try:
            report = services.orders_close_delivered(
                as_of=as_of, return_window_days=window, batch_size=options["batch_size"], limit=options["limit"],
                on_progress=lambda r: progress.update(r.closed, len(r.failed)),
                should_stop=lambda: stop["signal"] is not None,
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        progress.update(report.closed, len(report.failed), final=True)
        progress.finish()
        self._report(report, duration=time.monotonic() - started, as_json=options["json"])
        if stop["signal"] is not None:
            sys.exit(128 + stop["signal"])
        if report.failed:
            sys.exit(1)

    def _report(self, report: services.CloseRunReport, *, duration: float, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({
                "dry_run": False, "as_of": report.as_of.isoformat(), "return_window_days": report.return_window_days,
                "closed": report.closed, **report.figures,
                "skipped": report.skipped,
                "failed": [{"id": pk, "reason": why} for pk, why in report.failed.items()],
                "interrupted": report.interrupted, "duration_seconds": round(duration, 3),
            }, indent=2))
            return
        for pk, why in report.failed.items():
            self.stderr.write(f"failed {pk}: {why}")
        self.stdout.write(
            f"Closed {report.closed} order(s)"
            + "".join(f", {figure.phrase.format(count=report.figures[figure.key])}" for figure in CLOSE_FIGURES)
            + "; skipped "
            f"{report.skipped.get('on_hold', 0)} on hold, {report.skipped.get('return_open', 0)} with an open return "
            f"and {report.skipped.get('return_window_open', 0)} inside their return window; "
            f"{len(report.failed)} failed; {duration:.1f}s"
            + (" (interrupted)" if report.interrupted else "") + "."
        )
