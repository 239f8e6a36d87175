"""Domain events of the sales app. Receivers run inside the transaction of the change (so a receiver that
raises a ``DomainError`` refuses the whole change); work outside the database belongs in
``transaction.on_commit``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.dispatch import Signal

# Sent after an order changed status and its history row was written.
# Arguments: order, from_status, to_status, actor, event (the OrderEvent row).
order_status_changed = Signal()

# Sent by order_amend inside its transaction, once the order's lines, totals and stock are amended (before its
# history row). Arguments: order (locked, its new lines loaded), actor. Billing's receiver rewrites the draft
# invoice, or refuses the amendment (409 invoice_issued) when the invoice is already issued.
order_amended = Signal()

# Sent by the batch close (close_delivered_orders) once per chunk of orders closed in bulk, inside the
# chunk's transaction, instead of one order_status_changed per order. Arguments: order_ids, closed_at, actor.
# A receiver returns what it did for the run's report, as ``CloseFigures`` (its own figures, declared with
# ``close_figure``), or None.
orders_closed = Signal()


@dataclass(frozen=True)
class CloseFigure:
    """A figure an app following ``orders_closed`` reports for the batch close: ``key`` names it in the JSON
    report and the run's log line, ``phrase`` says it in the text report (``{count}`` is the figure)."""

    key: str
    phrase: str


# What a receiver of ``orders_closed`` returns: how much of each of its figures one chunk made.
CloseFigures = Mapping[CloseFigure, int]

# Every figure the followers declared, in the order they declared them: each run reports each (0 if none).
CLOSE_FIGURES: list[CloseFigure] = []


def close_figure(key: str, *, phrase: str) -> CloseFigure:
    """Declare a figure the batch close reports (once, where the app connects its receiver)."""
    figure = CloseFigure(key=key, phrase=phrase)
    if figure not in CLOSE_FIGURES:
        CLOSE_FIGURES.append(figure)
    return figure

# Sent by return_request inside its transaction, once the return and its lines are written (before its history
# row). Arguments: return_ (lines loaded; return_.order is the locked order), actor. Billing's receiver refuses a
# return it could never credit (no invoice, a void one, or less left to credit than the order's open returns
# are worth): a DomainError it raises refuses the request, so a received return always has its way to credited.
return_requested = Signal()

# Sent by return_credit inside its transaction, after the return became credited and its history row was
# written. Arguments: return_ (the locked Return, lines loaded), actor. Billing's receiver issues the credit
# note; a DomainError it raises refuses the whole change.
return_credited = Signal()
