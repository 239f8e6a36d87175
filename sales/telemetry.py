"""What sales tells operations: order moves and batch close runs as log lines (logger ``synthesq.events``)
and Prometheus counters. A move is logged and counted once its transaction commits, so a move rolled back by a
later refusal leaves no line and no count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from prometheus_client import Counter

from synthesq.observability.logs import business_log

ORDER_MOVES = Counter(
    "synthesq_order_moves_total", "Order status changes, by from and to status.", ["from_status", "to_status"]
)
BATCH_CLOSE_RUNS = Counter(
    "synthesq_batch_close_runs_total", "Runs of the batch close (close_delivered_orders), by outcome.", ["outcome"]
)
BATCH_CLOSE_ORDERS = Counter("synthesq_batch_close_orders_closed_total", "Orders closed by the batch close.")


def order_moved(*, order_id: str, order_number: str, from_status: str, to_status: str, actor_id: Any = None) -> None:
    from_status, to_status = str(from_status), str(to_status)

    def emit() -> None:
        business_log.info("order_moved", order_id=order_id, order_number=order_number, from_status=from_status,
                          to_status=to_status, actor_id=actor_id)
        ORDER_MOVES.labels(from_status=from_status, to_status=to_status).inc()

    transaction.on_commit(emit)


def orders_closed_in_batch(*, order_ids: Sequence[str], from_status: str, to_status: str) -> None:
    ids = list(order_ids)
    from_status, to_status = str(from_status), str(to_status)

    def emit() -> None:
        business_log.info("orders_closed", count=len(ids), order_ids=ids, from_status=from_status,
                          to_status=to_status)
        ORDER_MOVES.labels(from_status=from_status, to_status=to_status).inc(len(ids))
        BATCH_CLOSE_ORDERS.inc(len(ids))

    transaction.on_commit(emit)


def batch_close_run(
    *, closed: int, figures: Mapping[str, int], failed: Mapping[str, str], skipped: Mapping[str, int],
    interrupted: bool,
) -> None:
    """Once at the end of a run (outside any transaction: each chunk has committed already)."""
    outcome = "interrupted" if interrupted else ("failures" if failed else "ok")
    business_log.info("batch_close_run", outcome=outcome, closed=closed, **figures,
                      failed_order_ids=sorted(failed), skipped=dict(skipped))
    BATCH_CLOSE_RUNS.labels(outcome=outcome).inc()
