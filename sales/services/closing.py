"""The batch close (``manage.py close_delivered_orders``): close every delivered order whose return window
has passed and that is not on hold, chunk by chunk.

Each chunk is one transaction: its rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (concurrent runs
never take the same order), their status and history rows are written in bulk, and ``orders_closed`` lets
other apps follow in the same transaction (billing issues the draft invoices); what each follower did comes
back as its receiver's figures (``sales.signals.CloseFigures``), which the run adds up for its report. A chunk
that fails is retried order by order, so one order's failure is reported and neither undoes nor stops the others.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from django.utils import timezone

from integrations.events import publishes_events
from synthesq.core.fsm import declared_transition

from .. import events, selectors, telemetry
from ..history import OrderHistory
from ..models import Order, OrderEvent, OrderStatus
from ..signals import CLOSE_FIGURES, CloseFigures, orders_closed

logger = logging.getLogger(__name__)

# The declared delivered → closed transition: the bulk path writes exactly its target.
_CLOSE_TRANSITION = declared_transition(Order, OrderStatus.DELIVERED, OrderStatus.CLOSED)

BUSY_RETRIES = 25
BUSY_WAIT_SECONDS = 0.2


@dataclass
class ChunkResult:
    closed: list[str] = field(default_factory=list)
    figures: Counter[str] = field(default_factory=Counter)  # what the followers of orders_closed reported

    def add(self, other: ChunkResult) -> None:
        self.closed.extend(other.closed)
        self.figures.update(other.figures)


def _declared_figures() -> Counter[str]:
    return Counter({figure.key: 0 for figure in CLOSE_FIGURES})


@dataclass
class CloseRunReport:
    as_of: datetime
    return_window_days: int
    cutoff: datetime
    closed: int = 0
    # Every declared figure of the followers of orders_closed (see ``sales.signals.close_figure``), by key.
    figures: Counter[str] = field(default_factory=_declared_figures)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False

    def __getattr__(self, name: str) -> int:
        """A follower's figure by its key, as an attribute (``report.<key>``)."""
        figures: Mapping[str, int] = self.__dict__.get("figures", {})
        if name in figures:
            return figures[name]
        raise AttributeError(name)


@publishes_events
def orders_close_chunk(
    *, cutoff: datetime, limit: int, exclude: Sequence[str] = (), order_ids: Sequence[str] | None = None
) -> ChunkResult:
    """Close up to ``limit`` closable orders in one transaction.

    Closable is exactly ``order_close``'s rule: delivered, not on hold (the transition's condition), no return
    requested or received, delivered at or before ``cutoff``. If anything fails the whole chunk rolls back: no
    order is left half-closed.
    """
    claim = selectors.orders_closable(cutoff=cutoff)
    if order_ids is not None:
        claim = claim.filter(pk__in=order_ids)
    if exclude:
        claim = claim.exclude(pk__in=exclude)
    ids = list(
        claim.select_for_update(skip_locked=True).order_by("delivered_at", "id").values_list("pk", flat=True)[:limit]
    )
    if ids:
        # Read again now that the orders are locked: the claim's snapshot may predate a return committed while
        # it ran (a return locks its order first, so none can appear after this read).
        opened = selectors.orders_with_open_returns(order_ids=ids)
        ids = [pk for pk in ids if pk not in opened]
    result = ChunkResult(closed=ids)
    if not ids:
        return result
    now = timezone.now()
    Order.objects.filter(pk__in=ids).update(status=_CLOSE_TRANSITION.target, closed_at=now, updated_at=now)
    OrderEvent.objects.bulk_create([
        OrderEvent(order_id=pk, kind=OrderEvent.Kind.STATUS_CHANGED, from_status=OrderStatus.DELIVERED,
                   to_status=str(_CLOSE_TRANSITION.target), reason="return window passed",
                   data={OrderHistory.BATCH: True},
                   created_at=now)
        for pk in ids
    ])
    events.publish_orders_closed(ids)
    for _receiver, figures in orders_closed.send(sender=Order, order_ids=ids, closed_at=now, actor=None):
        for figure, count in cast("CloseFigures", figures or {}).items():
            result.figures[figure.key] += count
    telemetry.orders_closed_in_batch(order_ids=ids, from_status=OrderStatus.DELIVERED,
                                     to_status=str(_CLOSE_TRANSITION.target))
    return result


def _describe(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    return f"{code}: {exc}" if isinstance(code, str) else f"{type(exc).__name__}: {exc}"


def orders_close_delivered(
    *,
    as_of: datetime,
    return_window_days: int,
    batch_size: int = 1000,
    limit: int | None = None,
    on_progress: Callable[[CloseRunReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> CloseRunReport:
    """Close every closable order, chunk by chunk (each chunk its own transaction)."""
    cutoff = selectors.close_cutoff(as_of=as_of, return_window_days=return_window_days)
    report = CloseRunReport(as_of=as_of, return_window_days=return_window_days, cutoff=cutoff,
                            skipped=selectors.close_skip_counts(cutoff=cutoff))
    busy_waits = 0
    while True:
        if should_stop():
            report.interrupted = True
            break
        want = batch_size if limit is None else min(batch_size, limit - report.closed)
        if want <= 0:
            break
        try:
            chunk = orders_close_chunk(cutoff=cutoff, limit=want, exclude=list(report.failed))
        except Exception:
            chunk = _close_one_by_one(cutoff=cutoff, limit=want, failed=report.failed)
        if not chunk.closed:
            # Candidates left but none claimable: another run or request holds them. Wait a little for
            # it to finish, then leave them to it (or to the next run) rather than spin.
            busy_waits += 1
            if busy_waits > BUSY_RETRIES or not _has_candidates(cutoff, report.failed):
                break
            time.sleep(BUSY_WAIT_SECONDS)
            continue
        busy_waits = 0
        report.closed += len(chunk.closed)
        report.figures.update(chunk.figures)
        if on_progress is not None:
            on_progress(report)
    telemetry.batch_close_run(closed=report.closed, figures=report.figures, failed=report.failed,
                              skipped=report.skipped, interrupted=report.interrupted)
    return report


def _close_one_by_one(*, cutoff: datetime, limit: int, failed: dict[str, str]) -> ChunkResult:
    candidates = list(
        selectors.orders_closable(cutoff=cutoff).exclude(pk__in=list(failed))
        .order_by("delivered_at", "id").values_list("pk", flat=True)[:limit]
    )
    result = ChunkResult()
    for pk in candidates:
        try:
            result.add(orders_close_chunk(cutoff=cutoff, limit=1, order_ids=[pk]))
        except Exception as exc:
            logger.exception("Closing order %s failed", pk)
            failed[pk] = _describe(exc)
    return result


def _has_candidates(cutoff: datetime, failed: dict[str, str]) -> bool:
    return selectors.orders_closable(cutoff=cutoff).exclude(pk__in=list(failed)).exists()
