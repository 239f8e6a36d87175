"""Closing through the API (PATCH /api/v1/sales/orders/{id}/status {"status": "closed"}): the return window,
its waiver (finance only), holds, and the invoice issued on close."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services as billing_services
from billing.models import Invoice, InvoiceStatus
from sales.models import Order, OrderEvent, OrderStatus
from tests.factories import OrderFactory
from tests.helpers import assert_problem, error_fields

from .helpers import (
    assert_closed_and_invoiced,
    assert_invoice_numbers_gap_free,
    close_events,
    days_ago,
    delivered_order,
    order_state,
    order_url,
    status_url,
)

pytestmark = pytest.mark.django_db


def close(api: APIClient, order_id: str, **extra: Any) -> Any:
    return api.patch(status_url(order_id), {"status": "closed", **extra}, format="json")


def at_second(when: datetime) -> datetime:
    return when.replace(microsecond=0)




@pytest.fixture(autouse=True)
def _default_window(settings: Any) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30


# --- the return window ------------------------------------------------------------------------------------


@pytest.mark.parametrize("age", [timedelta(0), timedelta(days=10), timedelta(days=30) - timedelta(minutes=1)])
def test_close_inside_the_return_window_is_409(finance_api: APIClient, age: timedelta) -> None:
    # given an order delivered less than 30 days ago
    delivered_at = at_second(timezone.now() - age)
    order = delivered_order(delivered_at)
    before = order_state(order.pk)
    # when finance closes it without a waiver
    body = assert_problem(close(finance_api, order.pk), 409, "return_window_open")
    # then the refusal says when the window ends: delivered_at + 30 days
    assert datetime.fromisoformat(body["return_window_ends_at"]) == delivered_at + timedelta(days=30)
    assert "waive_return_window" in body["detail"]
    # and nothing changed: still delivered, no closed_at, invoice still a draft, no history row
    assert order_state(order.pk) == before
    assert before["status"] == OrderStatus.DELIVERED
    assert before["invoice"] == (InvoiceStatus.DRAFT, None, None)
    # and the order read gives the same end of window
    read = finance_api.get(order_url(order.pk)).json()
    assert datetime.fromisoformat(read["return_window_ends_at"]) == delivered_at + timedelta(days=30)


def test_explicit_false_waiver_is_still_refused(finance_api: APIClient) -> None:
    order = delivered_order(days_ago(5))
    before = order_state(order.pk)
    assert_problem(close(finance_api, order.pk, waive_return_window=False), 409, "return_window_open")
    assert order_state(order.pk) == before


@pytest.mark.parametrize("age", [timedelta(days=31), timedelta(days=30, minutes=1), timedelta(days=365)])
def test_close_after_the_return_window_closes_and_issues_the_invoice(finance_api: APIClient,
                                                                      age: timedelta) -> None:
    # given an order delivered more than 30 days ago, with its draft invoice
    order = delivered_order(timezone.now() - age)
    history_before = OrderEvent.objects.filter(order=order).count()
    # when finance closes it
    started = timezone.now()
    response = close(finance_api, order.pk, reason="all settled")
    # then it is closed
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed"
    assert body["allowed_statuses"] == []
    closed_at = datetime.fromisoformat(body["closed_at"])
    assert started <= closed_at <= timezone.now()
    # with one history row by the finance user, not marked as waived
    assert OrderEvent.objects.filter(order=order).count() == history_before + 1
    [event] = close_events(order.pk)
    assert (event.from_status, event.to_status, event.reason) == ("delivered", "closed", "all settled")
    assert event.actor_id == finance_api.user.pk  # type: ignore[attr-defined]
    assert event.data == {}
    # and its invoice issued (numbered, once)
    invoice = assert_closed_and_invoiced(order.pk)
    assert invoice.issued_at >= started
    assert_invoice_numbers_gap_free()


def test_window_length_follows_the_setting(finance_api: APIClient, settings: Any) -> None:
    # given a 7-day return window
    settings.ORDER_RETURN_WINDOW_DAYS = 7
    young = delivered_order(at_second(days_ago(6)))
    old = delivered_order(days_ago(8))
    # then an order delivered 6 days ago is refused, with the end of its 7-day window
    body = assert_problem(close(finance_api, young.pk), 409, "return_window_open")
    assert datetime.fromisoformat(body["return_window_ends_at"]) == young.delivered_at + timedelta(days=7)
    # and one delivered 8 days ago closes
    assert close(finance_api, old.pk).status_code == 200
    assert_closed_and_invoiced(old.pk)


# --- the waiver ---------------------------------------------------------------------------------------------


def test_finance_can_waive_the_return_window(finance_api: APIClient) -> None:
    # given an order delivered 2 days ago
    delivered_at = at_second(days_ago(2))
    order = delivered_order(delivered_at)
    # when finance closes it, waiving the return window
    response = close(finance_api, order.pk, waive_return_window=True, reason="customer confirmed no return")
    # then it is closed and its invoice issued
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert_closed_and_invoiced(order.pk)
    # and the history records the waiver, who waived it and the window it cut short
    [event] = close_events(order.pk)
    assert event.actor_id == finance_api.user.pk  # type: ignore[attr-defined]
    assert event.reason == "customer confirmed no return"
    assert event.data["return_window_waived"] is True
    assert event.data["waived_by"] == finance_api.user.username  # type: ignore[attr-defined]
    assert datetime.fromisoformat(event.data["return_window_ends_at"]) == delivered_at + timedelta(days=30)


def test_superuser_can_waive_the_return_window(admin_api: APIClient) -> None:
    order = delivered_order()
    response = close(admin_api, order.pk, waive_return_window=True)
    assert response.status_code == 200, response.content
    [event] = close_events(order.pk)
    assert event.data["return_window_waived"] is True
    assert event.data["waived_by"] == admin_api.user.username  # type: ignore[attr-defined]
    assert_closed_and_invoiced(order.pk)


def test_sales_user_may_not_waive_the_return_window(sales_api: APIClient) -> None:
    # given an order delivered yesterday
    order = delivered_order(days_ago(1))
    before = order_state(order.pk)
    # when a sales user closes it with a waiver
    assert_problem(close(sales_api, order.pk, waive_return_window=True), 403, "permission_denied")
    # then nothing changed
    assert order_state(order.pk) == before


@pytest.mark.parametrize("role", ["sales", "warehouse"])
def test_roles_without_close_may_not_close_after_the_window(client_for: Callable[..., APIClient],
                                                            role: str) -> None:
    order = delivered_order(days_ago(40))
    before = order_state(order.pk)
    assert_problem(close(client_for(role), order.pk), 403, "permission_denied")
    assert order_state(order.pk) == before


def test_waiver_after_the_window_closes_without_recording_a_waiver(finance_api: APIClient) -> None:
    # given an order whose window has already passed: the waiver waives nothing
    order = delivered_order(days_ago(45))
    response = close(finance_api, order.pk, waive_return_window=True)
    assert response.status_code == 200, response.content
    [event] = close_events(order.pk)
    assert "return_window_waived" not in event.data


@pytest.mark.parametrize(
    ("status", "target", "extra"),
    [
        ("shipped", "delivered", {}),
        ("draft", "cancelled", {"reason": "changed mind"}),
        ("processing", "shipped", {"tracking_number": "1Z", "carrier": "UPS"}),
    ],
)
def test_waiver_with_another_status_is_400(admin_api: APIClient, status: str, target: str,
                                           extra: dict[str, Any]) -> None:
    order = OrderFactory(status=status)
    before = order_state(order.pk)
    response = admin_api.patch(status_url(order.pk), {"status": target, "waive_return_window": True, **extra},
                               format="json")
    problem = assert_problem(response, 400, "validation_error")
    assert error_fields(problem) == ["waive_return_window"]
    assert order_state(order.pk) == before


# --- holds ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "waive"), [(40, False), (40, True), (2, True), (2, False)])
def test_held_order_is_refused_even_with_a_waiver(finance_api: APIClient, admin_api: APIClient, age: int,
                                                  waive: bool) -> None:
    # given an order on hold (inside or after its window)
    order = delivered_order(days_ago(age), hold="chargeback opened")
    before = order_state(order.pk)
    # when finance or a superuser closes it, with or without a waiver
    for api in (finance_api, admin_api):
        body = assert_problem(close(api, order.pk, waive_return_window=waive), 409, "order_on_hold")
        # then the hold is the reason given, and nothing changed
        assert body["hold_reason"] == "chargeback opened"
        assert order_state(order.pk) == before


# --- the invoice -----------------------------------------------------------------------------------------


def test_close_numbers_the_invoice_after_those_already_issued(finance_api: APIClient) -> None:
    # given one invoice issued by hand (number 1) and two orders past their window
    other = OrderFactory(status="confirmed")
    manual = billing_services.invoice_issue(invoice_id=Invoice.objects.get(order=other).pk, actor=None)
    first, second = delivered_order(days_ago(40)), delivered_order(days_ago(35))
    # when both are closed through the API
    assert close(finance_api, second.pk).status_code == 200
    assert close(finance_api, first.pk).status_code == 200
    # then their invoices take the next numbers, in the order of closing, with no gap
    year = timezone.now().year
    assert manual.number == f"INV-{year}-000001"
    assert Invoice.objects.get(order=second).number == f"INV-{year}-000002"
    assert Invoice.objects.get(order=first).number == f"INV-{year}-000003"
    assert_invoice_numbers_gap_free()


def test_close_leaves_an_issued_or_paid_invoice_as_it_is(finance_api: APIClient) -> None:
    # given two delivered orders past their window: one invoice issued, one paid in full
    issued_order, paid_order = delivered_order(days_ago(40)), delivered_order(days_ago(40))
    issued = billing_services.invoice_issue(invoice_id=Invoice.objects.get(order=issued_order).pk, actor=None)
    paid = Invoice.objects.get(order=paid_order)
    billing_services.payment_record(invoice_id=paid.pk, amount=Decimal(paid.total), currency=paid.currency,
                                    payment_method="bank_transfer", reference="TXN-1", actor=None)
    paid.refresh_from_db()
    assert paid.status == InvoiceStatus.PAID
    snapshot = {inv.pk: (inv.status, inv.number, inv.issued_at, inv.updated_at, inv.events.count())
                for inv in (issued, paid)}
    # when both orders are closed
    for order in (issued_order, paid_order):
        assert close(finance_api, order.pk).status_code == 200
        assert Order.objects.get(pk=order.pk).status == OrderStatus.CLOSED
    # then their invoices are untouched
    for invoice in Invoice.objects.filter(pk__in=snapshot):
        assert (invoice.status, invoice.number, invoice.issued_at, invoice.updated_at,
                invoice.events.count()) == snapshot[invoice.pk]
    assert_invoice_numbers_gap_free()


def test_closing_a_closed_order_is_409(finance_api: APIClient) -> None:
    order = delivered_order(days_ago(40))
    assert close(finance_api, order.pk).status_code == 200
    before = order_state(order.pk)
    body = assert_problem(close(finance_api, order.pk, waive_return_window=True), 409, "invalid_transition")
    assert (body["current_status"], body["allowed_statuses"]) == ("closed", [])
    assert order_state(order.pk) == before


def test_a_role_without_close_permission_gets_403_before_any_window_check(client_for) -> None:
    from tests.factories import OrderFactory

    # given a delivered order still inside its return window
    order = OrderFactory(status="delivered")
    # when a sales user (no close permission) tries to close it
    response = client_for("sales").patch(f"/api/v1/sales/orders/{order.pk}/status", {"status": "closed"},
                                         format="json")
    # then the role is refused first (403), not the window (409), and nothing changed
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "delivered"
