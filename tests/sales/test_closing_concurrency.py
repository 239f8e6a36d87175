"""Closing concurrently (PostgreSQL): two batch runs at once, and an API close racing the batch.

Every thread has its own connection. What must hold: each order closed exactly once (one history row),
each invoice issued exactly once, invoice numbers 1..n with no gap and no duplicate.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from billing import services as billing_services
from billing.models import Invoice, InvoiceEvent, InvoiceStatus
from sales import services
from sales.models import Order, OrderEvent, OrderStatus
from sales.signals import orders_closed
from tests.factories import OrderFactory
from tests.helpers import assert_problem, run_in_threads

from .helpers import (
    assert_closed_and_invoiced,
    assert_invoice_numbers_gap_free,
    assert_untouched_delivered,
    clone_delivered,
    close_events,
    days_ago,
    delivered_order,
    status_url,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WINDOW = 30
TIMEOUT = 30


def _run_together(*works: Callable[[], Any]) -> list[Any]:
    return run_in_threads(list(works))


def _batch(batch_size: int = 5, **kwargs: Any) -> Callable[[], services.CloseRunReport]:
    return lambda: services.orders_close_delivered(as_of=timezone.now(), return_window_days=WINDOW,
                                                   batch_size=batch_size, **kwargs)


def _population(eligible: int) -> tuple[list[str], list[str]]:
    """``eligible`` orders past their window, plus five on hold and five inside it (returned second)."""
    template = delivered_order(days_ago(90))
    ids = [template.pk, *clone_delivered(template, [days_ago(89 - i * 0.5) for i in range(eligible - 1)])]
    others = clone_delivered(template, [days_ago(60)] * 5 + [days_ago(2)] * 5, held=[True] * 5 + [False] * 5)
    return ids, others


def _assert_each_closed_once(ids: list[str], others: list[str]) -> None:
    for pk in ids:
        assert_closed_and_invoiced(pk)
    for pk in others:
        assert_untouched_delivered(pk)
    closes = OrderEvent.objects.filter(kind="status_changed", to_status="closed")
    assert closes.count() == len(ids)
    assert set(closes.values_list("order_id", flat=True)) == set(ids)
    issues = InvoiceEvent.objects.filter(kind="status_changed", to_status="issued")
    assert issues.count() == Invoice.objects.exclude(number=None).count()
    assert issues.values("invoice_id").distinct().count() == issues.count()


def _assert_reports(reports: list[Any], expected_closed: int) -> None:
    for report in reports:
        assert isinstance(report, services.CloseRunReport), report
        assert report.failed == {}
        assert report.interrupted is False
    assert sum(r.closed for r in reports) == expected_closed
    assert sum(r.invoices_issued for r in reports) == expected_closed


# --- two batch runs at once ----------------------------------------------------------------------------------


def test_two_batch_runs_at_once_close_each_order_once() -> None:
    # given 60 eligible orders, 5 held and 5 inside their window, and no invoice numbered yet this year
    ids, others = _population(60)
    # when two runs close them at the same time, 5 orders per transaction
    reports = _run_together(_batch(5), _batch(5))
    # then between them they closed each eligible order exactly once and issued each invoice once
    _assert_reports(reports, 60)
    _assert_each_closed_once(ids, others)
    # and the invoice numbers are 1..60: no gap, no duplicate
    assert assert_invoice_numbers_gap_free() == list(range(1, 61))


def test_command_and_service_at_once_after_a_manual_invoice() -> None:
    # given one invoice already issued by hand (number 1) and 40 eligible orders
    manual = billing_services.invoice_issue(
        invoice_id=Invoice.objects.get(order=OrderFactory(status="confirmed")).pk, actor=None)
    ids, others = _population(40)
    out = StringIO()

    def command() -> dict[str, Any]:
        call_command("close_delivered_orders", "--json", "--batch-size", "3", stdout=out, stderr=StringIO())
        return json.loads(out.getvalue())

    # when the command (signal handlers need the main thread) and a service run race each other
    barrier = threading.Barrier(2)
    other: list[Any] = []

    def background() -> None:
        try:
            barrier.wait(timeout=10)
            other.append(_batch(4)())
        except BaseException as exc:
            other.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=background)
    thread.start()
    barrier.wait(timeout=10)
    report = command()
    thread.join(timeout=60)
    assert not thread.is_alive()
    # then together they closed the 40 orders once each, numbering their invoices 2..41
    [service_report] = other
    _assert_reports([service_report], 40 - report["closed"])
    assert (report["failed"], report["invoices_issued"]) == ([], report["closed"])
    _assert_each_closed_once(ids, others)
    assert assert_invoice_numbers_gap_free() == list(range(1, 42))
    assert Invoice.objects.get(pk=manual.pk).number == manual.number


# --- an API close racing the batch ---------------------------------------------------------------------------


@pytest.fixture
def finance_token(client_for: Callable[..., APIClient]) -> tuple[str, int]:
    client = client_for("finance")
    return client.token.plain, client.user.pk  # type: ignore[attr-defined]


def _api(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_batch_skips_an_order_the_api_is_closing(monkeypatch: pytest.MonkeyPatch,
                                                 finance_token: tuple[str, int]) -> None:
    # given eleven eligible orders, one of which a finance user is closing through the API
    ids, others = _population(11)
    target = ids[0]
    token, finance_user = finance_token
    locked, others_done = threading.Event(), threading.Event()
    real_window_end = Order.return_window_ends_at

    def slow_window_end(order: Order, **kwargs: Any) -> Any:
        # runs inside the API's close, after its row lock and before its invoice is numbered
        if order.pk == target and threading.current_thread().name == "api":
            locked.set()
            assert others_done.wait(TIMEOUT), "the batch did not close the other orders"
        return real_window_end(order, **kwargs)

    monkeypatch.setattr(Order, "return_window_ends_at", slow_window_end)

    def api_close() -> Any:
        return _api(token).patch(status_url(target), {"status": "closed"}, format="json")

    def batch() -> Any:
        assert locked.wait(TIMEOUT)
        return _batch(5, on_progress=lambda r: r.closed >= 10 and others_done.set())()

    # when the batch runs while the API holds that order's row
    results: dict[str, Any] = {}

    def named(name: str, work: Callable[[], Any]) -> threading.Thread:
        def go() -> None:
            try:
                results[name] = work()
            except BaseException as exc:
                results[name] = exc
            finally:
                connection.close()
        return threading.Thread(target=go, name=name)

    threads = [named("api", api_close), named("batch", batch)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    # then the API closed its order and the batch the ten others, each once
    response = results["api"]
    assert response.status_code == 200, response.content
    _assert_reports([results["batch"]], 10)
    _assert_each_closed_once(ids, others)
    [event] = close_events(target)
    assert event.actor_id == finance_user
    assert "batch" not in event.data
    assert assert_invoice_numbers_gap_free() == list(range(1, 12))


def _wait_for_a_lock_wait() -> None:
    """Block until some other backend of this test database waits on a lock."""
    deadline = time.monotonic() + TIMEOUT
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("nobody waited on the lock")


def test_api_close_waits_for_the_batch_then_is_refused(finance_token: tuple[str, int]) -> None:
    # given an eligible order the batch is closing (its chunk's transaction still open)
    order = delivered_order(days_ago(40))
    token, _user = finance_token
    in_chunk, api_waiting = threading.Event(), threading.Event()

    def hold_chunk_open(*, order_ids: list[str], **kwargs: Any) -> None:
        if order.pk in order_ids:
            in_chunk.set()
            assert api_waiting.wait(TIMEOUT)

    orders_closed.connect(hold_chunk_open, sender=Order, weak=False, dispatch_uid="tests.hold_chunk_open")
    try:
        def api_close() -> Any:
            assert in_chunk.wait(TIMEOUT)
            return _api(token).patch(status_url(order.pk), {"status": "closed"}, format="json")

        def watcher() -> None:
            assert in_chunk.wait(TIMEOUT)
            _wait_for_a_lock_wait()
            api_waiting.set()

        # when the API closes the same order meanwhile
        report, response, _ = _run_together(_batch(5), api_close, watcher)
    finally:
        orders_closed.disconnect(sender=Order, dispatch_uid="tests.hold_chunk_open")
    # then the API waited for the batch's row lock and was refused: the order was already closed
    _assert_reports([report], 1)
    body = assert_problem(response, 409, "invalid_transition")
    assert body["current_status"] == "closed"
    # and the order was closed once, by the batch, its invoice issued once
    [event] = close_events(order.pk)
    assert event.actor_id is None and event.data == {"batch": True}
    assert_closed_and_invoiced(order.pk)
    assert assert_invoice_numbers_gap_free() == [1]


def test_api_and_batch_racing_over_the_same_orders(finance_token: tuple[str, int]) -> None:
    # given 20 eligible orders
    ids, others = _population(20)
    token, _user = finance_token

    def api_close_all() -> list[int]:
        api = _api(token)
        codes = []
        for pk in reversed(ids):  # newest first, while the batch takes the oldest first: they meet
            response = api.patch(status_url(pk), {"status": "closed"}, format="json")
            if response.status_code != 200:
                assert_problem(response, 409, "invalid_transition")
            codes.append(response.status_code)
        return codes

    # when a finance user closes them one by one (newest delivery first) while the batch closes them one per
    # transaction (oldest first)
    codes, report = _run_together(api_close_all, _batch(1))
    # then each was closed exactly once, by one or the other
    assert isinstance(codes, list), codes
    _assert_reports([report], 20 - codes.count(200))
    _assert_each_closed_once(ids, others)
    assert Order.objects.filter(status=OrderStatus.CLOSED).count() == 20
    assert Invoice.objects.filter(status=InvoiceStatus.ISSUED).count() == 20
    assert assert_invoice_numbers_gap_free() == list(range(1, 21))
