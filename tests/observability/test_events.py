"""Business events: a log line with the ids and a Prometheus counter for each order move, payment, refusal and
batch close run, written once the change commits (a rolled-back change leaves neither)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from billing import services as billing_services
from sales import services as sales_services
from sales.models import OrderStatus
from tests.factories import InvoiceFactory, OrderFactory, ProductFactory
from tests.log_capture import LogLines
from tests.sales.helpers import delivered_order


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_order_move_is_logged_with_its_ids_and_counted_once_committed(
    sales_api: APIClient, log_lines: LogLines
) -> None:
    # given a draft order
    order = OrderFactory(lines=[(ProductFactory(stock=5), 1)])
    before = sample("synthesq_order_moves_total", from_status="draft", to_status="confirmed")
    # when a sales user confirms it through the API
    response = sales_api.patch(f"/api/v1/sales/orders/{order.pk}/status", {"status": "confirmed"}, format="json",
                               HTTP_X_REQUEST_ID="req-move")
    assert response.status_code == 200
    # then one line says which order moved from where to where, who moved it, in which request
    moved = [line for line in log_lines() if line["event"] == "order_moved"]
    assert len(moved) == 1
    fields = ("order_id", "order_number", "from_status", "to_status", "actor_id", "request_id", "logger")
    assert {field: moved[0][field] for field in fields} == {
        "order_id": order.pk, "order_number": order.order_number, "from_status": "draft", "to_status": "confirmed",
        "actor_id": sales_api.user.pk, "request_id": "req-move", "logger": "synthesq.events",  # type: ignore[attr-defined]
    }
    # and the move is counted once by from/to
    assert sample("synthesq_order_moves_total", from_status="draft", to_status="confirmed") == before + 1


@pytest.mark.django_db
def test_a_move_rolled_back_is_neither_logged_nor_counted(
    django_capture_on_commit_callbacks: Callable[..., object], log_lines: LogLines
) -> None:
    order = OrderFactory(lines=[(ProductFactory(stock=5), 1)])
    before = sample("synthesq_order_moves_total", from_status="draft", to_status="confirmed")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():  # type: ignore[attr-defined]
        sales_services.order_confirm(order_id=order.pk, actor=None)
        transaction.set_rollback(True)
    assert callbacks == []
    assert not [line for line in log_lines() if line["event"] == "order_moved"]
    assert sample("synthesq_order_moves_total", from_status="draft", to_status="confirmed") == before


@pytest.mark.django_db
def test_a_payment_is_logged_and_counted_with_its_amount_by_currency(
    django_capture_on_commit_callbacks: Callable[..., object], log_lines: LogLines
) -> None:
    # given a draft invoice of 259.98 USD
    invoice = InvoiceFactory()
    count, amount = sample("synthesq_payments_total", currency="USD"), sample("synthesq_payments_amount_total",
                                                                              currency="USD")
    # when 100.50 is paid
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        payment = billing_services.payment_record(invoice_id=invoice.pk, amount=Decimal("100.50"), currency="USD",
                                                  payment_method="card", reference="P-1", actor=None)
    # then the line names the payment, the invoice, the amount (as a decimal string) and the invoice's status
    line = next(line for line in log_lines() if line["event"] == "payment_recorded")
    assert (line["payment_id"], line["invoice_id"], line["amount"], line["currency"], line["invoice_status"]) == (
        payment.pk, invoice.pk, "100.50", "USD", "issued")
    # and the counters grew by one payment and its amount
    assert sample("synthesq_payments_total", currency="USD") == count + 1
    assert sample("synthesq_payments_amount_total", currency="USD") == pytest.approx(amount + 100.50)


@pytest.mark.django_db
def test_refusals_are_counted_by_status_and_problem_code(sales_api: APIClient) -> None:
    # given an order that is already confirmed
    order = OrderFactory(status=OrderStatus.CONFIRMED)
    before = sample("synthesq_refusals_total", status="409", code="invalid_transition")
    unknown = sample("synthesq_refusals_total", status="404", code="not_found")
    # when it is confirmed again, and an unknown order is asked for
    sales_api.patch(f"/api/v1/sales/orders/{order.pk}/status", {"status": "confirmed"}, format="json")
    sales_api.get("/api/v1/sales/orders/ord_missing")
    sales_api.get("/api/v1/no-such-endpoint")
    # then each refusal is counted under its status and code
    assert sample("synthesq_refusals_total", status="409", code="invalid_transition") == before + 1
    assert sample("synthesq_refusals_total", status="404", code="not_found") == unknown + 2


@pytest.mark.django_db
def test_a_batch_close_run_is_logged_and_counted_with_the_orders_it_closed(
    django_capture_on_commit_callbacks: Callable[..., object], log_lines: LogLines
) -> None:
    # given three delivered orders whose return window has passed
    orders = [delivered_order(timezone.now() - timedelta(days=40)) for _ in range(3)]
    runs, closed = sample("synthesq_batch_close_runs_total", outcome="ok"), sample(
        "synthesq_batch_close_orders_closed_total")
    moves = sample("synthesq_order_moves_total", from_status="delivered", to_status="closed")
    # when the batch close runs (in chunks of two)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        call_command("close_delivered_orders", "--batch-size", "2", "--json", stdout=io.StringIO())
    # then each chunk's line lists its orders and the run's line sums it up
    lines = log_lines()
    chunk_ids = [pk for line in lines if line["event"] == "orders_closed" for pk in line["order_ids"]]
    assert sorted(chunk_ids) == sorted(order.pk for order in orders)
    run = next(line for line in lines if line["event"] == "batch_close_run")
    assert (run["outcome"], run["closed"], run["invoices_issued"], run["failed_order_ids"]) == ("ok", 3, 3, [])
    # and the counters: one run, three orders closed, three delivered -> closed moves
    assert sample("synthesq_batch_close_runs_total", outcome="ok") == runs + 1
    assert sample("synthesq_batch_close_orders_closed_total") == closed + 3
    assert sample("synthesq_order_moves_total", from_status="delivered", to_status="closed") == moves + 3
