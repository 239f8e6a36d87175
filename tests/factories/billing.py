from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from billing import services
from billing.models import CreditNote, Invoice, InvoiceStatus, Payment, Refund
from sales.models import OrderStatus

from .sales import OrderFactory

_ORDER_KWARGS = ("customer", "currency", "lines", "line_count", "quantity", "stock", "actor")


class InvoiceFactory(factory.django.DjangoModelFactory):
    """The invoice of an order, made the way production makes it: confirming the order creates it (a draft),
    the billing services move it on.

    ``InvoiceFactory()`` is the draft invoice of a confirmed order of 2 x 129.99 USD.
    ``InvoiceFactory(status="issued")``, ``status="void"``, ``status="paid"`` (paid in full by one payment);
    ``InvoiceFactory(status="issued", paid=Decimal("100.00"))`` is part-paid. ``order_status="delivered"``
    walks the order further first; ``lines``, ``currency``, ``customer``… are passed to ``OrderFactory``.
    """

    class Meta:
        model = Invoice

    # Not model fields: how to build it (taken out in _create).
    status = InvoiceStatus.DRAFT
    order_status = OrderStatus.CONFIRMED
    paid = None
    actor = None

    @classmethod
    def _create(cls, model_class: type[Invoice], *args: Any, **kwargs: Any) -> Invoice:
        status = kwargs.pop("status")
        paid: Decimal | None = kwargs.pop("paid")
        actor = kwargs.get("actor")
        order_kwargs = {name: kwargs.pop(name) for name in _ORDER_KWARGS if name in kwargs}
        order = OrderFactory(status=kwargs.pop("order_status"), **order_kwargs)
        if kwargs:
            raise TypeError(f"InvoiceFactory does not take {', '.join(sorted(kwargs))}")
        invoice = Invoice.objects.get(order=order)
        if status in (InvoiceStatus.ISSUED, InvoiceStatus.VOID) and invoice.status == InvoiceStatus.DRAFT:
            services.invoice_issue(invoice_id=invoice.pk, actor=actor)
        if status == InvoiceStatus.VOID:
            services.invoice_void(invoice_id=invoice.pk, actor=actor, reason="test")
        if status == InvoiceStatus.PAID:
            paid = invoice.amount_due
        if paid:
            PaymentFactory(invoice=invoice, amount=paid, actor=actor)
        invoice.refresh_from_db()
        return invoice


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment recorded through ``billing.services.payment_record`` (a draft invoice gets issued, a payment
    reaching the total settles it). ``amount`` defaults to the whole amount due."""

    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = None
    currency = None
    payment_method = Payment.Method.BANK_TRANSFER
    reference = factory.Sequence(lambda n: f"TXN-{n:06d}")
    actor = None

    @classmethod
    def _create(cls, model_class: type[Payment], *args: Any, **kwargs: Any) -> Payment:
        invoice = Invoice.objects.get(pk=kwargs["invoice"].pk)
        return services.payment_record(
            invoice_id=invoice.pk,
            amount=kwargs["amount"] if kwargs["amount"] is not None else invoice.amount_due,
            currency=kwargs["currency"] or invoice.currency,
            payment_method=kwargs["payment_method"],
            reference=kwargs["reference"],
            actor=kwargs["actor"],
        )


class CreditNoteFactory(factory.django.DjangoModelFactory):
    """A credit note issued through ``billing.services.credit_note_issue`` (a draft invoice gets issued first).
    ``CreditNoteFactory(invoice=…, amount=Decimal("50.00"))``; ``amount`` defaults to 10.00, or give ``lines``."""

    class Meta:
        model = CreditNote

    invoice = factory.SubFactory(InvoiceFactory, status=InvoiceStatus.ISSUED)
    amount = None
    lines = None
    reason = "goodwill"
    actor = None

    @classmethod
    def _create(cls, model_class: type[CreditNote], *args: Any, **kwargs: Any) -> CreditNote:
        lines = kwargs["lines"]
        amount = kwargs["amount"] if kwargs["amount"] is not None or lines is not None else Decimal("10.00")
        return services.credit_note_issue(invoice_id=kwargs["invoice"].pk, lines=lines, amount=amount,
                                          reason=kwargs["reason"], actor=kwargs["actor"])


class RefundFactory(factory.django.DjangoModelFactory):
    """A refund recorded through ``billing.services.refund_record``; ``amount`` defaults to the invoice's whole
    ``amount_refundable`` (so credit the paid invoice first)."""

    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = None
    reason = "returned goods"
    reference = factory.Sequence(lambda n: f"REFUND-{n:06d}")
    actor = None

    @classmethod
    def _create(cls, model_class: type[Refund], *args: Any, **kwargs: Any) -> Refund:
        payment = kwargs["payment"]
        amount = kwargs["amount"]
        if amount is None:
            amount = Invoice.objects.get(pk=payment.invoice_id).amount_refundable
        return services.refund_record(payment_id=payment.pk, amount=amount, reason=kwargs["reason"],
                                      reference=kwargs["reference"], actor=kwargs["actor"])
