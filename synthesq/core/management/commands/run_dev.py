"""``manage.py run_dev [HOST:PORT]``: what ``make run`` serves on a development machine.

The demo data (and a fresh bearer token), then runserver and a task worker beside it (``db_worker``, which
delivers webhooks). The URLs and the token are printed once both are up and the worker has caught up with the
tasks the demo data enqueued, so they are the last lines on the screen until something happens.

Each child runs in its own process group (with its autoreloader's child), so that this command alone decides
how they stop: one Ctrl-C (or SIGTERM) is passed on as SIGINT to both groups, they stop cleanly, and the command
exits with status 0 (``make``, which gets the Ctrl-C too, says "Interrupt" and exits 130). A child still running
5 seconds later gets SIGTERM, then SIGKILL. If either child stops on its own, the other is stopped and the
command exits with that child's status.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from io import StringIO
from typing import IO, Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

WORKER_STARTED = "Starting worker"  # django_tasks_db's first line once its loop runs


class _Stop(Exception):
    """SIGTERM (or SIGHUP) received: stop the children as for Ctrl-C."""


class Command(BaseCommand):
    help = ("Load the demo data, serve with runserver and a task worker beside it, and print the URLs and a "
            "fresh token last, once both are up. Ctrl-C stops both.")
    requires_system_checks: list[str] = []  # runserver runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="HOST:PORT (127.0.0.1:8000).")
        parser.add_argument("--ready-timeout", type=float, default=60,
                            help="Seconds to wait for the server and the worker before printing anyway (60).")

    def handle(self, *args: Any, **options: Any) -> None:
        host, _, port = options["addrport"].rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"expected HOST:PORT, got {options['addrport']!r}")
        base_url = f"http://{host}:{port}"
        demo = StringIO()
        try:
            call_command("load_demo_data", base_url=base_url, stdout=demo)  # one transaction
        except KeyboardInterrupt:
            return  # Ctrl-C before anything started: nothing to stop, nothing half-loaded

        previous = {sig: signal.signal(sig, self._raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
        worker_started = threading.Event()
        manage = [sys.executable, "-m", "synthesq"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # their lines in order with ours, on a pipe too
        if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
            env["FORCE_COLOR"] = "1"  # the worker's lines reach the terminal through a pipe (see _relay)
        worker = subprocess.Popen([*manage, "db_worker", "--queue-name", "*", "--interval", "0.5"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        threading.Thread(target=_relay, args=(worker.stdout, worker_started), daemon=True).start()
        server = subprocess.Popen([*manage, "runserver", options["addrport"]], env=env, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        children = {"worker": worker, "runserver": server}
        status = 0
        try:
            if self._wait_until_up(base_url, children, worker_started, timeout=options["ready_timeout"]):
                self._print_ready(demo.getvalue())
            status = _wait_for_first_exit(children)
        except (KeyboardInterrupt, _Stop):
            status = 0
        finally:
            with _signals_ignored():
                _stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if status:
            sys.exit(status)

    @staticmethod
    def _raise_stop(signum: int, frame: Any) -> None:
        raise _Stop

    def _wait_until_up(self, base_url: str, children: dict[str, subprocess.Popen[bytes]],
                       worker_started: threading.Event, *, timeout: float) -> bool:
        """Until the server answers, the worker runs and no task is due or running since it started (twice in
        a row, half a second apart: the worker's last line is out). False when a child exits first; True, with
        a word on what is missing, when time runs out."""
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        launched_at = timezone.now()  # a task left running by an earlier, killed worker does not count
        deadline = time.monotonic() + timeout
        quiet_checks, waiting_for = 0, ["the server", "the worker"]
        while time.monotonic() < deadline:
            if any(child.poll() is not None for child in children.values()):
                return False
            busy = (DBTaskResult.objects.ready().exists()
                    or DBTaskResult.objects.running().filter(started_at__gte=launched_at).exists())
            waiting_for = [what for what, up in (("the server", _answers(f"{base_url}/healthz")),
                                                 ("the worker", worker_started.is_set()),
                                                 ("the worker's due tasks", not busy)) if not up]
            quiet_checks = 0 if waiting_for else quiet_checks + 1
            if quiet_checks >= 2:
                return True
            time.sleep(0.5)
        self.stderr.write(f"Still waiting for {' and '.join(waiting_for)} after {timeout:.0f}s (see above).")
        return True

    def _print_ready(self, demo_output: str) -> None:
        self.stdout.write(self.style.SUCCESS("SynthesQ Sales is running: runserver and a task worker. "
                                             "Ctrl-C stops both."))
        self.stdout.write(demo_output.rstrip("\n"))
        self.stdout.flush()


def _relay(stream: IO[bytes] | None, started: threading.Event) -> None:
    """Copy the worker's output to our stderr, line by line, noting when its loop has started."""
    if stream is None:
        return
    for line in iter(stream.readline, b""):
        if WORKER_STARTED.encode() in line:
            started.set()
        sys.stderr.buffer.write(line)
        sys.stderr.flush()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait_for_first_exit(children: dict[str, subprocess.Popen[bytes]]) -> int:
    """Until one child exits; then the other is stopped, and its status returned (0 if it said nothing)."""
    while True:
        for name, child in children.items():
            code = child.poll()
            if code is not None:
                others = ", ".join(other for other in children if other != name)
                sys.stderr.write(f"{name} exited with status {code}; stopping {others}.\n")
                return code or 1
        time.sleep(0.3)


def _stop(children: dict[str, subprocess.Popen[bytes]], *, grace: float = 5) -> None:
    """SIGINT to each child's process group (the child and its autoreloader's child), as Ctrl-C in a terminal
    would; SIGTERM to a group still there after ``grace`` seconds, SIGKILL after twice that."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        running = [child for child in children.values() if child.poll() is None]
        for child in running:
            _signal_group(child, sig)
        deadline = time.monotonic() + grace
        for child in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
    for child in children.values():
        _signal_group(child, signal.SIGKILL)  # what may be left of its group (an autoreloader's child)


def _signal_group(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """A second Ctrl-C while the children stop does not interrupt the stopping."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
