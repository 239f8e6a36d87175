"""The API benchmark's figures: each endpoint's windows summarized against its floor's, the CPU by process
group, and the printed report."""

from __future__ import annotations

import os
import statistics
import subprocess
from typing import Any

from bench.api.cpu import CPU_GROUPS, ceilings
from bench.api.endpoints import ENDPOINTS, FLOOR_LABELS, Endpoint, Result, Window, reference
from bench.scratch_db import ROOT


def cpu_summary(pairs: list[tuple[Window, Window]], goal: float | None = None) -> dict[str, Any] | None:
    """An endpoint's windows with the floor window run just before each: the medians over the rounds of its
    CPU ms per request by group, of its floor's, of its busy share and of each round's ceilings (and, with
    ``goal``, of the gunicorn budget that would meet it)."""
    measured = [(w.cpu_ms(), f.cpu_ms(), w, f) for w, f in pairs]
    rounds = [(mine, floors, w, f) for mine, floors, w, f in measured if mine is not None and floors is not None]
    if not rounds:
        return None
    keys = (*CPU_GROUPS, "other", "postgres_all", "total")
    per_round = [ceilings(mine, floors, goal) for mine, floors, _w, _f in rounds]
    return {
        "ms_per_request": {k: round(statistics.median(m[k] for m, _f, _w, _fw in rounds), 3) for k in keys},
        "floor_ms_per_request": {k: round(statistics.median(f[k] for _m, f, _w, _fw in rounds), 3) for k in keys},
        "busy": round(statistics.median(w.cpu.busy_share for _m, _f, w, _fw in rounds if w.cpu), 3),
        "floor_busy": round(statistics.median(fw.cpu.busy_share for _m, _f, _w, fw in rounds if fw.cpu), 3),
        **{name: round(statistics.median(c[name] for c in per_round), 3)
           for name in ("cpu_model", "ceiling", "postgres_only", "ceiling_without_other", "gunicorn_budget")
           if all(name in c for c in per_round)},
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


def summarize(windows: list[Window], endpoints: list[Endpoint], statements: dict[str, dict[str, Any]]
              ) -> list[Result]:
    """Each endpoint's figures: medians of its windows; its ratio to the bare floor is the median of the ratios
    of each of its windows to the bare floor window run just before it (adjacent windows share the machine's load of the
    moment, so a loaded machine shifts both and the ratio less)."""
    results = []
    for endpoint in endpoints:
        # Each of its windows with the floor window run just before it.
        pairs = [(w, windows[i - 1]) for i, w in enumerate(windows) if w.target == endpoint.name and i > 0]
        ours, floors = [w for w, _ in pairs], [f for _, f in pairs]
        if not ours or any(f.target != reference(endpoint.floor) for f in floors):
            raise ValueError(f"{endpoint.name}: each window must follow a bare {endpoint.floor} floor window")
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
            cpu=cpu_summary(pairs, endpoint.goal),
        ))
    return results


def floor_summary(windows: list[Window], statements: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary = {}
    for kind in ("read", "write"):
        mine = [w for w in windows if w.target == reference(kind)]
        if not mine:
            continue
        summary[kind] = {
            "label": FLOOR_LABELS[kind], "windows": len(mine),
            "per_second": round(statistics.median(w.per_second for w in mine), 1),
            "p50_ms": round(statistics.median(w.p50_ms for w in mine), 2),
            "p99_ms": round(statistics.median(w.p99_ms for w in mine), 2),
            "errors": sum(w.errors for w in mine),
            "statements": None, "statements_without_transaction_control": None,  # its own process: not counted
            "cpu": floor_cpu_summary(mine),
        }
    return summary


def _sql(total: int | None, data: int | None) -> str:
    return "-" if total is None else f"{total} ({data})"


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
              "\n/ the req/s of the BARE floor window run just before it (GET /one for reads, POST /write for"
              "\nwrites; ../shared/bench-floor, its own gunicorn with as many workers); floor/s: the bare floor's;"
              "\ngoal: the issue's. errors: non-2xx answers, socket errors and timeouts over all its windows.")
        print_cpu_report(results, floors)
    labels = {e.name: e.label for e in ENDPOINTS}  # the product's floors among them
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
          "\n(PostgreSQL's work excluded), x floor: against the product's read or write floor (in-process: the bare"
          "\nfloor runs in its own process); wall ms: median elapsed time.")


def print_cpu_report(results: list[Result], floors: dict[str, dict[str, Any]]) -> None:
    """The CPU per request of each process group under load, and the ratios a CPU-bound machine allows."""
    if not any(r.cpu for r in results) and not any(f.get("cpu") for f in floors.values()):
        return
    groups = ("gunicorn", "postgres", "wrk", "rest", "other", "total")
    print(f"\n{'CPU ms per request under load':<30} " + " ".join(f"{g:>8}" for g in groups)
          + f" {'busy':>5} {'ratio':>5} {'cpu':>5} {'ceil':>5} {'ceil-o':>6} {'pg':>5} {'goal':>5} {'py<=':>6}")
    for r in results:
        if r.cpu is None:
            continue
        ms = r.cpu["ms_per_request"]
        print(f"{r.endpoint:<30} " + " ".join(f"{ms[g]:8.2f}" for g in groups)
              + f" {r.cpu['busy']:5.0%} {r.ratio:5.0%} {r.cpu['cpu_model']:5.0%} {r.cpu['ceiling']:5.0%} "
              f"{r.cpu['ceiling_without_other']:6.0%} {r.cpu['postgres_only']:5.0%} {format(r.goal, '.0%'):>5}"
              f" {r.cpu.get('gunicorn_budget', float('nan')):6.2f}")
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
          "\nelse. py<=: the gunicorn (Python) CPU ms per request that would meet the goal, everything else per"
          "\nrequest unchanged: floor total / goal - (endpoint total - endpoint gunicorn); compare it with the"
          "\ngunicorn column (what it costs now) and the floor's (what the bare pipeline costs)."
          "\nAll assume a CPU-bound machine (busy near 100%). A goal above the ceiling is out of reach by"
          "\nPython work alone: it would need PostgreSQL (or wrk and the kernel) to do less per request. Per-round"
          "\nfigures, each floor window paired with the endpoint window just after it: --json.")
