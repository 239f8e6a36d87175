"""Benchmark: the hot API endpoints against a floor, under load (issue 15).

    make bench-api                                   # or: .venv/bin/python bench/api.py [--quick] [--json PATH]

In a scratch PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_bench_api,
dropped and created anew) it seeds customers, products with plenty of stock, draft orders of 3 lines to read and
one API token of the ``sales`` role, then serves the product and the floor (``bench/floor``: bare DRF endpoints
behind the same bearer-token authentication, mounted beside the product's URLs by ``bench.floor.settings``,
which extends the production settings) from one gunicorn (3 sync workers, DEBUG off, no per-token rate limit,
ports from NODE_PORTS or --ports) and loads it with wrk (8 connections) in interleaved windows, each endpoint
right after its floor:

    read floor   GET   /api/v1/floor/read/{id}            one order row, plain Serializer
    get          GET   /api/v1/sales/orders/{id}          3 lines, a different order each request
    read floor   ...
    list         GET   /api/v1/sales/orders?limit=50
    write floor  PATCH /api/v1/floor/write/{id}           UPDATE one order row in a transaction
    create       POST  /api/v1/sales/orders               the guide's body with 3 lines
    write floor  ...
    confirm      PATCH /api/v1/sales/orders/{id}/status   {"status": "confirmed"}, a different 3-line draft each
    write floor  ...
    create-contract   POST  /api/v1/floor/create         create's statements by hand-written SQL (contract floor)
    write floor  ...
    confirm-contract  PATCH /api/v1/floor/confirm/{id}   confirm's statements by hand-written SQL, fresh drafts too

The contract floors (``bench/floor/contract.py``) do at the database exactly what create and confirm do (the
same statements, rows and locks) with the least Python: their ratio to the write floor is what the best Python
doing the contract's statements could reach, printed in one line beside the endpoints' own.

``VACUUM ANALYZE`` runs before every timed window (autovacuum may be off). The drafts to confirm are made just
before each confirm window, 1.5 times as many as the write floor (the fastest a write can go) would get through
in the window, so no request meets an already confirmed order. It prints per endpoint the requests/s, p50 and
p99 latency (medians of the rounds), the ratio to the floor (median over the rounds of the endpoint's rate / the
rate of the floor window just before it) and the issue's goal, the errors (non-2xx answers, socket errors,
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
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch_db import setup_scratch_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench_api"
LUA_SCRIPT = ROOT / "bench" / "api_wrk.lua"
SETTINGS = "bench.floor.settings"
API = "/api/v1"
ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
PRICE = Decimal("129.99")
STOCK = 1_000_000_000  # per product: no confirm ever runs short
LINES = 3
BENCH_CONN_MAX_AGE = 86_400  # seconds: the served node's database connections outlive the run


@dataclass(frozen=True)
class Endpoint:
    """A product endpoint, the floor it is compared with, and the issue's goal ratio."""

    name: str
    label: str
    floor: str  # "read" or "write"
    goal: float


ENDPOINTS = (
    Endpoint("get", "GET /api/v1/sales/orders/{id} (3 lines)", "read", 0.70),
    Endpoint("list", "GET /api/v1/sales/orders?limit=50", "read", 0.35),
    Endpoint("create", "POST /api/v1/sales/orders (3 lines)", "write", 0.60),
    Endpoint("confirm", "PATCH /api/v1/sales/orders/{id}/status -> confirmed (3 lines)", "write", 0.60),
    # The contract floors (bench/floor/contract.py): create's and confirm's statements by hand-written SQL, with
    # the least Python; against the write floor, the best ratio any Python doing the contract's statements gets.
    Endpoint("create-contract", "POST /api/v1/floor/create (contract floor of create)", "write", 0.60),
    Endpoint("confirm-contract", "PATCH /api/v1/floor/confirm/{id} (contract floor of confirm)", "write", 0.60),
)
# Each contract floor and the product endpoint whose statements it issues.
CONTRACTS = {"create-contract": "create", "confirm-contract": "confirm"}
# The endpoints that confirm drafts: each window needs its own fresh ones.
CONFIRMING = ("confirm", "confirm-contract")
FLOOR_LABELS = {"read": "GET /api/v1/floor/read/{id} (read floor)",
                "write": "PATCH /api/v1/floor/write/{id} (write floor)"}


@dataclass
class Window:
    """One timed wrk run."""

    target: str  # an endpoint name, "read-floor" or "write-floor"
    round: int
    seconds: float
    requests: int
    errors: int  # answers outside 2xx, socket errors and timeouts
    error_detail: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    load_before: tuple[float, float, float]
    cpu: CpuUse | None = None  # the machine's CPU over the window, by process group (under load only)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_ms(self) -> dict[str, float] | None:
        """CPU ms per completed request of each process group (and ``total``) over this window."""
        if self.cpu is None or not self.requests:
            return None
        return self.cpu.ms_per_request(self.requests)


@dataclass
class Seed:
    token: str
    user_id: int
    customer_ids: list[str]
    product_ids: list[str]
    read_ids: list[str]
    drafts_made: int = 0


@dataclass
class Result:
    endpoint: str
    label: str
    floor: str
    goal: float
    per_second: float
    p50_ms: float
    p99_ms: float
    floor_per_second: float
    ratio: float
    errors: int
    requests: int
    statements: int | None
    statements_without_transaction_control: int | None
    floor_statements: int | None
    rounds: list[dict[str, Any]] = field(default_factory=list)
    cpu: dict[str, Any] | None = None  # CPU ms per request by process group, the floor's, the ceilings

    @property
    def meets_goal(self) -> bool:
        return self.ratio >= self.goal


# --- seeding -------------------------------------------------------------------------------------------


def seed(*, read_orders: int) -> Seed:
    from inventory.services import product_create
    from sales.services import customer_create
    from synthesq.core.services import api_token_create, api_user_provision

    user, _created = api_user_provision(username="bench-api", groups=["sales"])
    _token, plain = api_token_create(user=user, name="bench/api.py")
    customer_ids = [
        customer_create(actor=None, name=f"Bench Customer {i}", email=f"bench{i}@example.com",
                        default_shipping_address=ADDRESS).pk
        for i in range(20)
    ]
    product_ids = [
        product_create(actor=None, sku=f"BENCH-{i:03d}", name=f"Bench product {i}", price=PRICE, currency="USD",
                       stock_quantity=STOCK).pk
        for i in range(60)
    ]
    state = Seed(token=plain, user_id=user.pk, customer_ids=customer_ids, product_ids=product_ids, read_ids=[])
    state.read_ids = make_drafts(state, read_orders)
    return state


def make_drafts(state: Seed, count: int, *, batch: int = 2000) -> list[str]:
    """``count`` draft orders of 3 lines (distinct products, spread over all of them so confirms seldom wait for
    each other's product locks), numbered from the order sequence, each with its ``created`` history row.
    Bulk inserts: the benchmark's preparation, not what it measures."""
    from django.db import transaction

    from sales.models import Order, OrderEvent, OrderLine
    from sales.services.drafts import ORDER_NUMBER_SEQUENCE
    from synthesq.core.sequences import sequence_reserve_block

    ids: list[str] = []
    products = state.product_ids
    line_total = PRICE * 2
    for start in range(0, count, batch):
        size = min(batch, count - start)
        with transaction.atomic():
            first = sequence_reserve_block(ORDER_NUMBER_SEQUENCE, size)
            orders = Order.objects.bulk_create([
                Order(order_number=f"SO-{first + i:08d}", currency="USD",
                      customer_id=state.customer_ids[(start + i) % len(state.customer_ids)],
                      shipping_address=ADDRESS, subtotal=line_total * LINES, total=line_total * LINES,
                      created_by_id=state.user_id)
                for i in range(size)
            ])
            OrderLine.objects.bulk_create([
                OrderLine(order=order, position=k + 1, product_id=products[index], sku=f"BENCH-{index:03d}",
                          name=f"Bench product {index}", quantity=2, unit_price=PRICE, line_total=line_total)
                for n, order in enumerate(orders, start=state.drafts_made + start)
                for k in range(LINES)
                for index in [(n * LINES + k) % len(products)]
            ])
            OrderEvent.objects.bulk_create([
                OrderEvent(order=order, kind=OrderEvent.Kind.CREATED, actor_id=state.user_id, to_status="draft",
                           data={"lines": LINES, "total": str(line_total * LINES)})
                for order in orders
            ])
        ids.extend(order.pk for order in orders)
    state.drafts_made += count
    return ids


def create_body(state: Seed) -> dict[str, Any]:
    """The guide's body for creating an order, with 3 lines."""
    return {
        "customer_id": state.customer_ids[0],
        "currency": "USD",
        "line_items": [{"product_id": state.product_ids[k], "quantity": 2, "unit_price": 129.99}
                       for k in range(LINES)],
        "shipping_address": ADDRESS,
    }


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- statements per request ----------------------------------------------------------------------------

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def is_transaction_control(sql: str) -> bool:
    """BEGIN, COMMIT, SAVEPOINT and the like: counted by ``CaptureQueriesContext`` (and so by pytest-django's
    query assertions) like any statement; shown apart too, as what is left is the data work."""
    return sql.strip().upper().startswith(_TRANSACTION_CONTROL)


def replay_requests(state: Seed, *, drafts: int) -> dict[str, Callable[[int], Any]]:
    """Each kind of request, sent through Django's test client (the whole stack, the settings in force) with the
    token; call with a request number ``i``: reads cycle through the seeded orders, each confirm takes the next of
    ``drafts`` fresh drafts made here (one per confirm sent). The contract floors (PostgreSQL SQL) only on
    PostgreSQL. Shared with ``bench/profile_api.py``."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {state.token}")

    def fresh_drafts() -> Iterator[str]:  # made at the first confirm of its kind
        yield from make_drafts(state, drafts)

    fresh, fresh_for_contract = fresh_drafts(), fresh_drafts()
    body = json.dumps(create_body(state))
    read_ids = state.read_ids
    requests: dict[str, Callable[[int], Any]] = {
        "read-floor": lambda i: client.get(f"{API}/floor/read/{read_ids[i % len(read_ids)]}"),
        "get": lambda i: client.get(f"{API}/sales/orders/{read_ids[i % len(read_ids)]}"),
        "list": lambda i: client.get(f"{API}/sales/orders?limit=50"),
        "write-floor": lambda i: client.patch(f"{API}/floor/write/{read_ids[i % len(read_ids)]}",
                                              {"carrier": "UPS"}, content_type="application/json"),
        "create": lambda i: client.post(f"{API}/sales/orders", body, content_type="application/json"),
        "confirm": lambda i: client.patch(f"{API}/sales/orders/{next(fresh)}/status", {"status": "confirmed"},
                                          content_type="application/json"),
    }
    if connection.vendor == "postgresql":
        requests.update({
            "create-contract": lambda i: client.post(f"{API}/floor/create", body, content_type="application/json"),
            "confirm-contract": lambda i: client.patch(f"{API}/floor/confirm/{next(fresh_for_contract)}",
                                                       {"status": "confirmed"}, content_type="application/json"),
        })
    return requests


def count_statements(state: Seed, *, samples: int = 0) -> dict[str, dict[str, Any]]:
    """Each kind of request replayed through the whole Django stack (test client, the served settings): a
    first request, then the one counted (the token's throttled ``last_used_at`` already written). With
    ``samples``, that many more of each are timed: ``cpu_ms`` is the median CPU time of this process per request
    (Python: middleware, DRF, serializers, the ORM building queries and rows; PostgreSQL's own work is in
    another process and not in it), ``wall_ms`` the median elapsed time (with the database round trips)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    requests = replay_requests(state, drafts=2 + samples)

    def answered(name: str, response: Any) -> None:
        if response.status_code >= 300:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:500]!r}")

    counted: dict[str, dict[str, Any]] = {}
    for name, send in requests.items():
        answered(name, send(1))
        with CaptureQueriesContext(connection) as queries:
            answered(name, send(2))
        sql = [query["sql"] for query in queries.captured_queries]
        counted[name] = {"statements": len(sql),
                         "without_transaction_control": sum(not is_transaction_control(q) for q in sql),
                         "sql": sql}
        if samples:
            cpu: list[float] = []
            wall: list[float] = []
            for i in range(samples):
                cpu_start, wall_start = time.process_time(), time.perf_counter()
                response = send(3 + i)
                cpu.append(time.process_time() - cpu_start)
                wall.append(time.perf_counter() - wall_start)
                answered(name, response)
            counted[name].update(cpu_ms=round(statistics.median(cpu) * 1000, 2),
                                 wall_ms=round(statistics.median(wall) * 1000, 2), samples=samples)
    return counted


# --- CPU by process group ------------------------------------------------------------------------------
#
# The Python CPU per request measured in-process leaves out PostgreSQL, wrk and the kernel, which share the two
# cores under load. Around every timed window the bench reads /proc (Linux): the machine's busy and idle time
# (/proc/stat) and each process's utime + stime (/proc/<pid>/stat), in clock ticks. A group's time is a
# cumulative counter: its live processes' own times plus, for the process that reaps the group's children,
# their reaped times (cutime + cstime): so a process that ends during the window still counts up to its end
# (its parent's cutime grows by its whole life, the live sum loses what it had at the start) and one that
# starts in it counts from zero. Groups: gunicorn (the master and its workers: the process tree the bench
# started), postgres (the processes whose comm is ``postgres``: the server's background processes and the
# backends of the bench's database), wrk (the bench's own reaped children: wrk is the only child that ends
# during a window), rest of the machine (busy time of /proc/stat less those three) and idle. Rest is shown
# whole and, within it, ``other``: the user-space processes outside the three groups (another test run, this
# script itself; each with its reaped children, kernel threads excluded), what is left being the kernel's
# (interrupts, softirqs carrying the loopback network, kernel threads) and the accounting's rounding (it may
# come out slightly negative).
#
# The PostgreSQL server may be shared (on the development machine another session's tests run on it): the
# backends of other databases (told by the process title, ``postgres: [cluster: ]user database host(port)
# activity``) go to ``other``. So do backends that end, as their time reaches the postmaster's reaped times
# without their database: the served node keeps its connections for the whole run (``CONN_MAX_AGE``, see
# ``load``), so the bench database's backends live through every window; each window records how many of
# them ended anyway (``bench_backends_ended``, 0 expected). ``postgres_all`` (JSON) is every postgres process
# with the ended ones, whatever the database.

CPU_GROUPS = ("gunicorn", "postgres", "wrk", "rest")


@dataclass(frozen=True)
class ProcStat:
    """The fields of one /proc/<pid>/stat used here; times in clock ticks."""

    pid: int
    comm: str
    ppid: int
    utime: int
    stime: int
    cutime: int  # reaped children's utime (their own reaped children included)
    cstime: int
    database: str | None = None  # a PostgreSQL backend's database, from its process title

    @property
    def own(self) -> int:
        return self.utime + self.stime

    @property
    def reaped(self) -> int:
        return self.cutime + self.cstime


def parse_proc_stat(text: str) -> ProcStat:
    """One /proc/<pid>/stat line. The comm, in brackets, may hold spaces and brackets itself: the fields after
    it start after the last ``)``. Fields (man proc, from 1): 1 pid, 2 comm, 4 ppid, 14 utime, 15 stime,
    16 cutime, 17 cstime."""
    head, _, tail = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    fields = tail.split()  # fields[0] is field 3 (state)
    return ProcStat(pid=int(pid), comm=comm, ppid=int(fields[1]), utime=int(fields[11]), stime=int(fields[12]),
                    cutime=int(fields[13]), cstime=int(fields[14]))


@dataclass(frozen=True)
class MachineTicks:
    """The ``cpu`` line of /proc/stat (all CPUs together), in clock ticks."""

    busy: int  # user + nice + system + irq + softirq (guest time is inside user)
    idle: int  # idle + iowait
    steal: int  # taken by the hypervisor: neither ours nor idle
    irq: int  # irq + softirq, inside busy
    iowait: int = 0  # inside idle: idle while some task waited for a disk (a commit's WAL flush)


def parse_machine_ticks(text: str) -> MachineTicks:
    """The first line of /proc/stat: ``cpu  user nice system idle iowait irq softirq steal guest guest_nice``."""
    line = next(ln for ln in text.splitlines() if ln.startswith("cpu "))
    values = [int(v) for v in line.split()[1:]] + [0] * 10
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    return MachineTicks(busy=user + nice + system + irq + softirq, idle=idle + iowait, steal=steal,
                        irq=irq + softirq, iowait=iowait)


KTHREADD = 2  # the kernel threads' parent


def backend_database(title: str) -> str | None:
    """The database of a PostgreSQL backend from its process title (/proc/<pid>/cmdline, NULs as spaces):
    ``postgres: [cluster: ]user database host(port)|[local] activity``; None for the postmaster and the
    background processes (checkpointer, walwriter, ...)."""
    words = title.replace("\0", " ").split()
    if not words or words[0] != "postgres:":
        return None
    for index, word in enumerate(words):
        if index >= 3 and (word == "[local]" or (word.endswith(")") and "(" in word and word[0] != "(")):
            return words[index - 1]
    return None


def group_ticks(processes: list[ProcStat], *, gunicorn_pid: int | None, bench_pid: int,
                database: str | None = None) -> dict[str, int]:
    """Cumulative CPU ticks of each group at one moment (see the section's comment), from every process's stat:
    a group's processes' own times and the times of the children they reaped. ``gunicorn``: the tree under
    ``gunicorn_pid``; ``postgres``: every ``postgres`` process but the backends of databases other than
    ``database`` (None: every one) and, when ``database`` is given, the postmaster's reaped backends;
    ``postgres_all``: every ``postgres`` process with the reaped ones; ``wrk``: the bench's reaped children
    plus any live child of the bench called ``wrk``; ``other``: every other user-space process (the bench's own
    time included, its reaped children not), the other databases' backends and ended backends."""
    by_pid = {p.pid: p for p in processes}
    children: dict[int, list[int]] = {}
    for p in processes:
        children.setdefault(p.ppid, []).append(p.pid)
    tree: set[int] = set()
    pending = [gunicorn_pid] if gunicorn_pid is not None and gunicorn_pid in by_pid else []
    while pending:
        pid = pending.pop()
        tree.add(pid)
        pending.extend(children.get(pid, []))
    live_wrk = {p.pid for p in processes if p.ppid == bench_pid and p.comm == "wrk"}
    ticks = {"gunicorn": 0, "postgres": 0, "wrk": 0, "other": 0, "postgres_all": 0}
    for p in processes:
        if p.pid in tree:
            ticks["gunicorn"] += p.own + p.reaped
        elif p.comm == "postgres":
            ticks["postgres_all"] += p.own + p.reaped
            foreign = database is not None and p.database is not None and p.database != database
            ticks["other" if foreign else "postgres"] += p.own
            ticks["other" if database is not None else "postgres"] += p.reaped
        elif p.pid in live_wrk:
            ticks["wrk"] += p.own + p.reaped
        elif p.pid == bench_pid:
            ticks["wrk"] += p.reaped
            ticks["other"] += p.own
        elif p.pid != KTHREADD and p.ppid != KTHREADD:
            ticks["other"] += p.own + p.reaped
    return ticks


@dataclass(frozen=True)
class CpuSnapshot:
    at: float  # time.monotonic()
    machine: MachineTicks
    groups: dict[str, int]
    bench_backends: frozenset[int] = frozenset()  # pids of the bench database's backends


def read_processes(proc: Path = Path("/proc")) -> list[ProcStat]:
    """Every process's stat (the PostgreSQL ones with their database, from their title)."""
    processes = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = parse_proc_stat((entry / "stat").read_text())
            if stat.comm == "postgres":
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
                stat = replace(stat, database=backend_database(title))
        except (OSError, ValueError, IndexError):  # ended while listed, or unreadable
            continue
        processes.append(stat)
    return processes


def cpu_snapshot(*, gunicorn_pid: int | None, database: str | None, proc: Path = Path("/proc"),
                 bench_pid: int | None = None) -> CpuSnapshot:
    at = time.monotonic()
    machine = parse_machine_ticks((proc / "stat").read_text())
    processes = read_processes(proc)
    groups = group_ticks(processes, gunicorn_pid=gunicorn_pid, database=database,
                         bench_pid=os.getpid() if bench_pid is None else bench_pid)
    backends = frozenset(p.pid for p in processes if database is not None and p.database == database)
    return CpuSnapshot(at=at, machine=machine, groups=groups, bench_backends=backends)


@dataclass(frozen=True)
class CpuUse:
    """The CPU seconds each group used between two snapshots, the machine's busy, idle and stolen seconds."""

    seconds: float  # elapsed
    gunicorn: float
    postgres: float
    wrk: float
    rest: float
    other: float  # part of rest: the user-space processes outside the groups
    idle: float
    steal: float
    irq: float  # interrupts and softirqs as /proc/stat counts them (some of it also in processes' times)
    postgres_all: float = 0.0  # every postgres process, whatever its database, ended backends included
    iowait: float = 0.0  # part of idle
    bench_backends_ended: int = 0  # the bench database's backends that ended in the window (0 expected)

    @property
    def busy(self) -> float:
        return self.gunicorn + self.postgres + self.wrk + self.rest

    @property
    def busy_share(self) -> float:
        """Busy time over all the CPUs' time in the window (1.0: every core busy throughout)."""
        whole = self.busy + self.idle + self.steal
        return self.busy / whole if whole else 0.0

    def ms_per_request(self, requests: int) -> dict[str, float]:
        figures = {group: getattr(self, group) * 1000 / requests for group in (*CPU_GROUPS, "other", "postgres_all")}
        figures["total"] = self.busy * 1000 / requests
        return figures


def cpu_use(before: CpuSnapshot, after: CpuSnapshot, *, ticks_per_second: int) -> CpuUse:
    def seconds(ticks: int) -> float:
        return ticks / ticks_per_second

    groups = {name: seconds(after.groups[name] - before.groups[name]) for name in ("gunicorn", "postgres", "wrk")}
    busy = seconds(after.machine.busy - before.machine.busy)
    return CpuUse(seconds=after.at - before.at, gunicorn=groups["gunicorn"], postgres=groups["postgres"],
                  wrk=groups["wrk"], rest=busy - sum(groups.values()),
                  other=seconds(after.groups["other"] - before.groups["other"]),
                  postgres_all=seconds(after.groups.get("postgres_all", 0) - before.groups.get("postgres_all", 0)),
                  bench_backends_ended=len(before.bench_backends - after.bench_backends),
                  iowait=seconds(after.machine.iowait - before.machine.iowait),
                  idle=seconds(after.machine.idle - before.machine.idle),
                  steal=seconds(after.machine.steal - before.machine.steal),
                  irq=seconds(after.machine.irq - before.machine.irq))


def ceilings(endpoint: dict[str, float], floor: dict[str, float]) -> dict[str, float]:
    """From the CPU ms per request of an endpoint's window and of its floor's window (each with ``total``), the
    ratios a CPU-bound machine would give (throughput inversely proportional to the CPU time per request):
    ``cpu_model`` the ratio as measured now (floor total / endpoint total: near the measured ratio when the
    machine is CPU-bound), ``ceiling`` if the endpoint's gunicorn (Python) time fell to the floor's, all else
    per request unchanged, ``postgres_only`` if it cost its own PostgreSQL time and the floor's everything else.
    ``ceiling_without_other``: the ceiling with the other processes' time (``other``, when given) left out of
    both totals: another program's load is time per second, not per request, and counted per request it
    weighs on the slower endpoint's total more than on its floor's, so it lowers the ceiling.
    """
    floor_total = floor["total"]

    def ratio(numerator: float, cost: float) -> float:
        return numerator / cost if cost > 0 else 0.0

    endpoint_other, floor_other = endpoint.get("other", 0.0), floor.get("other", 0.0)
    return {
        "cpu_model": ratio(floor_total, endpoint["total"]),
        "ceiling": ratio(floor_total, endpoint["total"] - endpoint["gunicorn"] + floor["gunicorn"]),
        "postgres_only": ratio(floor_total, floor_total - floor["postgres"] + endpoint["postgres"]),
        "ceiling_without_other": ratio(floor_total - floor_other, endpoint["total"] - endpoint_other
                                       - endpoint["gunicorn"] + floor["gunicorn"]),
    }


def cpu_summary(pairs: list[tuple[Window, Window]]) -> dict[str, Any] | None:
    """An endpoint's windows with the floor window run just before each: the medians over the rounds of its
    CPU ms per request by group, of its floor's, of its busy share and of each round's ceilings."""
    measured = [(w.cpu_ms(), f.cpu_ms(), w, f) for w, f in pairs]
    rounds = [(mine, floors, w, f) for mine, floors, w, f in measured if mine is not None and floors is not None]
    if not rounds:
        return None
    keys = (*CPU_GROUPS, "other", "postgres_all", "total")
    per_round = [ceilings(mine, floors) for mine, floors, _w, _f in rounds]
    return {
        "ms_per_request": {k: round(statistics.median(m[k] for m, _f, _w, _fw in rounds), 3) for k in keys},
        "floor_ms_per_request": {k: round(statistics.median(f[k] for _m, f, _w, _fw in rounds), 3) for k in keys},
        "busy": round(statistics.median(w.cpu.busy_share for _m, _f, w, _fw in rounds if w.cpu), 3),
        "floor_busy": round(statistics.median(fw.cpu.busy_share for _m, _f, _w, fw in rounds if fw.cpu), 3),
        **{name: round(statistics.median(c[name] for c in per_round), 3)
           for name in ("cpu_model", "ceiling", "postgres_only", "ceiling_without_other")},
        "rounds": [{"round": w.round, **{name: round(c[name], 3) for name in c}} for (_m, _f, w, _fw), c
                   in zip(rounds, per_round, strict=True)],
    }


def floor_cpu_summary(windows: list[Window]) -> dict[str, Any] | None:
    """A floor's CPU ms per request by group and busy share: medians over all its windows."""
    measured = [(w.cpu_ms(), w) for w in windows]
    mine = [(m, w) for m, w in measured if m is not None and w.cpu is not None]
    if not mine:
        return None
    return {
        "ms_per_request": {k: round(statistics.median(m[k] for m, _w in mine), 3)
                           for k in (*CPU_GROUPS, "other", "postgres_all", "total")},
        "busy": round(statistics.median(w.cpu.busy_share for _m, w in mine if w.cpu), 3),
    }


# --- load ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    method: str
    path: str  # may hold {id}
    ids_file: str  # "-" for none
    body_file: str  # "-" for none
    mode: str = "cycle"


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


def git_commit() -> str:
    """The checkout's commit (and whether it has uncommitted changes): what the figures are of."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' (with uncommitted changes)' if dirty else ''}"


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the run -------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, state: Seed, base_url: str, workdir: Path,
                 gunicorn_pid: int | None = None, database: str | None = None) -> None:
        self.args = args
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
            "read-floor": Target("read-floor", "GET", f"{API}/floor/read/{{id}}", self.read_ids_file, "-"),
            "write-floor": Target("write-floor", "PATCH", f"{API}/floor/write/{{id}}", self.read_ids_file,
                                  str(floor_body)),
            "get": Target("get", "GET", f"{API}/sales/orders/{{id}}", self.read_ids_file, "-"),
            "list": Target("list", "GET", f"{API}/sales/orders?limit=50", "-", "-"),
            "create": Target("create", "POST", f"{API}/sales/orders", "-", str(create_file)),
            "confirm": Target("confirm", "PATCH", f"{API}/sales/orders/{{id}}/status", "-", str(confirm_body),
                              mode="once"),
            "create-contract": Target("create-contract", "POST", f"{API}/floor/create", "-", str(create_file)),
            "confirm-contract": Target("confirm-contract", "PATCH", f"{API}/floor/confirm/{{id}}", "-",
                                       str(confirm_body), mode="once"),
        }

    def drafts_for(self, seconds: float, write_floor_per_second: float) -> str:
        """A file of fresh drafts for one confirm window: 1.5 times what the write floor would get through."""
        count = math.ceil(max(write_floor_per_second, 200.0) * max(1, round(seconds)) * 1.5) + 50 * self.args.threads
        path = self.workdir / f"drafts_{self.state.drafts_made}.txt"
        path.write_text("\n".join(make_drafts(self.state, count)) + "\n")
        return str(path)

    def window(self, name: str, seconds: float, round_number: int, *, timed: bool = True) -> Window:
        vacuum_analyze()
        before = cpu_snapshot(gunicorn_pid=self.gunicorn_pid, database=self.database)
        window = run_wrk(self.targets[name], base_url=self.base_url, token=self.state.token, seconds=seconds,
                         connections=self.args.connections, threads=self.args.threads, round_number=round_number)
        window.cpu = cpu_use(before, cpu_snapshot(gunicorn_pid=self.gunicorn_pid, database=self.database),
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
        floor = self.window(f"{endpoint.floor}-floor", seconds, round_number, timed=timed)
        if endpoint.name in CONFIRMING:
            self.targets[endpoint.name].ids_file = self.drafts_for(seconds, floor.per_second)
        self.window(endpoint.name, seconds, round_number, timed=timed)

    def run(self, endpoints: list[Endpoint]) -> None:
        if self.args.warmup > 0:
            print(f"Warm-up ({self.args.warmup:g} s per endpoint, not counted)", flush=True)
            for endpoint in endpoints:
                self.pair(endpoint, self.args.warmup, 0, timed=False)
        print(f"{self.args.rounds} round(s) of {self.args.duration:g} s per endpoint, each right after its floor",
              flush=True)
        for round_number in range(1, self.args.rounds + 1):
            for endpoint in endpoints:
                self.pair(endpoint, self.args.duration, round_number)


def summarize(windows: list[Window], endpoints: list[Endpoint], statements: dict[str, dict[str, Any]]
              ) -> list[Result]:
    """Each endpoint's figures: medians of its windows; its ratio to the floor is the median of the ratios of
    each of its windows to the floor window run just before it (adjacent windows share the machine's load of the
    moment, so a loaded machine shifts both and the ratio less)."""
    results = []
    for endpoint in endpoints:
        # Each of its windows with the floor window run just before it.
        pairs = [(w, windows[i - 1]) for i, w in enumerate(windows) if w.target == endpoint.name and i > 0]
        ours, floors = [w for w, _ in pairs], [f for _, f in pairs]
        if not ours or any(f.target != f"{endpoint.floor}-floor" for f in floors):
            raise ValueError(f"{endpoint.name}: each window must follow a {endpoint.floor} floor window")
        rate = statistics.median(w.per_second for w in ours)
        floor_rate = statistics.median(w.per_second for w in floors)
        results.append(Result(
            endpoint=endpoint.name, label=endpoint.label, floor=endpoint.floor, goal=endpoint.goal,
            per_second=rate, p50_ms=statistics.median(w.p50_ms for w in ours),
            p99_ms=statistics.median(w.p99_ms for w in ours), floor_per_second=floor_rate,
            ratio=statistics.median(w.per_second / f.per_second if f.per_second else 0.0 for w, f in pairs),
            errors=sum(w.errors for w in ours),
            requests=sum(w.requests for w in ours),
            statements=statements.get(endpoint.name, {}).get("statements"),
            statements_without_transaction_control=statements.get(endpoint.name, {}).get(
                "without_transaction_control"),
            floor_statements=statements.get(f"{endpoint.floor}-floor", {}).get("statements"),
            rounds=[{"round": w.round, "per_second": round(w.per_second, 1),
                     "floor_per_second": round(f.per_second, 1),
                     "ratio": round(w.per_second / f.per_second, 3) if f.per_second else 0.0}
                    for w, f in zip(ours, floors, strict=True)],
            cpu=cpu_summary(pairs),
        ))
    return results


def floor_summary(windows: list[Window], statements: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary = {}
    for kind in ("read", "write"):
        mine = [w for w in windows if w.target == f"{kind}-floor"]
        if not mine:
            continue
        summary[kind] = {
            "label": FLOOR_LABELS[kind], "windows": len(mine),
            "per_second": round(statistics.median(w.per_second for w in mine), 1),
            "p50_ms": round(statistics.median(w.p50_ms for w in mine), 2),
            "p99_ms": round(statistics.median(w.p99_ms for w in mine), 2),
            "errors": sum(w.errors for w in mine),
            "statements": statements.get(f"{kind}-floor", {}).get("statements"),
            "statements_without_transaction_control": statements.get(f"{kind}-floor", {}).get(
                "without_transaction_control"),
            "cpu": floor_cpu_summary(mine),
        }
    return summary


def _sql(total: int | None, data: int | None) -> str:
    return "-" if total is None else f"{total} ({data})"


def contract_figures(results: list[Result], statements: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each contract floor measured beside the endpoint whose statements it issues: both ratios to the write
    floor, both Python (gunicorn) CPU ms per request under load, and whether their statement counts match."""
    by_name = {r.endpoint: r for r in results}
    figures: dict[str, dict[str, Any]] = {}
    for contract, product in CONTRACTS.items():
        mine, theirs = statements.get(contract, {}), statements.get(product, {})
        counts = [(figures_.get("statements"), figures_.get("without_transaction_control"))
                  for figures_ in (mine, theirs)]
        entry: dict[str, Any] = {
            "endpoint": product,
            "statements": counts[0][0], "statements_without_transaction_control": counts[0][1],
            "endpoint_statements": counts[1][0], "endpoint_statements_without_transaction_control": counts[1][1],
            "same_statements": counts[0] == counts[1] if mine and theirs else None,
        }
        for key, result in (("contract", by_name.get(contract)), ("endpoint", by_name.get(product))):
            if result is not None:
                entry[f"{key}_ratio"] = round(result.ratio, 3)
                if result.cpu:
                    entry[f"{key}_gunicorn_ms"] = result.cpu["ms_per_request"]["gunicorn"]
                    entry[f"{key}_total_ms"] = result.cpu["ms_per_request"]["total"]
                    entry["write_floor_gunicorn_ms"] = result.cpu["floor_ms_per_request"]["gunicorn"]
        figures[contract] = entry
    return figures


def contract_lines(figures: dict[str, dict[str, Any]]) -> list[str]:
    """The contract floors' point in a few lines (empty when neither was measured under load)."""
    measured = {name: f for name, f in figures.items() if "contract_ratio" in f}
    if not measured:
        return []
    ratios = ", ".join(f"{f['endpoint']} {f['contract_ratio']:.0%}" for f in measured.values())
    products = ", ".join(f"{f['endpoint']} {f['endpoint_ratio']:.0%}" for f in measured.values()
                         if "endpoint_ratio" in f)
    lines = [f"contract floor (same statements, hand-written SQL): {ratios} of the write floor"
             + (f" (the endpoints themselves: {products})" if products else "")]
    for f in measured.values():
        cpu = ""
        if "contract_gunicorn_ms" in f:
            cpu = (f"; Python CPU ms per request under load: contract {f['contract_gunicorn_ms']:.2f}"
                   + (f", {f['endpoint']} {f['endpoint_gunicorn_ms']:.2f}" if "endpoint_gunicorn_ms" in f else "")
                   + f", write floor {f['write_floor_gunicorn_ms']:.2f}")
        same = {True: "same as", False: "DIFFERENT from", None: "not compared with"}[f["same_statements"]]
        mine = _sql(f["statements"], f["statements_without_transaction_control"])
        theirs = _sql(f["endpoint_statements"], f["endpoint_statements_without_transaction_control"])
        lines.append(f"  {f['endpoint']}: statements {mine}, {same} the endpoint's {theirs}{cpu}")
    return lines


def print_report(results: list[Result], floors: dict[str, dict[str, Any]],
                 statements: dict[str, dict[str, Any]], header: list[str]) -> None:
    print()
    for line in header:
        print(line)
    if results:
        print()
        print(f"{'request':<62} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'floor/s':>7} {'ratio':>5} {'goal':>5} "
              f"{'':5} {'errors':>6} {'SQL':>8}")
    for r in results:
        verdict = "ok" if r.meets_goal else "below"
        print(f"{r.label:<62} {r.per_second:7.1f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.floor_per_second:7.1f} "
              f"{r.ratio:5.0%} {format(r.goal, '.0%'):>5} {verdict:5} {r.errors:6d} "
              f"{_sql(r.statements, r.statements_without_transaction_control):>8}")
    for floor in floors.values():
        print(f"{floor['label']:<62} {floor['per_second']:7.1f} {floor['p50_ms']:7.1f} {floor['p99_ms']:7.1f} "
              f"{'':>7} {'':>5} {'':>5} {'':5} {floor['errors']:6d} "
              f"{_sql(floor['statements'], floor['statements_without_transaction_control']):>8}")
    if results:
        print("\nreq/s, p50, p99: medians over the rounds. ratio: median over the rounds of the endpoint's req/s"
              "\n/ the req/s of the floor window run just before it (read floor for reads, write floor for writes);"
              "\ngoal: the issue's. errors: non-2xx answers, socket errors and timeouts over all its windows.")
        contract = contract_lines(contract_figures(results, statements))
        if contract:
            print()
            for line in contract:
                print(line)
            print("A contract floor issues its endpoint's statements with the least Python (bench/floor/contract.py):"
                  "\nits ratio is the most any Python doing those statements could reach; the rest of the gap to the"
                  "\nwrite floor is the statements' own cost (PostgreSQL, round trips) and the request's fixed costs.")
        print_cpu_report(results, floors)
    labels = {**{e.name: e.label for e in ENDPOINTS}, **{f"{k}-floor": v for k, v in FLOOR_LABELS.items()}}
    print(f"\n{'per request, in-process (test client)':<62} {'SQL':>8} {'CPU ms':>7} {'x floor':>7} {'wall ms':>7}")
    for name, figures in statements.items():
        floor = statements.get("read-floor" if name in ("get", "list", "read-floor") else "write-floor", {})
        cpu, floor_cpu = figures.get("cpu_ms"), floor.get("cpu_ms")
        times = (f"{cpu:7.2f} {cpu / floor_cpu:6.1f}x {figures['wall_ms']:7.2f}"
                 if cpu is not None and floor_cpu else f"{'-':>7} {'-':>7} {'-':>7}")
        print(f"{labels.get(name, name):<62} {_sql(figures['statements'], figures['without_transaction_control']):>8} "
              f"{times}")
    print("\nSQL: statements per request in steady state (CaptureQueriesContext, token lookup included), in brackets"
          "\nwithout BEGIN/COMMIT/SAVEPOINT/RELEASE. CPU ms: median CPU time of the Python process per request"
          "\n(PostgreSQL's work excluded), x floor: against the read or write floor; wall ms: median elapsed time.")


def print_cpu_report(results: list[Result], floors: dict[str, dict[str, Any]]) -> None:
    """The CPU per request of each process group under load, and the ratios a CPU-bound machine allows."""
    if not any(r.cpu for r in results) and not any(f.get("cpu") for f in floors.values()):
        return
    groups = ("gunicorn", "postgres", "wrk", "rest", "other", "total")
    print(f"\n{'CPU ms per request under load':<30} " + " ".join(f"{g:>8}" for g in groups)
          + f" {'busy':>5} {'ratio':>5} {'cpu':>5} {'ceil':>5} {'ceil-o':>6} {'pg':>5} {'goal':>5}")
    for r in results:
        if r.cpu is None:
            continue
        ms = r.cpu["ms_per_request"]
        print(f"{r.endpoint:<30} " + " ".join(f"{ms[g]:8.2f}" for g in groups)
              + f" {r.cpu['busy']:5.0%} {r.ratio:5.0%} {r.cpu['cpu_model']:5.0%} {r.cpu['ceiling']:5.0%} "
              f"{r.cpu['ceiling_without_other']:6.0%} {r.cpu['postgres_only']:5.0%} {format(r.goal, '.0%'):>5}")
        floor_ms = r.cpu["floor_ms_per_request"]
        print(f"{'  its ' + r.floor + ' floor windows':<30} " + " ".join(f"{floor_ms[g]:8.2f}" for g in groups)
              + f" {r.cpu['floor_busy']:5.0%}")
    for kind, floor in floors.items():
        if floor.get("cpu"):
            ms = floor["cpu"]["ms_per_request"]
            print(f"{kind + ' floor (all its windows)':<30} " + " ".join(f"{ms[g]:8.2f}" for g in groups)
                  + f" {floor['cpu']['busy']:5.0%}")
    print("\nCPU time (utime + stime from /proc, all cores) over each timed window by process group, divided by the"
          "\nrequests wrk completed in it; medians over the rounds. gunicorn: its master and workers (the Python"
          "\nwork); postgres: the server's background processes and the bench database's backends (other databases'"
          "\nand ended backends go to other; all of them: postgres_all in --json); wrk: the load generator; rest: the"
          "\nmachine's other busy time, of which other: user-space processes outside these groups (another program's"
          "\nload lands here), the remainder the kernel's (interrupts, softirqs carrying the loopback network, kernel"
          "\nthreads) and rounding; total: all busy time. busy: the machine's busy share of all its cores over the"
          "\nwindow. ratio: measured (as above). cpu: the ratio a CPU-bound machine would give at these costs, floor"
          "\ntotal / endpoint total (near the measured ratio when busy is near 100%). ceil: the CEILING, the best"
          "\nratio the endpoint could reach if its gunicorn (Python) CPU per request fell all the way to its floor's,"
          "\neverything else per request unchanged: floor total / (endpoint total - endpoint gunicorn + floor"
          "\ngunicorn). ceil-o: the same with other processes' time left out of both totals (another program's load"
          "\nis time per second, not per request: counted per request it lowers the ceiling; on a quiet machine"
          "\nceil-o = ceil). pg: the ratio if the endpoint cost its own postgres time and the floor's everything"
          "\nelse. All assume a CPU-bound machine (busy near 100%). A goal above the ceiling is out of reach by"
          "\nPython work alone: it would need PostgreSQL (or wrk and the kernel) to do less per request. Per-round"
          "\nfigures, each floor window paired with the endpoint window just after it: --json.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per window (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per endpoint of warm-up (default 3, 0: none)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument("--read-orders", type=int, default=5000, help="orders of 3 lines read by id (default 5000)")
    parser.add_argument("--endpoints", default=",".join(e.name for e in ENDPOINTS),
                        help="comma-separated subset of get,list,create,confirm,create-contract,confirm-contract "
                        "(default all)")
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
    started = time.monotonic()
    url = setup_scratch_database(DEFAULT_URL)
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
    load_line = (f"gunicorn {args.workers} sync workers ({SETTINGS} = production + floor URLs), wrk -t{args.threads} "
                 f"-c{args.connections}, {args.rounds} round(s) x {args.duration:g} s per endpoint, "
                 f"{args.read_orders} orders read by id" if not args.no_load else "no load (--no-load)")
    header = [
        f"Code: {git_commit()}",
        f"Machine: {os.cpu_count()} CPU(s), {platform.platform()}, Python {platform.python_version()}",
        f"Load before: {load_start}",
        f"Load after:  {load_end}",
        f"{load_line}; {args.cpu_samples} timed replays per request in-process; "
        f"run took {time.monotonic() - started:.0f} s",
    ]
    print_report(results, floors, statements, header)
    if args.json_path:
        document = {
            "commit": git_commit(),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version(), "uptime_before": load_start, "uptime_after": load_end},
            "config": {"workers": args.workers, "threads": args.threads, "connections": args.connections,
                       "rounds": args.rounds, "duration_s": args.duration, "warmup_s": args.warmup,
                       "read_orders": args.read_orders, "settings": SETTINGS, "lines_per_order": LINES,
                       "cpu_samples": args.cpu_samples, "load": not args.no_load},
            "endpoints": [{**asdict(r), "meets_goal": r.meets_goal} for r in results],
            "floors": floors,
            "contract_floors": contract_figures(results, statements),
            "statements": statements,
            "windows": [{**asdict(w), "per_second": round(w.per_second, 1),
                         "cpu_ms_per_request": {k: round(v, 3) for k, v in (w.cpu_ms() or {}).items()} or None,
                         "busy": round(w.cpu.busy_share, 3) if w.cpu else None} for w in windows],
        }
        Path(args.json_path).write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nFigures written to {args.json_path}")
    if any(r.errors for r in results):
        sys.exit(1)


def load(args: argparse.Namespace, state: Seed, url: str, statements: dict[str, dict[str, Any]]
         ) -> tuple[list[Result], dict[str, dict[str, Any]], list[Window]]:
    """Serve with gunicorn, run the interleaved windows, summarize them."""
    from django.db import connection

    from bench.nodes import running_nodes

    connection.close()
    with tempfile.TemporaryDirectory(prefix="synthesq-bench-api-") as tmp, running_nodes(
        1, database_url=url, workers=args.workers,
        # Connections kept for the run (production: 60 s, a reconnect a minute per worker, negligible here): the
        # bench database's backends then live through every window, their CPU told apart from other databases'.
        extra_env={"DJANGO_SETTINGS_MODULE": SETTINGS, "CONN_MAX_AGE": str(BENCH_CONN_MAX_AGE)},
        log_dir=Path(tmp),
    ) as nodes:
        base_url = nodes[0].url
        print(f"gunicorn: {args.workers} sync workers on {base_url} ({SETTINGS}); wrk -t{args.threads} "
              f"-c{args.connections}", flush=True)
        for method, path, body in [("GET", f"{API}/floor/read/{state.read_ids[0]}", None),
                                   ("PATCH", f"{API}/floor/write/{state.read_ids[0]}", {"carrier": "UPS"}),
                                   ("GET", f"{API}/sales/orders/{state.read_ids[0]}", None),
                                   ("GET", f"{API}/sales/orders?limit=50", None)]:
            check_once(base_url, state.token, method, path, body)
        bench = Bench(args, state, base_url, Path(tmp), gunicorn_pid=nodes[0].process.pid,
                      database=url.rsplit("/", 1)[1].split("?", 1)[0])
        bench.run(args.endpoint_list)
        return (summarize(bench.windows, args.endpoint_list, statements),
                floor_summary(bench.windows, statements), bench.windows)


if __name__ == "__main__":
    main()
