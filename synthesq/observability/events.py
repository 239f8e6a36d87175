"""Refusals as Prometheus counters and on the request's log line: every problem response (RFC 9457) is counted by
status and code (``synthesq.core.problems`` calls ``problem_returned``). Each app logs and counts its own business
events (``sales.telemetry``, ``billing.telemetry``)."""

from __future__ import annotations

import structlog

from . import metrics


def problem_returned(*, status: int, code: str) -> None:
    """A request answered with a problem: counted by status and code, and the code added to the request's
    closing log line (``problem_code``). Not deferred: the refused request's transaction is rolled back."""
    metrics.REFUSALS.labels(status=str(status), code=code).inc()
    structlog.contextvars.bind_contextvars(problem_code=code)
