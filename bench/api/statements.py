"""Each kind of request of the API benchmark replayed in-process through Django's test client: its SQL
statements and, over samples, its CPU time."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.api.endpoints import API, CONFIRMING
from bench.api.seeding import Seed, create_body, make_drafts

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def is_transaction_control(sql: str) -> bool:
    """BEGIN, COMMIT, SAVEPOINT and the like: counted by ``CaptureQueriesContext`` (and so by pytest-django's
    query assertions) like any statement; shown apart too, as what is left is the data work."""
    return sql.strip().upper().startswith(_TRANSACTION_CONTROL)


def replay_requests(state: Seed, *, drafts: int) -> dict[str, Callable[[int], Any]]:
    """Each kind of request, sent through Django's test client (the whole stack, the settings in force) with the
    token; call with a request number ``i``: reads cycle through the seeded orders, each confirm takes the next of
    ``drafts`` fresh drafts made here (one per confirm sent; for ``confirm-3wh`` on the products stocked in 3
    warehouses). Shared with ``bench/profile_api.py``."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {state.token}")

    def fresh_drafts(multi_warehouse: bool) -> Iterator[str]:  # made at the first confirm of its kind
        yield from make_drafts(state, drafts, multi_warehouse=multi_warehouse)

    fresh = {name: fresh_drafts(multi) for name, multi in CONFIRMING.items()}
    body = json.dumps(create_body(state))
    read_ids = state.read_ids

    def confirm(name: str) -> Callable[[int], Any]:
        return lambda i: client.patch(f"{API}/sales/orders/{next(fresh[name])}/status", {"status": "confirmed"},
                                      content_type="application/json")

    return {
        "read-floor": lambda i: client.get(f"{API}/floor/read/{read_ids[i % len(read_ids)]}"),
        "get": lambda i: client.get(f"{API}/sales/orders/{read_ids[i % len(read_ids)]}"),
        "list": lambda i: client.get(f"{API}/sales/orders?limit=50"),
        "write-floor": lambda i: client.patch(f"{API}/floor/write/{read_ids[i % len(read_ids)]}",
                                              {"carrier": "UPS"}, content_type="application/json"),
        "create": lambda i: client.post(f"{API}/sales/orders", body, content_type="application/json"),
        **{name: confirm(name) for name in CONFIRMING},
    }


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
