"""What the API benchmark measures: the endpoints, the floors they are compared with and the issue's
goals; one timed wrk window; an endpoint's figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.api.cpu import CpuUse

SETTINGS = "bench.floor.settings"  # the served settings: production plus the floor URLs
API = "/api/v1"


@dataclass(frozen=True)
class Endpoint:
    """A product endpoint, the floor it is compared with, and the issue's goal ratio."""

    name: str
    label: str
    floor: str  # "read" or "write": the bare floor's window it is compared with
    goal: float


ENDPOINTS = (
    # The product's own floor (bench/floor: its whole pipeline, one row read or updated): what the pipeline
    # alone costs against the bare floor.
    Endpoint("read-floor", "GET /api/v1/floor/read/{id} (the product's pipeline + one row)", "read", 0.80),
    Endpoint("get", "GET /api/v1/sales/orders/{id} (3 lines)", "read", 0.50),
    Endpoint("list", "GET /api/v1/sales/orders?limit=50", "read", 0.25),
    Endpoint("write-floor", "PATCH /api/v1/floor/write/{id} (the product's pipeline + one row)", "write", 0.80),
    Endpoint("create", "POST /api/v1/sales/orders (3 lines)", "write", 0.35),
    Endpoint("confirm", "PATCH /api/v1/sales/orders/{id}/status (confirm, 1 warehouse)", "write", 0.30),
    # The same drafts on products stocked in 3 warehouses, each line allocated from another one (issue 24).
    Endpoint("confirm-3wh", "PATCH /api/v1/sales/orders/{id}/status (confirm, 3 warehouses)", "write", 0.30),
)
DEFAULT_ENDPOINTS = tuple(e.name for e in ENDPOINTS)
# The endpoints that confirm drafts (each window needs its own fresh ones), and whether on the products stocked in
# 3 warehouses.
CONFIRMING = {"confirm": False, "confirm-3wh": True}
# The reference windows: the bare floor (../shared/bench-floor, its own gunicorn and database), each product
# window right after one of them.
FLOOR_LABELS = {"read": "GET /one/{id} (bare floor: 2 middlewares, raw SQL)",
                "write": "POST /write/{id} (bare floor: 2 middlewares, raw SQL)"}


def reference(kind: str) -> str:
    """The name of the bare floor's windows of a kind ("read" or "write")."""
    return f"bare-{kind}"


@dataclass
class Window:
    """One timed wrk run."""

    target: str  # an endpoint name (the product's floors among them), "bare-read" or "bare-write"
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
