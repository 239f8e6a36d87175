"""Billing's renderings (the API's output and the data of billing's events), and the histories', against the
serializers' declarations: the same keys and types for every resource; for payments, credit notes, refunds and
history rows, whose fields DRF can render by itself, the very same output."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from billing.api.serializers import (
    CreditNoteSerializer,
    InvoiceEventSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    RefundSerializer,
)
from billing.models import Invoice
from billing.representations import (
    credit_note_representation,
    invoice_representation,
    payment_representation,
    refund_representation,
)
from billing.selectors import credit_note_list, invoice_event_list, invoice_list, payment_list, refund_list
from sales.api.serializers import OrderEventSerializer, ReturnEventSerializer
from sales.selectors import order_event_list, return_event_list
from synthesq.core.representation import history_representation
from tests.factories import (
    CreditNoteFactory,
    InvoiceFactory,
    PaymentFactory,
    RefundFactory,
    ReturnFactory,
    UserFactory,
)
from tests.representation_parity import assert_renders_as_declared

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["draft", "issued", "paid", "void"])
def test_invoices_render_as_declared(status: str) -> None:
    invoice = InvoiceFactory(status=status, paid=Decimal("10.00") if status == "issued" else None)
    for user in (None, UserFactory(roles=["finance"])):
        assert_renders_as_declared(InvoiceSerializer, invoice_representation(invoice_list().get(pk=invoice.pk),
                                                                              user=user))


def without_stored_taxes(data: Any) -> Any:
    """A resource less its ``taxes``: the breakdowns are rendered as stored (a JSON snapshot of amounts and percents
    already written in the currency's decimals), which the serializer only declares."""
    if isinstance(data, dict):
        return {key: without_stored_taxes(value) for key, value in data.items() if key != "taxes"}
    if isinstance(data, list):
        return [without_stored_taxes(item) for item in data]
    return data


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
            assert without_stored_taxes(render(row)) == without_stored_taxes(serializer(row).data)
    assert payment_representation(payment) == PaymentSerializer(payment).data  # as the service returns it
    assert credit_note.pk and refund.pk


def test_histories_render_as_declared() -> None:
    # given a credited return (its order, the order's invoice and the return each have a history, some rows by
    # a person, some with data)
    return_ = ReturnFactory(credited=True, actor=UserFactory(superuser=True))
    histories = (
        (OrderEventSerializer, order_event_list(order_id=return_.order_id)),
        (ReturnEventSerializer, return_event_list(return_id=return_.pk)),
        (InvoiceEventSerializer, invoice_event_list(invoice_id=Invoice.objects.get(order_id=return_.order_id).pk)),
    )
    rendered = []
    for serializer, rows in histories:
        for row in rows:
            rendered.append(history_representation(row))
            assert_renders_as_declared(serializer, rendered[-1])
            assert rendered[-1] == serializer(row).data
    assert any(row["actor"] for row in rendered) and any(row["data"] for row in rendered)
