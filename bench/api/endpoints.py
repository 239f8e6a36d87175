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
