"""The API benchmark's load: gunicorn serving the product (and its own floor), a second gunicorn serving the bare
floor (``bench.api.bare``), wrk driving one endpoint per timed window, each right after a bare floor window."""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.api.bare import BareFloor, running_bare_floor
from bench.api.bare import vacuum_analyze as bare_vacuum_analyze
from bench.api.cpu import cpu_snapshot, cpu_use
from bench.api.endpoints import API, CONFIRMING, SETTINGS, Endpoint, Result, Window, reference
from bench.api.report import floor_summary, summarize
from bench.api.seeding import Seed, create_body, make_drafts, vacuum_analyze

LUA_SCRIPT = Path(__file__).with_name("wrk.lua")
BENCH_CONN_MAX_AGE = 86_400  # seconds: the served node's database connections outlive the run


@dataclass
class Target:
    name: str
    method: str
    path: str  # may hold {id}
    ids_file: str  # "-" for none
    body_file: str  # "-" for none
    mode: str = "cycle"
    bare: bool = False  # served by the bare floor (its gunicorn, its database, its token)


def run_wrk(target: Target, *, base_url: str, token: str, seconds: float, connections: int, threads: int,
            round_number: int) -> Window:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(LUA_SCRIPT), base_url, "--",
        target.method, target.path, target.ids_file, target.body_file, target.mode,
    ]
    env = {**os.environ, "BENCH_TOKEN": token, "BENCH_THREADS": str(threads)}
    load = os.getloadavg()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {target.name} ({completed.returncode}):\n{completed.stdout}\n"
                         f"{completed.stderr}")
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    detail = {key: int(value) for key, value in figures["errors"].items()}
    latency = figures["latency_us"]
    return Window(
        target=target.name, round=round_number, seconds=figures["duration_us"] / 1e6,
        requests=int(figures["requests"]), errors=sum(detail.values()), error_detail=detail,
        p50_ms=latency["p50"] / 1000, p90_ms=latency["p90"] / 1000, p99_ms=latency["p99"] / 1000,
        load_before=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
    )


def check_once(base_url: str, token: str, method: str, path: str, body: Any = None) -> int:
    """One request before the load: the endpoint answers 2xx (else the benchmark stops)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base_url}{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


class Bench:
    def __init__(self, args: argparse.Namespace, state: Seed, base_url: str, workdir: Path,
                 gunicorn_pid: int | None = None, database: str | None = None, bare: BareFloor | None = None,
                 server_url: str = "") -> None:
        self.args = args
        self.bare = bare
        self.server_url = server_url
        self.gunicorn_pid = gunicorn_pid
        self.database = database
        self.ticks_per_second = os.sysconf("SC_CLK_TCK")
        self.state = state
        self.base_url = base_url
        self.workdir = workdir
        self.windows: list[Window] = []
        read_ids = workdir / "read_ids.txt"
        read_ids.write_text("\n".join(state.read_ids) + "\n")
        self.read_ids_file = str(read_ids)
        floor_body = workdir / "floor_write.json"
        floor_body.write_text(json.dumps({"carrier": "UPS"}))
        create_file = workdir / "create.json"
        create_file.write_text(json.dumps(create_body(state)))
        confirm_body = workdir / "confirm.json"
        confirm_body.write_text(json.dumps({"status": "confirmed"}))
        self.targets = {
            "bare-read": Target("bare-read", "GET", "/one/1", "-", "-", bare=True),
            "bare-write": Target("bare-write", "POST", "/write/1", "-", "-", bare=True),
            "read-floor": Target("read-floor", "GET", f"{API}/floor/read/{{id}}", self.read_ids_file, "-"),
            "write-floor": Target("write-floor", "PATCH", f"{API}/floor/write/{{id}}", self.read_ids_file,
                                  str(floor_body)),
            "get": Target("get", "GET", f"{API}/sales/orders/{{id}}", self.read_ids_file, "-"),
            "list": Target("list", "GET", f"{API}/sales/orders?limit=50", "-", "-"),
            "create": Target("create", "POST", f"{API}/sales/orders", "-", str(create_file)),
            **{name: Target(name, "PATCH", f"{API}/sales/orders/{{id}}/status", "-", str(confirm_body),
                            mode="once") for name in CONFIRMING},
        }

    def drafts_for(self, seconds: float, write_floor_per_second: float, *, multi_warehouse: bool) -> str:
        """A file of fresh drafts for one confirm window: 1.5 times what the write floor would get through."""
        count = math.ceil(max(write_floor_per_second, 200.0) * max(1, round(seconds)) * 1.5) + 50 * self.args.threads
        path = self.workdir / f"drafts_{self.state.drafts_made}.txt"
        path.write_text("\n".join(make_drafts(self.state, count, multi_warehouse=multi_warehouse)) + "\n")
        return str(path)

    def window(self, name: str, seconds: float, round_number: int, *, timed: bool = True) -> Window:
        vacuum_analyze()
        target = self.targets[name]
        base_url, token, pid, database = self.base_url, self.state.token, self.gunicorn_pid, self.database
        if target.bare:
            if self.bare is None:
                raise SystemExit("a bare floor window without the bare floor")
            bare_vacuum_analyze(self.server_url, self.bare.database)
            base_url, token, pid, database = self.bare.url, self.bare.token, self.bare.process.pid, self.bare.database
        before = cpu_snapshot(gunicorn_pid=pid, database=database)
        window = run_wrk(target, base_url=base_url, token=token, seconds=seconds,
                         connections=self.args.connections, threads=self.args.threads, round_number=round_number)
        window.cpu = cpu_use(before, cpu_snapshot(gunicorn_pid=pid, database=database),
                             ticks_per_second=self.ticks_per_second)
        if timed:
            self.windows.append(window)
        mark = "" if timed else " (warm-up)"
        errors = f"  ERRORS {window.errors} {window.error_detail}" if window.errors else ""
        cpu = window.cpu_ms()
        cpus = os.cpu_count() or 1
        busy = (f"  busy {window.cpu.busy_share:4.0%} (iowait {window.cpu.iowait / window.cpu.seconds / cpus:4.0%})"
                f"  CPU ms/req gunicorn {cpu['gunicorn']:.1f} postgres "
                f"{cpu['postgres']:.1f} wrk {cpu['wrk']:.1f} rest {cpu['rest']:.1f} (other {cpu['other']:.1f})"
                if cpu is not None and window.cpu is not None else "")
        if window.cpu is not None and window.cpu.bench_backends_ended:
            busy += f"  ({window.cpu.bench_backends_ended} bench backend(s) ended: their time in other)"
        print(f"  round {round_number} {name:<12} {window.per_second:8.1f} req/s  p50 {window.p50_ms:7.1f} ms  "
              f"p99 {window.p99_ms:7.1f} ms  load {window.load_before[0]:.2f}{busy}{mark}{errors}", flush=True)
        return window

    def pair(self, endpoint: Endpoint, seconds: float, round_number: int, *, timed: bool = True) -> None:
        floor = self.window(reference(endpoint.floor), seconds, round_number, timed=timed)
        if endpoint.name in CONFIRMING:
            self.targets[endpoint.name].ids_file = self.drafts_for(seconds, floor.per_second,
                                                                   multi_warehouse=CONFIRMING[endpoint.name])
        self.window(endpoint.name, seconds, round_number, timed=timed)

    def run(self, endpoints: list[Endpoint]) -> None:
        if self.args.warmup > 0:
            print(f"Warm-up ({self.args.warmup:g} s per endpoint, not counted)", flush=True)
            for endpoint in endpoints:
                self.pair(endpoint, self.args.warmup, 0, timed=False)
        print(f"{self.args.rounds} round(s) of {self.args.duration:g} s per endpoint, each right after a bare floor "
              "window",
              flush=True)
        for round_number in range(1, self.args.rounds + 1):
            for endpoint in endpoints:
                self.pair(endpoint, self.args.duration, round_number)


def load(args: argparse.Namespace, state: Seed, url: str, statements: dict[str, dict[str, Any]]
         ) -> tuple[list[Result], dict[str, dict[str, Any]], list[Window]]:
    """Serve with gunicorn, run the interleaved windows, summarize them."""
    from django.db import connection

    from bench.nodes import running_nodes

    connection.close()
    server_url, database = url.rsplit("/", 1)[0], url.rsplit("/", 1)[1].split("?", 1)[0]
    with tempfile.TemporaryDirectory(prefix="synthesq-bench-api-") as tmp, running_nodes(
        1, database_url=url, workers=args.workers,
        # Connections kept for the run (production: 60 s, a reconnect a minute per worker, negligible here): the
        # bench database's backends then live through every window, their CPU told apart from other databases'.
        extra_env={"DJANGO_SETTINGS_MODULE": SETTINGS, "CONN_MAX_AGE": str(BENCH_CONN_MAX_AGE),
                   **dict(args.node_env)},
        log_dir=Path(tmp),
    ) as nodes, running_bare_floor(server_url=server_url, database=f"{database}_bare", workers=args.workers,
                                   log_dir=Path(tmp)) as bare:
        base_url = nodes[0].url
        print(f"gunicorn: {args.workers} workers on {base_url} ({SETTINGS}"
              f"{''.join(f', {k}={v}' for k, v in args.node_env)}); bare floor: {args.workers} sync workers on "
              f"{bare.url}; wrk -t{args.threads} -c{args.connections}", flush=True)
        for method, path, body in [("GET", f"{API}/floor/read/{state.read_ids[0]}", None),
                                   ("PATCH", f"{API}/floor/write/{state.read_ids[0]}", {"carrier": "UPS"}),
                                   ("GET", f"{API}/sales/orders/{state.read_ids[0]}", None),
                                   ("GET", f"{API}/sales/orders?limit=50", None)]:
            check_once(base_url, state.token, method, path, body)
        bench = Bench(args, state, base_url, Path(tmp), gunicorn_pid=nodes[0].process.pid, database=database,
                      bare=bare, server_url=server_url)
        bench.run(args.endpoint_list)
        return (summarize(bench.windows, args.endpoint_list, statements),
                floor_summary(bench.windows, statements), bench.windows)
