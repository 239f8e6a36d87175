"""Benchmark: how long a committed change takes to reach a webhook receiver, by the worker's poll interval.

    make bench-webhook-latency
    .venv/bin/python -m bench.webhook_latency [--changes 40] [--intervals 1 0.5 0.25 0.1]

On a scratch PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_bench_latency,
dropped and created anew), with one endpoint subscribed to ``customer.created`` pointing at a local receiver (a
thread of this process that notes when each webhook arrives): for each ``--intervals`` value one
``manage.py db_worker --interval <value>`` process runs while ``--changes`` customers are created one at a time,
a random 0.2 to 0.6 s apart (so changes do not fall in step with the polls). The latency of one change is from
its commit (the service returned) to the webhook's arrival. Then the worker is left idle for 10 s to measure what
polling costs when there is nothing to do: its CPU time, and the polls (one query each) per second.

It prints p50, p95 and max latency and the idle cost for each interval; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.scratch_db import ROOT, setup_scratch_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench_latency"
IDLE_SECONDS = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def _receiver() -> tuple[ThreadingHTTPServer, dict[str, float]]:
    arrivals: dict[str, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrivals.setdefault(self.headers["webhook-id"], time.time())
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, arrivals


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _run(interval: float, changes: int, url: str, arrivals: dict[str, float]) -> dict[str, float]:
    from integrations.models import Event
    from sales import services as sales

    env = {**os.environ, "DATABASE_URL": url, "WEBHOOK_ALLOW_PRIVATE_URLS": "1", "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", str(interval), "--no-reload",
         "--no-startup-delay", "--verbosity", "0"], cwd=ROOT, env=env)
    try:
        time.sleep(3)  # started and idle
        committed: dict[str, float] = {}
        for _ in range(changes):
            customer = sales.customer_create(actor=None, name="Latency", email=f"l{random.random()}@example.com")
            committed[Event.objects.get(object_id=customer.pk).pk] = time.time()
            time.sleep(random.uniform(0.2, 0.6))
        deadline = time.monotonic() + 30
        while not set(committed) <= set(arrivals) and time.monotonic() < deadline:
            time.sleep(0.05)
        latencies = [(arrivals[event_id] - at) * 1000 for event_id, at in committed.items() if event_id in arrivals]
        time.sleep(2)  # the fan-out's sweep and the recovery check run, then nothing
        before = _cpu_seconds(worker.pid)
        time.sleep(IDLE_SECONDS)
        idle_cpu = _cpu_seconds(worker.pid) - before
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {"p50": statistics.median(latencies), "p95": _percentile(latencies, 0.95), "max": max(latencies),
            "missing": changes - len(latencies), "idle_cpu_pct": idle_cpu / IDLE_SECONDS * 100,
            "idle_polls_per_s": 1 / interval}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--intervals", type=float, nargs="+", default=[1.0, 0.5, 0.25, 0.1])
    args = parser.parse_args()
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = setup_scratch_database(DEFAULT_URL)
    server, arrivals = _receiver()
    from integrations import services as hooks

    hooks.webhook_endpoint_create(url=f"http://127.0.0.1:{server.server_address[1]}/hooks",
                                  events=["customer.created"], actor=None)
    print(f"{'interval':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}  {'idle CPU':>8}  {'idle polls/s':>12}")
    try:
        for interval in args.intervals:
            figures = _run(interval, args.changes, url, arrivals)
            print(f"{interval:>8g}  {figures['p50']:>7.0f}  {figures['p95']:>7.0f}  {figures['max']:>7.0f}  "
                  f"{figures['idle_cpu_pct']:>7.1f}%  {figures['idle_polls_per_s']:>12.0f}"
                  + (f"  ({figures['missing']:.0f} never arrived)" if figures["missing"] else ""))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
