"""The state-machine helper (``synthesq.core.fsm``): what moves exist, who may make them, what is offered."""

from __future__ import annotations

import pytest

from billing.models import Invoice, InvoiceStatus
from sales.models import Order, OrderStatus
from synthesq.core.fsm import (
    allowed_targets,
    conditions_met,
    declared_transition,
    may_move,
    permission_for,
    transition_for,
)
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_transition_for_finds_the_declared_move_from_the_current_status() -> None:
    # given a draft order
    order = OrderFactory()
    # when asking for moves from draft
    confirm = transition_for(order, OrderStatus.CONFIRMED)
    # then confirm is declared (with its method and permission), shipping is not
    assert confirm is not None
    assert (confirm.name, confirm.permission) == ("confirm", "sales.confirm_order")
    assert transition_for(order, OrderStatus.SHIPPED) is None
    assert transition_for(order, "no-such-status") is None


def test_may_move_checks_the_role_but_not_the_conditions() -> None:
    # given a delivered order on hold (closing's condition fails), a finance and a sales user
    order = OrderFactory(status=OrderStatus.DELIVERED)
    Order.objects.filter(pk=order.pk).update(on_hold=True, hold_reason="dispute")
    order.refresh_from_db()
    finance, sales = UserFactory(roles=["finance"]), UserFactory(roles=["sales"])
    # then finance may close it (the hold is a condition, refused separately), sales may not
    assert may_move(order, OrderStatus.CLOSED, finance)
    assert not may_move(order, OrderStatus.CLOSED, sales)
    assert not conditions_met(order, OrderStatus.CLOSED)
    # and nobody may make a move that is not declared from here
    assert not may_move(order, OrderStatus.CONFIRMED, UserFactory(superuser=True))


def test_allowed_targets_are_in_declared_order_and_filtered_by_role() -> None:
    # given a draft order
    order = OrderFactory()
    # then without a user both moves are offered, in the order statuses are declared
    assert allowed_targets(order) == [OrderStatus.CONFIRMED, OrderStatus.CANCELLED]
    # and each role sees only its own moves
    assert allowed_targets(order, UserFactory(roles=["sales"])) == ["confirmed", "cancelled"]
    assert allowed_targets(order, UserFactory(roles=["warehouse"])) == []


def test_allowed_targets_never_offer_an_automatic_move() -> None:
    # given an issued invoice that payments cover in full but is not yet settled
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    invoice = Invoice.objects.get(order=order)
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.ISSUED, number="INV-2026-999999",
                                                 amount_paid=invoice.total)
    invoice.refresh_from_db()
    # then "paid" (reached only through payments) is declared and its conditions hold, but it is never offered
    assert conditions_met(invoice, InvoiceStatus.PAID)
    assert InvoiceStatus.PAID not in allowed_targets(invoice)
    assert InvoiceStatus.PAID not in allowed_targets(invoice, UserFactory(superuser=True))


def test_declared_transition_and_permission_for_read_the_model_not_an_instance() -> None:
    assert str(declared_transition(Order, OrderStatus.DELIVERED, OrderStatus.CLOSED).target) == "closed"
    assert str(declared_transition(Invoice, InvoiceStatus.DRAFT, InvoiceStatus.ISSUED).target) == "issued"
    with pytest.raises(LookupError):
        declared_transition(Order, OrderStatus.DRAFT, OrderStatus.CLOSED)
    assert permission_for(Order, OrderStatus.CANCELLED) == "sales.cancel_order"
    assert permission_for(Invoice, InvoiceStatus.VOID) == "billing.void_invoice"
    assert permission_for(Order, OrderStatus.DRAFT) is None
