"""Billing follows the order lifecycle: these run inside the order's transaction, so a refusal here
(an invoice with payments or credit notes refusing a cancellation) refuses the order's move too. A credited
return gets its credit note the same way: a refusal (a void invoice, more than is left to credit) refuses the
credit."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from sales.models import Order, OrderStatus, Return
from sales.signals import (
    CloseFigures,
    close_figure,
    order_amended,
    order_status_changed,
    orders_closed,
    return_credited,
    return_requested,
)

from . import services

# Billing's figure in the batch close's report: the draft invoices it issued for the orders closed.
INVOICES_ISSUED = close_figure("invoices_issued", phrase="issued {count} invoice(s)")


@receiver(order_status_changed, sender=Order, dispatch_uid="billing.order_status_changed")
def follow_order_status(*, order: Order, to_status: str, actor: Any, **kwargs: Any) -> None:
    if to_status == OrderStatus.CONFIRMED:
        services.invoice_create_for_order(order=order, actor=actor)
    elif to_status == OrderStatus.CANCELLED:
        services.invoice_void_for_cancelled_order(order=order, actor=actor)
    elif to_status == OrderStatus.CLOSED:
        services.invoice_finalise_for_closed_order(order=order, actor=actor)


@receiver(order_amended, sender=Order, dispatch_uid="billing.order_amended")
def rewrite_the_draft_invoice(*, order: Order, actor: Any, **kwargs: Any) -> None:
    services.invoice_rewrite_for_amended_order(order=order)


@receiver(orders_closed, sender=Order, dispatch_uid="billing.orders_closed")
def finalise_invoices_of_closed_orders(
    *, order_ids: list[str], closed_at: Any, actor: Any, **kwargs: Any
) -> CloseFigures:
    issued = services.invoices_issue_for_closed_orders(order_ids=order_ids, actor=actor, issued_at=closed_at)
    return {INVOICES_ISSUED: issued}


@receiver(return_requested, sender=Return, dispatch_uid="billing.return_requested")
def refuse_an_uncreditable_return(*, return_: Return, actor: Any, **kwargs: Any) -> None:
    services.credit_note_check_return(return_=return_)


@receiver(return_credited, sender=Return, dispatch_uid="billing.return_credited")
def credit_the_return(*, return_: Return, actor: Any, **kwargs: Any) -> None:
    services.credit_note_issue_for_return(return_=return_, actor=actor)
