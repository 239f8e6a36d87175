"""A document with its parts, and a moved row with its history row, each in one statement on PostgreSQL
(``synthesq.core.postgres_documents``, ``synthesq.core.fsm.save_moved``), their fallback elsewhere."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_fsm import ConcurrentTransition

from billing.models import Invoice, InvoiceEvent, InvoiceLine
from sales.models import Order, OrderEvent, OrderStatus
from synthesq.core.fsm import save_moved
from synthesq.core.postgres_documents import insert_document
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _status_changed(order: Order) -> OrderEvent:
    return OrderEvent.build(order, kind=OrderEvent.Kind.STATUS_CHANGED, actor=None, from_status=OrderStatus.DRAFT,
                            to_status=OrderStatus.CONFIRMED)


def test_a_moved_row_is_saved_with_its_history_row() -> None:
    # given a draft order moved to confirmed in memory
    order = OrderFactory()
    order.confirm()
    before = order.updated_at
    # when it is saved with its history row
    row = save_moved(order, fields=("confirmed_at", "updated_at"), from_status=OrderStatus.DRAFT,
                     record=lambda: _status_changed(order))
    # then both are written, the row stamped before its history row was made, and the order saves again as usual
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.confirmed_at, stored.updated_at) == ("confirmed", order.confirmed_at,
                                                                        order.updated_at)
    assert before < order.updated_at <= row.created_at
    assert OrderEvent.objects.get(pk=row.pk).to_status == "confirmed"
    order.save(update_fields=["updated_at"])


def test_a_moved_row_is_saved_only_from_the_status_it_left() -> None:
    # given a draft order that another change cancelled meanwhile
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    order.confirm()
    # when it is saved as moved from draft, then it is refused and nothing is written
    with pytest.raises(ConcurrentTransition):
        save_moved(order, fields=("confirmed_at", "updated_at"), from_status=OrderStatus.DRAFT,
                   record=lambda: _status_changed(order))
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert not OrderEvent.objects.filter(order=order, to_status="confirmed").exists()


def test_a_document_is_not_written_twice() -> None:
    # given a confirmed order with its invoice
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    existing = Invoice.objects.get(order=order)
    counts = (Invoice.objects.count(), InvoiceLine.objects.count(), InvoiceEvent.objects.count())
    # when another invoice of that order is inserted with its parts
    invoice = Invoice(order=order, customer=order.customer, currency="USD", customer_name="x",
                      customer_email="x@example.com", billing_address={}, created_at=timezone.now())
    line = InvoiceLine(invoice=invoice, position=1, description="x", quantity=1, unit_price=1, line_total=1)
    written = insert_document(invoice, parts=([line], []), unless=("order", order.pk))
    # then nothing is written
    assert written is False
    assert (Invoice.objects.count(), InvoiceLine.objects.count(), InvoiceEvent.objects.count()) == counts
    assert Invoice.objects.get(order=order).pk == existing.pk


@pytest.mark.parametrize("issued", [False, True])
def test_a_document_is_written_with_its_empty_columns_as_null(issued: bool) -> None:
    # given a draft order's invoice, its number and dates empty (or issued: all of them given)
    order = OrderFactory()
    now = timezone.now()
    dated = {"number": "INV-2026-000042", "issued_at": now, "due_at": now, "paid_at": now, "voided_at": now}
    invoice = Invoice(order=order, customer=order.customer, currency="USD", customer_name="x", customer_tax_id="",
                      customer_email="x@example.com", billing_address={}, taxes=[], subtotal=1, charges_total=0,
                      tax_total=0, total=1, **(dated if issued else {}))
    line = InvoiceLine(invoice=invoice, position=1, description="x", quantity=1, unit_price=1, line_total=1)
    # when it is inserted with its line
    assert insert_document(invoice, parts=([line], []), unless=("order", order.pk)) is True
    # then its columns hold exactly what it held: NULL where it had nothing, the values it had otherwise
    stored = Invoice.objects.filter(pk=invoice.pk).values(*dated, "customer_tax_id", "discounts").get()
    assert stored == {**dict.fromkeys(dated), **(dated if issued else {}), "customer_tax_id": "", "discounts": {}}
    assert Invoice.objects.filter(pk=invoice.pk, discounts__isnull=False, number__isnull=not issued).exists()
