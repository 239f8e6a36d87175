"""The CPU accountant of the API benchmark: CPU time by process group from /proc around every timed window."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

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


def ceilings(endpoint: dict[str, float], floor: dict[str, float], goal: float | None = None) -> dict[str, float]:
    """From the CPU ms per request of an endpoint's window and of its floor's window (each with ``total``), the
    ratios a CPU-bound machine would give (throughput inversely proportional to the CPU time per request):
    ``cpu_model`` the ratio as measured now (floor total / endpoint total: near the measured ratio when the
    machine is CPU-bound), ``ceiling`` if the endpoint's gunicorn (Python) time fell to the floor's, all else
    per request unchanged, ``postgres_only`` if it cost its own PostgreSQL time and the floor's everything else.
    ``ceiling_without_other``: the ceiling with the other processes' time (``other``, when given) left out of
    both totals: another program's load is time per second, not per request, and counted per request it
    weighs on the slower endpoint's total more than on its floor's, so it lowers the ceiling.
    With ``goal`` (a ratio), ``gunicorn_budget``: the gunicorn (Python) CPU ms per request at which the endpoint
    would meet it, all else per request unchanged (floor total / goal - (endpoint total - endpoint gunicorn));
    at or below the floor's gunicorn time the goal needs PostgreSQL (or the rest) to do less, not Python.
    """
    floor_total = floor["total"]

    def ratio(numerator: float, cost: float) -> float:
        return numerator / cost if cost > 0 else 0.0

    endpoint_other, floor_other = endpoint.get("other", 0.0), floor.get("other", 0.0)
    budget = {"gunicorn_budget": floor_total / goal - (endpoint["total"] - endpoint["gunicorn"])} if goal else {}
    return {
        **budget,
        "cpu_model": ratio(floor_total, endpoint["total"]),
        "ceiling": ratio(floor_total, endpoint["total"] - endpoint["gunicorn"] + floor["gunicorn"]),
        "postgres_only": ratio(floor_total, floor_total - floor["postgres"] + endpoint["postgres"]),
        "ceiling_without_other": ratio(floor_total - floor_other, endpoint["total"] - endpoint_other
                                       - endpoint["gunicorn"] + floor["gunicorn"]),
    }
