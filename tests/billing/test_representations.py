"""Billing's renderings (the API's output and the data of billing's events) against the serializers' declarations:
the same keys and types for every resource; for payments, credit notes and refunds, whose fields DRF can render
by itself, the very same output."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.api.serializers import CreditNoteSerializer, InvoiceSerializer, PaymentSerializer, RefundSerializer
from billing.representations import (
    credit_note_representation,
    invoice_representation,
    payment_representation,
    refund_representation,
)
from billing.selectors import credit_note_list, invoice_list, payment_list, refund_list
from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory, RefundFactory, UserFactory
from tests.representation_parity import assert_renders_as_declared

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["draft", "issued", "paid", "void"])
def test_invoices_render_as_declared(status: str) -> None:
    invoice = InvoiceFactory(status=status, paid=Decimal("10.00") if status == "issued" else None)
    for user in (None, UserFactory(roles=["finance"])):
        assert_renders_as_declared(InvoiceSerializer, invoice_representation(invoice_list().get(pk=invoice.pk),
                                                                              user=user))


@pytest.mark.parametrize("actor", [False, True])
def test_payments_credit_notes_and_refunds_render_as_declared(actor: bool) -> None:
    user = UserFactory(roles=["finance"]) if actor else None
    payment = PaymentFactory(invoice=InvoiceFactory(status="issued", currency="JPY"), actor=user)
    credit_note = CreditNoteFactory(invoice=payment.invoice, amount=Decimal("100"), actor=user)
    refund = RefundFactory(payment=payment, actor=user)
    CreditNoteFactory(invoice=InvoiceFactory(status="issued"), lines=[
        {"description": "Scratched", "quantity": 2, "unit_price": Decimal("1.50"), "product_id": "prod_1"}])
    for serializer, render, rows in (
        (PaymentSerializer, payment_representation, payment_list()),
        (CreditNoteSerializer, credit_note_representation, credit_note_list()),
        (RefundSerializer, refund_representation, refund_list()),
    ):
        for row in rows:
            assert_renders_as_declared(serializer, render(row))
            assert render(row) == serializer(row).data
    assert payment_representation(payment) == PaymentSerializer(payment).data  # as the service returns it
    assert credit_note.pk and refund.pk
