"""Business events as log lines (logger ``synthesq.events``) and Prometheus counters.

Each function takes plain values (ids, statuses, amounts), so any app can call it without this module
importing the apps. Changes that happen in a transaction are logged and counted once it commits
(``transaction.on_commit``): a move that a later check refuses, rolling its transaction back, leaves no line
and no count. The log lines carry the request's context (``request_id``, ``user_id``) when a request made
the change.

Who calls what:
- ``order_moved`` / ``orders_closed_in_batch``: ``receivers`` (the ``order_status_changed`` and
  ``orders_closed`` signals of ``sales.signals``).
- ``payment_recorded``: ``billing.services.payment_record``.
- ``batch_close_run``: ``sales.services.orders_close_delivered``.
- ``problem_returned``: ``synthesq.core.problems`` for every problem response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import structlog
from django.db import transaction

from . import metrics

log = structlog.get_logger("synthesq.events")


def order_moved(
    *, order_id: str, order_number: str, from_status: str, to_status: str, actor_id: Any = None
) -> None:
    from_status, to_status = str(from_status), str(to_status)

    def emit() -> None:
        log.info("order_moved", order_id=order_id, order_number=order_number, from_status=from_status,
                 to_status=to_status, actor_id=actor_id)
        metrics.ORDER_MOVES.labels(from_status=from_status, to_status=to_status).inc()

    transaction.on_commit(emit)


def orders_closed_in_batch(*, order_ids: Sequence[str], from_status: str, to_status: str) -> None:
    ids = list(order_ids)
    from_status, to_status = str(from_status), str(to_status)

    def emit() -> None:
        log.info("orders_closed", count=len(ids), order_ids=ids, from_status=from_status, to_status=to_status)
        metrics.ORDER_MOVES.labels(from_status=from_status, to_status=to_status).inc(len(ids))
        metrics.BATCH_CLOSE_ORDERS.inc(len(ids))

    transaction.on_commit(emit)


def payment_recorded(
    *, payment_id: str, invoice_id: str, amount: Decimal, currency: str, payment_method: str, invoice_status: str,
    actor_id: Any = None,
) -> None:
    invoice_status = str(invoice_status)

    def emit() -> None:
        log.info("payment_recorded", payment_id=payment_id, invoice_id=invoice_id, amount=str(amount),
                 currency=currency, payment_method=str(payment_method), invoice_status=invoice_status,
                 actor_id=actor_id)
        metrics.PAYMENTS.labels(currency=currency).inc()
        metrics.PAYMENT_AMOUNTS.labels(currency=currency).inc(float(amount))

    transaction.on_commit(emit)


def batch_close_run(
    *, closed: int, invoices_issued: int, failed: Mapping[str, str], skipped: Mapping[str, int], interrupted: bool
) -> None:
    """Called once at the end of a run (outside any transaction: each chunk has committed already)."""
    outcome = "interrupted" if interrupted else ("failures" if failed else "ok")
    log.info("batch_close_run", outcome=outcome, closed=closed, invoices_issued=invoices_issued,
             failed_order_ids=sorted(failed), skipped=dict(skipped))
    metrics.BATCH_CLOSE_RUNS.labels(outcome=outcome).inc()


def problem_returned(*, status: int, code: str) -> None:
    """A request answered with a problem: counted by status and code, and the code added to the request's
    closing log line (``problem_code``). Not deferred: the refused request's transaction is rolled back."""
    metrics.REFUSALS.labels(status=str(status), code=code).inc()
    structlog.contextvars.bind_contextvars(problem_code=code)
