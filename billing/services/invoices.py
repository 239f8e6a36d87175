"""Invoices: created from an order at confirmation (a snapshot), issued with a gap-free per-year number,
voided while nothing is paid, and following the order's lifecycle (cancel voids, close issues).

Each service runs in one transaction with the invoice's order and then the invoice locked. Invoice numbers
come from a per-year counter incremented in the issuing transaction (gap-free, never duplicated).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.events import publishes_events
from sales.models import Order
from sales.representations import line_discounts_representation, order_discounts_representation
from synthesq.core.actors import Actor
from synthesq.core.errors import PermissionRefused, ValidationFailed, field_error
from synthesq.core.fsm import conditions_met, transition_apply
from synthesq.core.models import set_prefetched
from synthesq.core.money import format_amount
from synthesq.core.postgres_documents import insert_document
from synthesq.core.sequences import sequence_next

from .. import events, selectors
from ..exceptions import InvalidInvoiceTransition, InvoiceHasCredit, InvoiceHasPayments, InvoiceIssued
from ..history import InvoiceHistory
from ..models import CreditNote, Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus


def invoice_number_sequence(year: int) -> str:
    return f"invoice-{year}"


def invoice_number(year: int, value: int) -> str:
    return f"INV-{year}-{value:06d}"


def invoice_due_at(issued_at: datetime) -> datetime:
    return issued_at + timedelta(days=settings.INVOICE_PAYMENT_TERMS_DAYS)


def _refuse(invoice: Invoice, target: str, detail: str | None = None) -> InvalidInvoiceTransition:
    return InvalidInvoiceTransition(current_status=invoice.status, requested_status=target,
                                    allowed_statuses=selectors.invoice_allowed_statuses(invoice), detail=detail)


def _forbidden(verb: str) -> Callable[[str], PermissionRefused]:
    """The 403 of a requested move; automations whose own permission was checked (closing an order, a payment on
    a draft) pass ``forbidden=None`` to ``transition_apply`` instead."""
    return lambda _target: PermissionRefused(f"Your role may not {verb} invoices.")


# --- creation ----------------------------------------------------------------------------------------


@publishes_events
def invoice_create_for_order(*, order: Order, actor: Actor) -> Invoice:
    """The order's draft invoice: a snapshot of customer, lines and totals. One per order: written with its lines
    and its history row in one statement unless the order has one already (then that one)."""
    customer = order.customer  # read with the order's lock (sales.selectors.order_lock_with_lines)
    invoice = Invoice(
        order=order, customer=customer, currency=order.currency,
        customer_name=customer.name, customer_email=customer.email,
        billing_address=customer.default_shipping_address or order.shipping_address,
        customer_tax_id=customer.tax_id, **_figures(order),
    )
    lines = _lines(invoice, order)
    created = InvoiceEvent.build(
        invoice, kind=InvoiceEvent.Kind.CREATED, actor=actor, to_status=invoice.status,
        data={InvoiceHistory.ORDER_ID: order.pk, InvoiceHistory.ORDER_NUMBER: order.order_number,
              InvoiceHistory.TOTAL: format_amount(invoice.total, invoice.currency)})
    if not insert_document(invoice, parts=(lines, [created]), unless=("order", order.pk)):
        return Invoice.objects.get(order=order)
    set_prefetched(invoice, "lines", lines)
    events.publish_invoice("invoice.created", invoice.pk, invoice=invoice)
    return invoice


def _figures(order: Order) -> dict[str, Any]:
    """The order's figures an invoice snapshots (at creation, and again when a confirmed order is amended)."""
    return {"tax_exempt_reason": order.tax_exempt_reason, "subtotal": order.subtotal,
            "charges_total": order.charges_total, "tax_total": order.tax_total, "total": order.total,
            "taxes": order.taxes, "prices_include_tax": order.prices_include_tax, "tax_rounding": order.tax_rounding,
            "discounts": order_discounts_representation(order)}


def _lines(invoice: Invoice, order: Order) -> list[InvoiceLine]:
    """The order's lines, then its charges as lines of their kind (unsaved)."""
    return [*(
        InvoiceLine(invoice=invoice, position=line.position, product_id=line.product_id, sku=line.sku,
                    description=line.name, quantity=line.quantity, unit_price=line.unit_price,
                    line_total=line.line_total, tax_class=line.tax_class, tax_rate=line.tax_rate,
                    net_amount=line.net_amount, tax_amount=line.tax_amount, gross_amount=line.gross_amount,
                    taxes=line.taxes, list_price=line.list_price, discounts=line_discounts_representation(line))
        for line in order.lines.all()
    ), *_charge_lines(invoice, order)]


def invoice_rewrite_for_amended_order(*, order: Order) -> Invoice | None:
    """Within an order's amendment (its caller locked the order and checked the role): its draft invoice is
    rewritten to match the order (figures and lines); a void one is left as it is; an issued (or paid) one is
    never rewritten: 409 ``invoice_issued``, refusing the amendment."""
    invoice = Invoice.objects.select_for_update().filter(order=order).first()
    if invoice is None or invoice.status == InvoiceStatus.VOID:
        return invoice
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvoiceIssued(invoice_id=invoice.pk, invoice_number=invoice.number, status=invoice.status)
    for name, value in _figures(order).items():
        setattr(invoice, name, value)
    invoice.save(update_fields=[*_figures(order), "updated_at"])
    invoice.lines.all().delete()
    set_prefetched(invoice, "lines", InvoiceLine.objects.bulk_create(_lines(invoice, order)))
    return invoice


def _charge_lines(invoice: Invoice, order: Order) -> list[InvoiceLine]:
    """The order's charges as invoice lines (kind shipping, handling or other), after its product lines."""
    first = max((line.position for line in order.lines.all()), default=0) + 1
    return [
        InvoiceLine(invoice=invoice, position=first + index, kind=charge["kind"], description=charge["description"],
                    quantity=1, unit_price=Decimal(charge["amount"]),
                    line_total=Decimal(charge["amount"]), tax_class=charge["tax_class"],
                    tax_rate=Decimal(charge["tax_rate"]), net_amount=Decimal(charge["net_amount"]),
                    tax_amount=Decimal(charge["tax_amount"]), gross_amount=Decimal(charge["gross_amount"]),
                    taxes=charge["taxes"])
        for index, charge in enumerate(order.charges)
    ]


# --- status changes ----------------------------------------------------------------------------------


def invoice_issue_locked(invoice: Invoice, *, actor: Actor, check_permission: bool, reason: str = "",
                         history: list[InvoiceEvent] | None = None) -> Invoice:
    """Issue a locked invoice: number, issue date, due date. ``check_permission`` is off for automations
    (closing an order, a payment on a draft), whose own permission was checked. With ``history`` the caller
    saves the invoice and writes the history rows (appended there) with its own, in one INSERT."""

    def numbered(invoice: Invoice) -> dict[str, Any]:
        now = timezone.now()
        return {"number": invoice_number(now.year, sequence_next(invoice_number_sequence(now.year))),
                "issued_at": now, "due_at": invoice_due_at(now)}

    def record(invoice: Invoice, from_status: str) -> None:
        _record(invoice, InvoiceEvent.build(
            invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED, actor=actor, from_status=from_status,
            to_status=invoice.status, reason=reason,
            data={InvoiceHistory.NUMBER: invoice.number, InvoiceHistory.DUE_AT: invoice.due_at}), history)

    from_status, _ = transition_apply(invoice, InvoiceStatus.ISSUED, actor=actor, invalid=_refuse,
                                      forbidden=_forbidden("issue") if check_permission else None, record=record,
                                      arguments=numbered, save=False)
    events.publish_invoice_moved(invoice.pk, from_status=from_status, to_status=invoice.status, invoice=invoice,
                                 at_commit=history is not None)
    invoice_settle_if_paid(invoice, actor=actor, reason="nothing to pay", history=history)
    return invoice


def _record(invoice: Invoice, row: InvoiceEvent, history: list[InvoiceEvent] | None) -> None:
    """Save the moved invoice and write its history row, or leave both to the caller collecting ``history``."""
    if history is not None:
        history.append(row)
        invoice.updated_at = timezone.now()  # as the caller's save will: the event renders the invoice now
        return
    invoice.save()
    row.save(force_insert=True)


def invoice_settle_if_paid(invoice: Invoice, *, actor: Actor, reason: str,
                           history: list[InvoiceEvent] | None = None) -> None:
    """An issued invoice whose payments cover its total becomes paid (an invoice of 0 at once)."""
    if invoice.status == InvoiceStatus.ISSUED and conditions_met(invoice, InvoiceStatus.PAID):
        invoice.settle()
        _record(invoice, InvoiceEvent.build(invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED, actor=actor,
                                            from_status=InvoiceStatus.ISSUED, to_status=invoice.status,
                                            reason=reason), history)
        events.publish_invoice_moved(invoice.pk, from_status=InvoiceStatus.ISSUED, to_status=invoice.status,
                                     invoice=invoice, at_commit=history is not None)


def _has_credit(invoice: Invoice, *, order_number: str | None = None) -> InvoiceHasCredit:
    """The refusal to void a credited invoice (or cancel its order), naming its credit notes."""
    notes = CreditNote.objects.filter(invoice=invoice).order_by("issued_at", "id").values_list("id", "number",
                                                                                              "total")
    return InvoiceHasCredit(
        invoice_id=invoice.pk, invoice_number=invoice.number, amount_credited=invoice.amount_credited,
        currency=invoice.currency, order_number=order_number,
        credit_notes=[{"id": note_id, "number": number, "total": str(format_amount(total, invoice.currency))}
                      for note_id, number, total in notes],
    )


def _void(invoice: Invoice, *, actor: Actor, check_permission: bool, reason: str = "") -> Invoice:

    def guard(invoice: Invoice) -> None:
        if invoice.has_payments:
            raise InvoiceHasPayments(invoice_id=invoice.pk, amount_paid=invoice.amount_paid,
                                     currency=invoice.currency)
        if invoice.has_credit:
            raise _has_credit(invoice)

    def record(invoice: Invoice, from_status: str) -> InvoiceEvent:
        return InvoiceEvent.record(invoice, kind=InvoiceEvent.Kind.STATUS_CHANGED, actor=actor,
                                   from_status=from_status, to_status=invoice.status, reason=reason)

    from_status, _ = transition_apply(invoice, InvoiceStatus.VOID, actor=actor, invalid=_refuse,
                                      forbidden=_forbidden("void") if check_permission else None, record=record,
                                      guard=guard, arguments={"reason": reason})
    events.publish_invoice_moved(invoice.pk, from_status=from_status, to_status=invoice.status)
    return invoice


@publishes_events
def invoice_issue(*, invoice_id: str, actor: Actor, reason: str = "") -> Invoice:
    return invoice_issue_locked(selectors.invoice_get_for_update(invoice_id), actor=actor, check_permission=True,
                                reason=reason)


@publishes_events
def invoice_void(*, invoice_id: str, actor: Actor, reason: str = "") -> Invoice:
    """Void a draft, or an issued invoice on which nothing has been paid (409 ``invoice_has_payments``) or
    credited (409 ``invoice_has_credit``)."""
    return _void(selectors.invoice_get_for_update(invoice_id), actor=actor, check_permission=True, reason=reason)


@publishes_events
def invoice_transition(*, invoice_id: str, status: str, actor: Actor, reason: str = "") -> Invoice:
    """The API's ``PATCH …/status``: ``issued`` or ``void``. ``paid`` is reached only by payments."""
    if status == InvoiceStatus.ISSUED:
        return invoice_issue(invoice_id=invoice_id, actor=actor, reason=reason)
    if status == InvoiceStatus.VOID:
        return invoice_void(invoice_id=invoice_id, actor=actor, reason=reason)
    if status not in InvoiceStatus.values:
        raise ValidationFailed(errors=[field_error("status", f"Unknown status {status!r}.", "invalid_choice")])
    invoice = selectors.invoice_get_for_update(invoice_id)
    detail = "An invoice becomes paid only by recording payments." if status == InvoiceStatus.PAID else None
    raise _refuse(invoice, status, detail)


# --- following the order -----------------------------------------------------------------------------


def invoice_void_for_cancelled_order(*, order: Order, actor: Actor) -> Invoice | None:
    """Cancelling an order voids its invoice; an invoice with payments (409 ``invoice_has_payments``) or credit
    notes (409 ``invoice_has_credit``) refuses the cancellation."""
    invoice = Invoice.objects.select_for_update(of=("self",)).filter(order=order).first()
    if invoice is None or invoice.status == InvoiceStatus.VOID:
        return invoice
    if invoice.has_payments:
        raise InvoiceHasPayments(
            invoice_id=invoice.pk, amount_paid=invoice.amount_paid, currency=invoice.currency,
            detail=f"The order's invoice {invoice.number or invoice.pk} has payments "
            f"({format_amount(invoice.amount_paid, invoice.currency)}); "
            "an order with payments cannot be cancelled.",
        )
    if invoice.has_credit:
        raise _has_credit(invoice, order_number=order.order_number)
    return _void(invoice, actor=actor, check_permission=False, reason=f"order {order.order_number} cancelled")


def invoice_finalise_for_closed_order(*, order: Order, actor: Actor) -> Invoice | None:
    """Closing an order issues its invoice if it is still a draft (the guide's invoice finalisation)."""
    invoice = Invoice.objects.select_for_update(of=("self",)).filter(order=order).first()
    if invoice is None or invoice.status != InvoiceStatus.DRAFT:
        return invoice
    return invoice_issue_locked(invoice, actor=actor, check_permission=False,
                                reason=f"order {order.order_number} closed")
