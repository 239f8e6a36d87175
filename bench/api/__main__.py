"""Benchmark: the hot API endpoints and the product's pipeline against the bare floor, under load (issues 15, 25).

    make bench-api                                   # or: .venv/bin/python -m bench.api [--quick] [--json PATH]

In a scratch PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_bench_api,
dropped and created anew) it seeds customers, products with plenty of stock, draft orders of 3 lines to read and
one API token of the ``sales`` role (``bench.api.seeding.seed``: later features add their set-up there), then
serves the product with its own floor (``bench/floor``: one row behind the product's whole pipeline, mounted beside
the product's URLs by ``bench.floor.settings``, which extends the production settings) from one gunicorn (3 sync
workers, DEBUG off, no per-token rate limit, ports from NODE_PORTS or --ports; ``--node-env KEY=VALUE`` to try a
serving setting), and the BARE floor (``../shared/bench-floor``, run as it is from its own directory with its own
database ``<bench database>_bare`` and its own gunicorn of as many sync workers: Django and DRF with two
middlewares, raw SQL; ``bench.api.bare``). wrk (8 connections) loads them in interleaved windows, each product
window right after a bare floor window of its kind:

    bare read    GET   /one/1                              the bare floor (reads)
    read-floor   GET   /api/v1/floor/read/{id}            the product's pipeline + one order row
    bare read    ...
    get          GET   /api/v1/sales/orders/{id}          3 lines, a different order each request
    bare read    ...
    list         GET   /api/v1/sales/orders?limit=50
    bare write   POST  /write/1                            the bare floor (writes)
    write-floor  PATCH /api/v1/floor/write/{id}           the product's pipeline + UPDATE one order row
    bare write   ...
    create       POST  /api/v1/sales/orders               the guide's body with 3 lines
    bare write   ...
    confirm      PATCH /api/v1/sales/orders/{id}/status   {"status": "confirmed"}, a different 3-line draft each
    bare write   ...
    confirm-3wh  PATCH /api/v1/sales/orders/{id}/status   the same on products stocked in 3 warehouses (each line
                                                          allocated from another one)

The seed configures what the hot endpoints pay for (``bench.api.seeding.SETUP_STEPS``): taxes and a taxed
shipping charge, the customers' price list with a quantity break that the create body's lines hit, a promotion
code without a usage limit in the create body and on every draft, and 3 warehouses for ``confirm-3wh``.

``VACUUM ANALYZE`` runs before every timed window (autovacuum may be off). The drafts to confirm are made just
before each confirm window, 1.5 times as many as the write floor (the fastest a write can go) would get through
in the window, so no request meets an already confirmed order. It prints per endpoint the requests/s, p50 and
p99 latency (medians of the rounds), the ratio to the bare floor (median over the rounds of the endpoint's rate /
the rate of the bare floor window just before it) and the issue's goal, the errors (non-2xx answers, socket errors,
timeouts; exit status 1 if any). Apart from the load, each kind of request is replayed through Django's test
client in steady state (after a first request has written the token's throttled ``last_used_at``): its SQL
statements under ``CaptureQueriesContext`` and, over ``--cpu-samples`` replays, the median CPU time of the
Python process (``--no-load``: only these). Under load, around every timed window it reads /proc for the CPU
time of each process group (gunicorn, PostgreSQL, wrk, the rest of the machine; see "CPU by process group"
below) per request completed, and from the endpoint's and its floor's figures the ceiling: the best ratio the
endpoint could reach if its Python CPU per request fell to its floor's, all else unchanged, on a CPU-bound
machine. ``--json PATH`` writes every figure, each window and the statements' SQL. The machine's load
(``uptime``) is recorded before and after: on a shared machine the ratios, measured in adjacent windows, and
the CPU times mean more than the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.api.endpoints import DEFAULT_ENDPOINTS, ENDPOINTS, SETTINGS, Result, Window
from bench.api.load import load
from bench.api.report import git_commit, print_report, uptime
from bench.api.seeding import LINES, seed, vacuum_analyze
from bench.api.statements import count_statements
from bench.scratch_db import setup_scratch_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench_api"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per window (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per endpoint of warm-up (default 3, 0: none)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers of the product (threads: its default, "
                        "GUNICORN_THREADS with --node-env) and sync workers of the bare floor (default 3)")
    parser.add_argument("--read-orders", type=int, default=5000, help="orders of 3 lines read by id (default 5000)")
    parser.add_argument("--endpoints", default=",".join(DEFAULT_ENDPOINTS),
                        help="comma-separated subset of " + ",".join(e.name for e in ENDPOINTS)
                        + f" (default {','.join(DEFAULT_ENDPOINTS)})")
    parser.add_argument("--node-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable of the product's gunicorn (repeatable), e.g. "
                        "GUNICORN_THREADS=2 or GUNICORN_MAX_REQUESTS=1000: to measure a serving setting")
    parser.add_argument("--ports", default=None, help="ports gunicorn may listen on, e.g. 8340-8349 "
                        "(default NODE_PORTS, else 18400-18499)")
    parser.add_argument("--cpu-samples", type=int, default=50,
                        help="timed in-process replays of each request for its CPU time (default 50, 0: none)")
    parser.add_argument("--no-load", action="store_true",
                        help="only the statements and CPU time per request (no gunicorn, no wrk)")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the figures as JSON here")
    parser.add_argument("--quick", action="store_true",
                        help="a quick look while developing: 1 round of 3 s, 1 s warm-up, 1000 orders to read, "
                        "10 CPU samples")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup, args.read_orders, args.cpu_samples = 1, 3.0, 1.0, 1000, 10
    known = {e.name for e in ENDPOINTS}
    chosen = [name.strip() for name in args.endpoints.split(",") if name.strip()]
    unknown = sorted(set(chosen) - known)
    if unknown or not chosen:
        parser.error(f"unknown endpoint(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    args.endpoint_list = [e for e in ENDPOINTS if e.name in chosen]
    if any("=" not in item for item in args.node_env):
        parser.error("--node-env takes KEY=VALUE")
    args.node_env = [tuple(item.split("=", 1)) for item in args.node_env]
    if args.rounds < 1 or args.duration < 1 or args.connections < args.threads or args.cpu_samples < 0:
        parser.error("need --rounds >= 1, --duration >= 1, --connections >= --threads and --cpu-samples >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # WhiteNoise warns once that collectstatic has not run: the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    if shutil.which("wrk") is None and not args.no_load:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    if args.ports:
        os.environ["NODE_PORTS"] = args.ports
    # The served settings in this process too (statements are counted under them), on plain HTTP, quiet.
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    load_start = uptime()
    commit = git_commit()  # the code measured (served and replayed), before anything else may be committed
    started = time.monotonic()
    url = setup_scratch_database(DEFAULT_URL)  # BENCH_DATABASE_URL: the bare floor's database is <its name>_bare
    print(f"Seeding {url.rsplit('/', 1)[1]}: 20 customers, 60 products, {args.read_orders} orders of 3 lines …",
          flush=True)
    state = seed(read_orders=args.read_orders)
    vacuum_analyze()
    statements = count_statements(state, samples=args.cpu_samples)
    print("Statements per request: " + ", ".join(f"{name} {value['statements']}"
                                                  for name, value in statements.items()), flush=True)
    results: list[Result] = []
    floors: dict[str, dict[str, Any]] = {}
    windows: list[Window] = []
    if not args.no_load:
        results, floors, windows = load(args, state, url, statements)
    load_end = uptime()
    load_line = (f"gunicorn {args.workers} workers ({SETTINGS} = production + floor URLs"
                 f"{''.join(f', {k}={v}' for k, v in args.node_env)}; bare floor {args.workers} sync), "
                 f"wrk -t{args.threads} "
                 f"-c{args.connections}, {args.rounds} round(s) x {args.duration:g} s per endpoint, "
                 f"{args.read_orders} orders read by id" if not args.no_load else "no load (--no-load)")
    header = [
        f"Code: {commit}",
        f"Machine: {os.cpu_count()} CPU(s), {platform.platform()}, Python {platform.python_version()}",
        f"Load before: {load_start}",
        f"Load after:  {load_end}",
        f"{load_line}; {args.cpu_samples} timed replays per request in-process; "
        f"run took {time.monotonic() - started:.0f} s",
    ]
    print_report(results, floors, statements, header)
    if args.json_path:
        document = {
            "commit": commit,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version(), "uptime_before": load_start, "uptime_after": load_end},
            "config": {"workers": args.workers, "threads": args.threads, "connections": args.connections,
                       "rounds": args.rounds, "duration_s": args.duration, "warmup_s": args.warmup,
                       "read_orders": args.read_orders, "settings": SETTINGS, "lines_per_order": LINES,
                       "cpu_samples": args.cpu_samples, "load": not args.no_load,
                       "node_env": dict(args.node_env)},
            "endpoints": [{**asdict(r), "meets_goal": r.meets_goal} for r in results],
            "floors": floors,
            "statements": statements,
            "windows": [{**asdict(w), "per_second": round(w.per_second, 1),
                         "cpu_ms_per_request": {k: round(v, 3) for k, v in (w.cpu_ms() or {}).items()} or None,
                         "busy": round(w.cpu.busy_share, 3) if w.cpu else None} for w in windows],
        }
        Path(args.json_path).write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nFigures written to {args.json_path}")
    if any(r.errors for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
