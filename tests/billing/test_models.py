"""``InvoiceQuerySet``: "overdue" stated once (issued and past due), used by the API filter, the admin filter
and the ``overdue`` flag every invoice read carries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from sales.models import OrderStatus
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _invoice(status: str, due_in_days: float | None) -> Invoice:
    invoice = Invoice.objects.get(order=OrderFactory(status=OrderStatus.CONFIRMED))
    due_at = None if due_in_days is None else timezone.now() + timedelta(days=due_in_days)
    number = None if status == InvoiceStatus.DRAFT else f"INV-2026-{Invoice.objects.count():06d}"
    Invoice.objects.filter(pk=invoice.pk).update(status=status, due_at=due_at, number=number)
    return invoice


def test_overdue_is_issued_and_past_its_due_date() -> None:
    # given invoices in every state around their due date
    late = _invoice(InvoiceStatus.ISSUED, -1)
    on_time = _invoice(InvoiceStatus.ISSUED, +1)
    paid_late = _invoice(InvoiceStatus.PAID, -1)
    void_late = _invoice(InvoiceStatus.VOID, -1)
    draft = _invoice(InvoiceStatus.DRAFT, None)
    everyone = {late.pk, on_time.pk, paid_late.pk, void_late.pk, draft.pk}
    # then only the issued one past its due date is overdue, and the three ways of asking agree
    assert set(Invoice.objects.overdue().values_list("pk", flat=True)) == {late.pk}
    assert set(Invoice.objects.not_overdue().values_list("pk", flat=True)) == everyone - {late.pk}
    flags = dict(Invoice.objects.with_overdue().values_list("pk", "is_overdue"))
    assert flags == {pk: pk == late.pk for pk in everyone}


def test_overdue_can_be_asked_as_of_another_instant() -> None:
    invoice = _invoice(InvoiceStatus.ISSUED, +10)
    assert not Invoice.objects.overdue().exists()
    assert list(Invoice.objects.overdue(now=timezone.now() + timedelta(days=11))) == [invoice]
