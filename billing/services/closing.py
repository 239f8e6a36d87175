"""Billing's part of the batch close: issuing the draft invoices of the orders a chunk closed, in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from synthesq.core import postgres
from synthesq.core.actors import Actor
from synthesq.core.fsm import declared_transition
from synthesq.core.sequences import sequence_reserve_block

from .. import events
from ..history import InvoiceHistory
from ..models import Invoice, InvoiceEvent, InvoiceStatus
from .invoices import invoice_due_at, invoice_number, invoice_number_sequence, invoice_settle_if_paid

_ISSUE_TRANSITION = declared_transition(Invoice, InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)


def invoices_issue_for_closed_orders(*, order_ids: Sequence[str], actor: Actor, issued_at: datetime) -> int:
    """The batch close's invoice finalisation: issue the draft invoices of ``order_ids`` in bulk, taking their
    numbers in one locked step (a block of the year's counter). Runs in the batch's transaction; returns how
    many were issued."""
    invoice_ids = list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(order_id__in=order_ids, status=InvoiceStatus.DRAFT)
        .order_by("order_id").values_list("pk", flat=True)
    )
    if not invoice_ids:
        return 0
    year = issued_at.year
    first = sequence_reserve_block(invoice_number_sequence(year), len(invoice_ids))
    numbers = [invoice_number(year, first + offset) for offset in range(len(invoice_ids))]
    due_at = invoice_due_at(issued_at)
    _bulk_issue(invoice_ids, numbers, issued_at=issued_at, due_at=due_at)
    InvoiceEvent.objects.bulk_create([
        InvoiceEvent(invoice_id=pk, kind=InvoiceEvent.Kind.STATUS_CHANGED, from_status=InvoiceStatus.DRAFT,
                     to_status=InvoiceStatus.ISSUED, actor=actor, reason="order closed",
                     data={InvoiceHistory.NUMBER: number, InvoiceHistory.DUE_AT: due_at.isoformat(),
                           InvoiceHistory.BATCH: True}, created_at=issued_at)
        for pk, number in zip(invoice_ids, numbers, strict=True)
    ])
    events.publish_invoices_issued(invoice_ids)
    for invoice in Invoice.objects.filter(pk__in=invoice_ids, total=0):  # rare: nothing to pay
        invoice_settle_if_paid(invoice, actor=actor, reason="nothing to pay")
    return len(invoice_ids)


def _bulk_issue(invoice_ids: list[str], numbers: list[str], *, issued_at: datetime, due_at: datetime) -> None:
    """On PostgreSQL one statement for all rows, elsewhere row by row (``synthesq.core.postgres.update_each``)."""
    issued = postgres.update_each(
        Invoice, keys=invoice_ids, per_row={"number": numbers}, only_if={"status": str(InvoiceStatus.DRAFT)},
        same={"status": str(_ISSUE_TRANSITION.target), "issued_at": issued_at, "due_at": due_at,
              "updated_at": issued_at})
    if issued != len(invoice_ids):
        raise RuntimeError("invoices changed while being issued")
