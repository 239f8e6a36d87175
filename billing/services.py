"""Writes for billing: invoices and payments.

Each service runs in one transaction with the invoice row locked. Invoice numbers come from a per-year
counter incremented in the issuing transaction (gap-free, never duplicated). Payments are checked against
the locked invoice, so concurrent payments can never together exceed its total.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from sales.models import Order
from synthesq.core.errors import NotFound, PermissionRefused, ValidationFailed
from synthesq.core.money import fits_currency, format_amount, minor_unit, quantize
from synthesq.core.sequences import sequence_next, sequence_reserve_block
from synthesq.observability import events as business_events

from .exceptions import (
    DuplicatePaymentReference,
    InvalidInvoiceTransition,
    InvoiceHasPayments,
    InvoiceNotPayable,
    Overpayment,
    PaymentCurrencyMismatch,
)
from .models import Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus, Payment

Actor = AbstractBaseUser | None


def invoice_number_sequence(year: int) -> str:
    return f"invoice-{year}"


def invoice_number(year: int, value: int) -> str:
    return f"INV-{year}-{value:06d}"


def invoice_due_at(issued_at: datetime) -> datetime:
    return issued_at + timedelta(days=settings.INVOICE_PAYMENT_TERMS_DAYS)


def _record(invoice: Invoice, *, kind: str, actor: Actor, from_status: str = "", to_status: str = "",
            reason: str = "", data: dict[str, Any] | None = None) -> InvoiceEvent:
    return InvoiceEvent.objects.create(
        invoice=invoice, kind=kind, from_status=from_status, to_status=to_status, actor=actor, reason=reason,
        data=data or {},
    )


def _lock_order_and_invoice(invoice_id: str) -> Invoice | None:
    """Lock the invoice's order, then the invoice (None if there is no such invoice).

    Order moves lock the order, then (through the receivers) its invoice; billing takes the same order. Locking
    the invoice alone is not enough: PostgreSQL share-locks the order when a transaction updates the invoice row
    a second time (its foreign key is checked again), so a payment on a draft, or one settling the invoice,
    would wait for the order while holding the invoice, and deadlock with a concurrent cancel or close."""
    order_id = Invoice.objects.filter(pk=invoice_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None
    list(Order.objects.select_for_update().filter(pk=order_id).values_list("pk", flat=True))
    return Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice_id).first()


def _lock_invoice(invoice_id: str) -> Invoice:
    invoice = _lock_order_and_invoice(invoice_id)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id!r}.")
    return invoice


def invoice_allowed_statuses(invoice: Invoice, user: Actor = None) -> list[str]:
    """Statuses the invoice may be moved to by request now (``paid`` is reached only through payments)."""
    moves = {InvoiceStatus.ISSUED: invoice.issue, InvoiceStatus.VOID: invoice.void}
    return [
        str(status) for status, method in moves.items()
        if (has_transition_perm(method, user) if user is not None else can_proceed(method))
    ]


def _refuse(invoice: Invoice, target: str, detail: str | None = None) -> InvalidInvoiceTransition:
    return InvalidInvoiceTransition(current_status=invoice.status, requested_status=target,
                                    allowed_statuses=invoice_allowed_statuses(invoice), detail=detail)


# --- creation ----------------------------------------------------------------------------------------


@transaction.atomic
def invoice_create_for_order(*, order: Order, actor: Actor) -> Invoice:
    """The order's draft invoice: a snapshot of customer, lines and totals. One per order."""
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    customer = order.customer
    invoice = Invoice.objects.create(
        order=order, customer=customer, currency=order.currency,
        customer_name=customer.name, customer_email=customer.email,
        billing_address=customer.default_shipping_address or order.shipping_address,
        subtotal=order.subtotal, total=order.total,
    )
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, position=line.position, product_id=line.product_id, sku=line.sku,
                    description=line.name, quantity=line.quantity, unit_price=line.unit_price,
                    line_total=line.line_total)
        for line in order.lines.all()
    ])
    _record(invoice, kind=InvoiceEvent.Kind.CREATED, actor=actor, to_status=invoice.status,
            data={"order_id": order.pk, "order_number": order.order_number,
                  "total": format_amount(invoice.total, invoice.currency)})
    return invoice


# --- status changes ----------------------------------------------------------------------------------


def _may(invoice: Invoice, method: Any, actor: Actor) -> bool:
    """The actor's role allows this move (its conditions are checked separately, with specific refusals)."""
    return actor is None or method._django_fsm.has_transition_perm(invoice, invoice.status, actor)


def _issue(invoice: Invoice, *, actor: Actor, check_permission: bool, reason: str = "") -> Invoice:
    """Issue a locked invoice: number, issue date, due date. ``check_permission`` is off for automations
    (closing an order, a payment on a draft), whose own permission was checked."""
    if not can_proceed(invoice.issue, check_conditions=False):
        raise _refuse(invoice, InvoiceStatus.ISSUED)
    if check_permission and not _may(invoice, invoice.issue, actor):
        raise PermissionRefused("Your role may not issue invoices.")
    now = timezone.now()
    number = invoice_number(now.year, sequence_next(invoice_number_sequence(now.year)))
    from_status = invoice.status
    invoice.issue(number=number, issued_at=now, due_at=invoice_due_at(now))
    invoice.save()
    _record(invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED, actor=actor, from_status=from_status,
            to_status=invoice.status, reason=reason, data={"number": number, "due_at": invoice.due_at})
    _settle_if_paid(invoice, actor=actor, reason="nothing to pay")
    return invoice


def _settle_if_paid(invoice: Invoice, *, actor: Actor, reason: str) -> None:
    """An issued invoice whose payments cover its total becomes paid (an invoice of 0 at once)."""
    if invoice.status == InvoiceStatus.ISSUED and can_proceed(invoice.settle):
        invoice.settle()
        invoice.save()
        _record(invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED, actor=actor, from_status=InvoiceStatus.ISSUED,
                to_status=invoice.status, reason=reason)


def _void(invoice: Invoice, *, actor: Actor, check_permission: bool, reason: str = "") -> Invoice:
    if not can_proceed(invoice.void, check_conditions=False):
        raise _refuse(invoice, InvoiceStatus.VOID)
    if check_permission and not _may(invoice, invoice.void, actor):
        raise PermissionRefused("Your role may not void invoices.")
    if invoice.amount_paid > 0:
        raise InvoiceHasPayments(invoice_id=invoice.pk, amount_paid=invoice.amount_paid, currency=invoice.currency)
    if not can_proceed(invoice.void):
        raise _refuse(invoice, InvoiceStatus.VOID)
    from_status = invoice.status
    invoice.void(reason=reason)
    invoice.save()
    _record(invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED, actor=actor, from_status=from_status,
            to_status=invoice.status, reason=reason)
    return invoice


@transaction.atomic
def invoice_issue(*, invoice_id: str, actor: Actor, reason: str = "") -> Invoice:
    return _issue(_lock_invoice(invoice_id), actor=actor, check_permission=True, reason=reason)


@transaction.atomic
def invoice_void(*, invoice_id: str, actor: Actor, reason: str = "") -> Invoice:
    """Void a draft, or an issued invoice on which nothing has been paid."""
    return _void(_lock_invoice(invoice_id), actor=actor, check_permission=True, reason=reason)


@transaction.atomic
def invoice_transition(*, invoice_id: str, status: str, actor: Actor, reason: str = "") -> Invoice:
    """The API's ``PATCH …/status``: ``issued`` or ``void``. ``paid`` is reached only by payments."""
    if status == InvoiceStatus.ISSUED:
        return invoice_issue(invoice_id=invoice_id, actor=actor, reason=reason)
    if status == InvoiceStatus.VOID:
        return invoice_void(invoice_id=invoice_id, actor=actor, reason=reason)
    if status not in InvoiceStatus.values:
        raise ValidationFailed(errors=[{"field": "status", "message": f"Unknown status {status!r}.",
                                        "code": "invalid_choice"}])
    invoice = _lock_invoice(invoice_id)
    detail = "An invoice becomes paid only by recording payments." if status == InvoiceStatus.PAID else None
    raise _refuse(invoice, status, detail)


# --- order automations -------------------------------------------------------------------------------


def invoice_void_for_cancelled_order(*, order: Order, actor: Actor) -> Invoice | None:
    """Cancelling an order voids its invoice; an invoice with payments refuses the cancellation (409)."""
    invoice = Invoice.objects.select_for_update(of=("self",)).filter(order=order).first()
    if invoice is None or invoice.status == InvoiceStatus.VOID:
        return invoice
    if invoice.amount_paid > 0:
        raise InvoiceHasPayments(
            invoice_id=invoice.pk, amount_paid=invoice.amount_paid, currency=invoice.currency,
            detail=f"The order's invoice {invoice.number or invoice.pk} has payments "
            f"({format_amount(invoice.amount_paid, invoice.currency)}); "
            "an order with payments cannot be cancelled.",
        )
    return _void(invoice, actor=actor, check_permission=False, reason=f"order {order.order_number} cancelled")


def invoice_finalise_for_closed_order(*, order: Order, actor: Actor) -> Invoice | None:
    """Closing an order issues its invoice if it is still a draft (the guide's invoice finalisation)."""
    invoice = Invoice.objects.select_for_update(of=("self",)).filter(order=order).first()
    if invoice is None or invoice.status != InvoiceStatus.DRAFT:
        return invoice
    return _issue(invoice, actor=actor, check_permission=False, reason=f"order {order.order_number} closed")


# --- payments ----------------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    invoice_id: str,
    amount: Decimal,
    currency: str,
    payment_method: str,
    reference: str,
    actor: Actor,
) -> Payment:
    """Record money received. A draft invoice is issued first; partial payments add up; the invoice
    becomes ``paid`` when they reach its total. Refused: void or paid invoice (409), other currency (422),
    more than the amount due (422), a reference already booked on this invoice (409)."""
    invoice = _lock_order_and_invoice(invoice_id)
    if invoice is None:
        raise ValidationFailed(f"Unknown invoice {invoice_id!r}.", errors=[
            {"field": "invoice_id", "message": f"Unknown invoice {invoice_id!r}.", "code": "not_found"}])
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED):
        raise InvoiceNotPayable(invoice_id=invoice.pk, status=invoice.status)
    if currency != invoice.currency:
        raise PaymentCurrencyMismatch(invoice_currency=invoice.currency, payment_currency=currency)
    if amount <= 0 or not fits_currency(amount, currency):
        message = (f"Must be positive, with at most {minor_unit(currency)} decimal places."
                   if amount > 0 else "Must be positive.")
        raise ValidationFailed(message, errors=[{"field": "amount", "message": message, "code": "invalid"}])
    reference = reference.strip()
    if not reference:
        raise ValidationFailed(errors=[{"field": "reference", "message": "Required.", "code": "required"}])
    duplicate = invoice.payments.filter(reference=reference).first()
    if duplicate is not None:
        raise DuplicatePaymentReference(invoice_id=invoice.pk, reference=reference, payment_id=duplicate.pk)
    amount = quantize(amount, currency)
    if amount > invoice.amount_due:
        raise Overpayment(amount=amount, amount_due=invoice.amount_due)

    if invoice.status == InvoiceStatus.DRAFT:
        _issue(invoice, actor=actor, check_permission=False, reason="payment received on a draft invoice")
    payment = Payment.objects.create(
        invoice=invoice, amount=amount, currency=currency, payment_method=payment_method, reference=reference,
        recorded_by=actor,
    )
    invoice.amount_paid += amount
    invoice.save(update_fields=["amount_paid", "updated_at"])
    _record(invoice, kind=InvoiceEvent.Kind.PAYMENT_RECORDED, actor=actor, from_status=invoice.status,
            to_status=invoice.status,
            data={"payment_id": payment.pk, "amount": str(amount), "payment_method": payment_method,
                  "reference": reference, "amount_paid": format_amount(invoice.amount_paid, currency)})
    _settle_if_paid(invoice, actor=actor, reason="paid in full")
    business_events.payment_recorded(payment_id=payment.pk, invoice_id=invoice.pk, amount=amount, currency=currency,
                                     payment_method=payment_method, invoice_status=invoice.status,
                                     actor_id=getattr(actor, "pk", None))
    return payment


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
                     data={"number": number, "due_at": due_at.isoformat(), "batch": True}, created_at=issued_at)
        for pk, number in zip(invoice_ids, numbers, strict=True)
    ])
    for invoice in Invoice.objects.filter(pk__in=invoice_ids, total=0):  # rare: nothing to pay
        _settle_if_paid(invoice, actor=actor, reason="nothing to pay")
    return len(invoice_ids)


_ISSUE_TRANSITION = Invoice.issue._django_fsm.get_transition(InvoiceStatus.DRAFT)  # type: ignore[attr-defined]


def _bulk_issue(invoice_ids: list[str], numbers: list[str], *, issued_at: datetime, due_at: datetime) -> None:
    """On PostgreSQL one statement for all rows (UPDATE … FROM unnest(ids, numbers)); elsewhere row by row."""
    target = str(_ISSUE_TRANSITION.target)
    if connection.vendor == "postgresql":
        table = Invoice._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table} AS invoice
                   SET status = %s, number = v.number, issued_at = %s, due_at = %s, updated_at = %s
                  FROM unnest(%s::varchar[], %s::varchar[]) AS v(id, number)
                 WHERE invoice.id = v.id AND invoice.status = %s
                """,
                [target, issued_at, due_at, issued_at, invoice_ids, numbers, str(InvoiceStatus.DRAFT)],
            )
            if cursor.rowcount != len(invoice_ids):
                raise RuntimeError("invoices changed while being issued")
        return
    for pk, number in zip(invoice_ids, numbers, strict=True):  # SQLite (development): row by row
        Invoice.objects.filter(pk=pk, status=InvoiceStatus.DRAFT).update(
            status=target, number=number, issued_at=issued_at, due_at=due_at, updated_at=issued_at)
