"""Profile: where the CPU time of each hot API request goes, against its floor (issue 15).

    make profile-api                       # or: .venv/bin/python -m bench.profile_api [--requests N] [--top N]

In a scratch PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_profile_api,
dropped and created anew) it seeds what ``bench.api`` seeds (its ``seed``, with ``--read-orders`` orders of 3
lines) and, under the same settings (``bench.floor.settings``: production plus the floor URLs, DEBUG off, no
per-token rate limit), replays each request in-process through Django's test client exactly as ``bench.api``'s
statement and CPU replay does (its ``replay_requests``): the two floors, get, list of 50, create and confirm. Each
request is sent twice untimed (steady state: the token's throttled ``last_used_at`` written, caches warm), then
``--requests`` times (default 200) under cProfile with a CPU-time clock (``time.process_time``; ``--wall``: elapsed
time, so the waits on PostgreSQL show), after ``--cpu-samples`` unprofiled ones timed for the median CPU time.

Each profiled function's own time is put in the first category whose rule its file path matches (``CATEGORIES``
below); a helper's own time (the standard library, C functions such as ``psycopg_binary``'s ``execute``, Django's
and asgiref's utilities) goes to the category of the function that called it, split over its callers by their
share. The table prints per endpoint the milliseconds per request by category and the difference to its floor
(read floor for get and list, write floor for create and confirm): where the gap is. The profiler's own overhead
(it makes a request 3-4 times slower) is spread over all of it, so ``prof ms`` and ``share`` are the profiled
figures and ``est ms`` (with the floor's and the gap) the share times the unprofiled median CPU time. ``--top N``
lists, per endpoint, the N functions of our own code (sales, billing, inventory, integrations, synthesq/core)
with the largest cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.api.endpoints import SETTINGS
from bench.api.seeding import seed, vacuum_analyze
from bench.api.statements import replay_requests
from bench.scratch_db import ROOT, setup_scratch_database
from synthesq.collector import settle_loaded_app

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_profile_api"
# Each endpoint with the floor it is compared with, in the order printed.
ENDPOINTS = (("read-floor", None), ("get", "read-floor"), ("list", "read-floor"),
             ("write-floor", None), ("create", "write-floor"), ("confirm", "write-floor"),
             ("confirm-3wh", "write-floor"))
OUR_APPS = ("sales", "billing", "inventory", "integrations", "synthesq/core")

FuncKey = tuple[str, int, str]  # (file, line, function name), as pstats keys functions


@dataclass(frozen=True)
class Category:
    """A category of CPU time: a function is in it if its path (``/``-separated, relative to the checkout for our
    code, from the package directory for installed ones) holds one of ``paths`` and, when ``functions`` is given,
    its name is one of them."""

    name: str
    paths: tuple[str, ...]
    functions: tuple[str, ...] = ()

    def matches(self, path: str, function: str) -> bool:
        return any(p in path for p in self.paths) and (not self.functions or function in self.functions)


_DB_BASE = "django/db/models/base.py"
CATEGORIES: tuple[Category, ...] = (
    Category("PostgreSQL round trips (psycopg, django/db/backends)", ("/psycopg/", "/psycopg_binary/",
                                                                       "django/db/backends/")),
    Category("model instantiation (Model.__init__/from_db, related descriptors)",
             (_DB_BASE, "django/db/models/fields/related_descriptors.py", "django/db/models/query_utils.py"),
             ("__init__", "from_db", "__get__", "__set__", "_get_pk_val", "_set_pk_val", "get_deferred_fields",
              "_check_parent_chain", "get_cached_value", "is_cached", "set_cached_value", "_get_FIELD_display",
              "__reduce__", "__getstate__", "__setstate__", "__eq__", "__hash__")),
    Category("model instantiation (Model.__init__/from_db, related descriptors)",
             ("django/db/models/fields/related_descriptors.py", "django/db/models/fields/mixins.py")),
    Category("ORM query building/compiling (sql/, expressions, lookups, query.py)",
             ("django/db/models/sql/", "django/db/models/expressions.py", "django/db/models/lookups.py",
              "django/db/models/query.py", "django/db/models/query_utils.py", "django/db/models/manager.py",
              "django/db/models/functions/", "django/db/models/aggregates.py", "django/db/models/deletion.py")),
    Category("ORM other (fields' conversions, save, transaction, signals)",
             ("django/db/", "django/dispatch/", "django_fsm")),
    Category("our code: sales", ("<root>/sales/",)),
    Category("our code: billing", ("<root>/billing/",)),
    Category("our code: inventory", ("<root>/inventory/",)),
    Category("our code: integrations", ("<root>/integrations/",)),
    Category("our code: synthesq/core", ("<root>/synthesq/core/",)),
    Category("bench floor views", ("<root>/bench/",)),
    Category("JSON rendering (json, DRF renderers)", ("rest_framework/renderers.py", "/json/", "orjson",
                                                     "rest_framework/utils/encoders.py")),
    Category("DRF request/parsing/validation (serializers, fields, request, parsers)",
             ("rest_framework/serializers.py", "rest_framework/fields.py", "rest_framework/request.py",
              "rest_framework/parsers.py", "rest_framework/relations.py", "rest_framework/validators.py",
              "rest_framework/utils/", "rest_framework/settings.py")),
    Category("DRF views, auth, permissions, throttling, pagination",
             ("rest_framework/", "drf_spectacular/", "django_filters/")),
    Category("middleware, Django request handling, logging, metrics",
             ("django/core/handlers/", "django/middleware/", "django/contrib/sessions/", "django/contrib/auth/",
              "django/contrib/messages/", "django/http/", "django/urls/", "django/views/", "django/core/signing",
              "structlog", "django_structlog", "prometheus", "whitenoise", "corsheaders", "sentry_sdk",
              "python_ipware", "ipware", "/logging/")),
    Category("Django test client (replay harness, not in production)", ("django/test/",)),
)
OTHER = "other (third-party packages not listed, helpers without a caller)"
CATEGORY_NAMES: tuple[str, ...] = tuple(dict.fromkeys([c.name for c in CATEGORIES] + [OTHER]))


def normalized(filename: str) -> str:
    """Our files as ``<root>/app/…``, installed ones from their package directory on (``…/django/db/…``)."""
    path = filename.replace(os.sep, "/")
    root = str(ROOT).replace(os.sep, "/") + "/"
    if path.startswith(root) and "/site-packages/" not in path:
        return "<root>/" + path[len(root):]
    return path


# Helpers that work for whoever calls them: the standard library, C functions, Django's and asgiref's utilities.
# Their own time is charged to their callers' categories.
_STDLIB = os.path.dirname(os.__file__).replace(os.sep, "/") + "/"
_HELPERS = ("django/utils/", "asgiref/", "/typing_extensions.py")


def is_helper(key: FuncKey) -> bool:
    filename = key[0]
    if filename == "~" or filename.startswith("<"):
        return True
    path = filename.replace(os.sep, "/")
    return (path.startswith(_STDLIB) and "/site-packages/" not in path) or any(h in path for h in _HELPERS)


def categorize(key: FuncKey) -> str | None:
    """The category of a function by its file path; None for a helper (``is_helper``), charged to its callers."""
    if is_helper(key):
        return None
    path = normalized(key[0])
    for category in CATEGORIES:
        if category.matches(path, key[2]):
            return category.name
    return OTHER


@dataclass
class Profile:
    name: str
    requests: int
    cpu_ms: float  # median CPU time per request, without the profiler
    by_category: dict[str, float] = field(default_factory=dict)  # ms per request, profiled
    ours: list[tuple[str, float, float, int]] = field(default_factory=list)  # function, cum ms, own ms, calls

    @property
    def total_ms(self) -> float:
        return sum(self.by_category.values())


def split(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """Own time per category, in ms per request. A helper's own time is split over its callers by the time each
    caller's calls spent in it (the profile records who called whom, one level up); where a caller is a helper
    too, its share goes on up the same way, split by that helper's callers' cumulative time (recursion cut short
    is "other")."""
    table: dict[FuncKey, tuple[int, int, float, float, dict[FuncKey, tuple[int, int, float, float]]]]
    table = stats.stats  # type: ignore[attr-defined]
    shares: dict[FuncKey, dict[str, float]] = {}

    def distribution(key: FuncKey, visiting: frozenset[FuncKey], by_own: bool = False) -> dict[str, float]:
        """The fraction of the function's time each category is charged."""
        category = categorize(key)
        if category is not None:
            return {category: 1.0}
        if not by_own and key in shares:
            return shares[key]
        callers = table.get(key, (0, 0, 0.0, 0.0, {}))[4]
        weights = {caller: timing[2 if by_own else 3] for caller, timing in callers.items()
                   if caller not in visiting and timing[2 if by_own else 3] > 0}
        whole = sum(weights.values())
        result: dict[str, float] = {}
        if not whole:
            result = {OTHER: 1.0}
        else:
            for caller, weight in weights.items():
                for name, fraction in distribution(caller, visiting | {key}).items():
                    result[name] = result.get(name, 0.0) + fraction * weight / whole
        if not by_own:
            shares[key] = result
        return result

    totals = dict.fromkeys(CATEGORY_NAMES, 0.0)
    for key, (_cc, _nc, own, _cum, _callers) in table.items():
        for name, fraction in distribution(key, frozenset(), by_own=True).items():
            totals[name] += own * fraction
    return {name: seconds * 1000 / requests for name, seconds in totals.items()}


def our_top(stats: pstats.Stats, requests: int, count: int) -> list[tuple[str, float, float, int]]:
    table: dict[FuncKey, tuple[int, int, float, float, dict[Any, Any]]] = stats.stats  # type: ignore[attr-defined]
    rows: list[tuple[str, float, float, int]] = []
    for (filename, line, function), (_cc, calls, own, cumulative, _callers) in table.items():
        path = normalized(filename)
        if any(path.startswith(f"<root>/{app}/") for app in OUR_APPS) and "/migrations/" not in path:
            rows.append((f"{path[len('<root>/'):]}:{line} {function}", cumulative * 1000 / requests,
                         own * 1000 / requests, calls // requests if calls >= requests else 0))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:count]


def profile_endpoint(name: str, send: Callable[[int], Any], *, requests: int, cpu_samples: int, top: int,
                     wall: bool, start: int, save: str | None) -> Profile:
    def answered(response: Any) -> None:
        if response.status_code >= 300:
            raise SystemExit(f"{name}: {response.status_code} {response.content[:500]!r}")

    number = start
    for _ in range(2):  # steady state, as bench.api: the token's last_used_at written, caches warm
        answered(send(number))
        number += 1
    cpu: list[float] = []
    for _ in range(cpu_samples):
        begin = time.process_time()
        response = send(number)
        cpu.append(time.process_time() - begin)
        answered(response)
        number += 1
    profiler = cProfile.Profile(time.perf_counter if wall else time.process_time)
    responses: list[Any] = []
    profiler.enable()
    for _ in range(requests):
        responses.append(send(number))
        number += 1
    profiler.disable()
    for response in responses:
        answered(response)
    if save:
        Path(save).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(Path(save) / f"{name}.prof")
    stats = pstats.Stats(profiler)
    return Profile(name=name, requests=requests, cpu_ms=statistics.median(cpu) * 1000 if cpu else 0.0,
                   by_category=split(stats, requests), ours=our_top(stats, requests, top))


def estimated(profile: Profile) -> dict[str, float]:
    """The categories scaled to the unprofiled CPU time per request (the profiler's overhead spread evenly: an
    estimate; categories of many small calls, as the ORM's, are somewhat overstated by it)."""
    if not profile.cpu_ms or not profile.total_ms:
        return dict(profile.by_category)
    scale = profile.cpu_ms / profile.total_ms
    return {name: value * scale for name, value in profile.by_category.items()}


def print_table(profiles: dict[str, Profile], *, wall: bool) -> None:
    clock = "elapsed" if wall else "CPU"
    for name, floor_name in ENDPOINTS:
        if name not in profiles:
            continue
        profile = profiles[name]
        floor = profiles.get(floor_name) if floor_name else None
        title = f"{name}: {profile.requests} requests profiled, {clock} ms per request"
        if floor is not None:
            title += f", against {floor_name}"
        print(f"\n{title}")
        head = f"  {'category':<72}{'prof ms':>8}{'share':>7}{'est ms':>8}"
        print(head + (f"{'floor':>8}{'gap':>8}" if floor else ""))
        est = estimated(profile)
        floor_est = estimated(floor) if floor else {}
        for category in CATEGORY_NAMES:
            value = profile.by_category.get(category, 0.0)
            base = floor_est.get(category, 0.0)
            if value < 0.005 and base < 0.005:
                continue
            share = value / profile.total_ms if profile.total_ms else 0.0
            cells = f"{value:8.2f}{share:7.0%}{est.get(category, 0.0):8.2f}"
            if floor:
                cells += f"{base:8.2f}{est.get(category, 0.0) - base:+8.2f}"
            print(f"  {category:<72}{cells}")
        cells = f"{profile.total_ms:8.2f}{1:7.0%}{sum(est.values()):8.2f}"
        if floor:
            cells += f"{sum(floor_est.values()):8.2f}{sum(est.values()) - sum(floor_est.values()):+8.2f}"
        print(f"  {'total':<72}{cells}")
        if profile.ours:
            print(f"  {f'our code, top {len(profile.ours)} by cumulative time (profiled ms)':<74}"
                  f"{'cum':>8}{'own':>8}{'calls':>8}")
            for function, cumulative, own, calls in profile.ours:
                print(f"    {function:<70}{cumulative:8.2f}{own:8.2f}{calls:8d}")


def summary(profiles: dict[str, Profile]) -> None:
    """One line per endpoint: its gap to the floor by category, largest first."""
    print("\nGap to the floor by category, largest first (est. ms per request; est = profiled share x unprofiled"
          " CPU time):")
    for name, floor_name in ENDPOINTS:
        if floor_name is None or name not in profiles or floor_name not in profiles:
            continue
        est, floor_est = estimated(profiles[name]), estimated(profiles[floor_name])
        gaps = sorted(((est.get(c, 0.0) - floor_est.get(c, 0.0), c) for c in CATEGORY_NAMES), reverse=True)
        parts = ", ".join(f"{c.split(' (')[0]} {g:+.2f}" for g, c in gaps if abs(g) >= 0.05)
        total = sum(est.values()) - sum(floor_est.values())
        print(f"  {name:<8} {sum(est.values()):6.2f} vs {sum(floor_est.values()):5.2f} ({total:+.2f}): {parts}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="profiled requests per endpoint (default 200)")
    parser.add_argument("--cpu-samples", type=int, default=50,
                        help="unprofiled replays per endpoint timed for the median CPU time (default 50, 0: none)")
    parser.add_argument("--read-orders", type=int, default=2000, help="orders of 3 lines read by id (default 2000)")
    parser.add_argument("--endpoints", default=",".join(name for name, _ in ENDPOINTS),
                        help="comma-separated subset of read-floor,get,list,write-floor,create,confirm,confirm-3wh "
                        "(default all)")
    parser.add_argument("--top", type=int, default=0, help="also list the N functions of our code with the largest "
                        "cumulative time, per endpoint (default 0: none)")
    parser.add_argument("--wall", action="store_true", help="profile elapsed time instead of CPU time")
    parser.add_argument("--save", default=None, metavar="DIR", help="also write each endpoint's raw profile "
                        "(DIR/<endpoint>.prof, for snakeviz or pstats)")
    args = parser.parse_args(argv)
    known = {name for name, _ in ENDPOINTS}
    args.endpoint_list = [name.strip() for name in args.endpoints.split(",") if name.strip()]
    unknown = sorted(set(args.endpoint_list) - known)
    if unknown or not args.endpoint_list:
        parser.error(f"unknown endpoint(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    if args.requests < 1 or args.cpu_samples < 0 or args.top < 0:
        parser.error("need --requests >= 1, --cpu-samples >= 0, --top >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    # The served settings, as bench.api: production plus the floor URLs, DEBUG off, plain HTTP, quiet logs.
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = setup_scratch_database(DEFAULT_URL)
    from django.conf import settings

    if settings.DEBUG:
        raise SystemExit("DEBUG is on: the profile would measure the debug query log; unset DEBUG")
    print(f"Seeding {url.rsplit('/', 1)[1]}: 20 customers, 60 products, {args.read_orders} orders of 3 lines …",
          flush=True)
    state = seed(read_orders=args.read_orders)
    vacuum_analyze()
    confirming = {"confirm", "confirm-3wh"} & set(args.endpoint_list)
    confirms = (2 + args.cpu_samples + args.requests) if confirming else 0
    senders = replay_requests(state, drafts=confirms)
    vacuum_analyze()
    # As a gunicorn worker once the app is loaded: without it, the collector's full runs over the app's own
    # objects land in whatever request allocates at that moment and swell its functions' own time.
    gc.collect()
    settle_loaded_app()
    profiles: dict[str, Profile] = {}
    for name in [n for n, _ in ENDPOINTS if n in args.endpoint_list]:
        print(f"Profiling {name}: {args.requests} requests …", flush=True)
        profiles[name] = profile_endpoint(name, senders[name], requests=args.requests, cpu_samples=args.cpu_samples,
                                          top=args.top, wall=args.wall, start=0, save=args.save)
    print(f"\nsettings {SETTINGS} (DEBUG off); {args.requests} profiled requests per endpoint, clock "
          f"{'time.perf_counter (elapsed)' if args.wall else 'time.process_time (CPU)'}; Python "
          f"{sys.version.split()[0]}")
    print_table(profiles, wall=args.wall)
    summary(profiles)


if __name__ == "__main__":
    main()
