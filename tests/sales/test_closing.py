"""The batch close: ``manage.py close_delivered_orders`` and ``sales.services.orders_close_delivered``.

Window and --as-of edges, holds, dry run, the --json report, --limit and --batch-size, re-runs, invoice
numbering, one order failing, an interrupted run and a larger mixed population.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing import services as billing_services
from billing.models import Invoice, InvoiceStatus
from sales import services
from sales.models import Order, OrderEvent, OrderStatus
from sales.signals import orders_closed
from tests.factories import OrderFactory

from .helpers import (
    assert_closed_and_invoiced,
    assert_invoice_numbers_gap_free,
    assert_untouched_delivered,
    clone_delivered,
    close_events,
    days_ago,
    delivered_order,
    full_state,
    put_on_hold,
    set_delivered_at,
)

pytestmark = pytest.mark.django_db

REPORT_KEYS = {"dry_run", "as_of", "return_window_days", "closed", "invoices_issued", "skipped", "failed",
               "interrupted", "duration_seconds"}
DELIVERED = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _default_window(settings: Any) -> None:
    settings.ORDER_RETURN_WINDOW_DAYS = 30


def run(*args: str) -> tuple[str, str]:
    """Run the command; returns (stdout, stderr written through the command's own streams)."""
    out, err = StringIO(), StringIO()
    call_command("close_delivered_orders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> dict[str, Any]:
    out, _err = run("--json", *args)
    return json.loads(out)


def statuses(*orders: Order) -> list[str]:
    return [Order.objects.get(pk=order.pk).status for order in orders]


@pytest.fixture
def failing_order() -> Iterator[dict[str, str]]:
    """Set ``failing_order["id"]``: a receiver of ``orders_closed`` then raises whenever that order is in the
    chunk being closed (as a billing failure would), so the chunk rolls back."""
    target: dict[str, str] = {}

    def explode(*, order_ids: list[str], **kwargs: Any) -> None:
        if target.get("id") in order_ids:
            raise RuntimeError(f"simulated failure for {target['id']}")

    orders_closed.connect(explode, sender=Order, weak=False, dispatch_uid="tests.failing_order")
    try:
        yield target
    finally:
        assert orders_closed.disconnect(sender=Order, dispatch_uid="tests.failing_order")


# --- the window and --as-of ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "closes"), [
    ("2025-10-31", False),
    ("2025-11-30", False),  # the window ends on 2025-12-01 at 10:00
    ("2025-12-01", True),   # --as-of means the end of that day: the window has ended by then
    ("2025-12-02", True),
])
def test_as_of_is_the_end_of_that_day(as_of: str, closes: bool) -> None:
    # given an order delivered on 2025-11-01 at 10:00 UTC and a 30-day window
    order = delivered_order(DELIVERED)
    # when the batch runs as of a given day
    report = run_json("--as-of", as_of)
    # then the order closes only once its window has ended by the end of that day
    assert report["as_of"] == f"{as_of}T23:59:59.999999+00:00"
    assert report["return_window_days"] == 30
    assert (report["closed"], report["invoices_issued"]) == ((1, 1) if closes else (0, 0))
    assert report["skipped"] == {"on_hold": 0, "return_open": 0, "return_window_open": 0 if closes else 1}
    if closes:
        assert_closed_and_invoiced(order.pk)
    else:
        assert_untouched_delivered(order.pk)


@pytest.mark.parametrize(("delivered_at", "closes"), [
    (datetime(2025, 11, 1, 23, 59, 59, 999999, tzinfo=UTC), True),  # exactly the last instant that qualifies
    (datetime(2025, 11, 2, 0, 0, 0, tzinfo=UTC), False),
])
def test_as_of_boundary_to_the_microsecond(delivered_at: datetime, closes: bool) -> None:
    order = delivered_order(delivered_at)
    assert run_json("--as-of", "2025-12-01")["closed"] == int(closes)
    assert statuses(order) == ["closed" if closes else "delivered"]


@pytest.mark.parametrize(("args", "closes"), [
    (("--return-window-days", "10", "--as-of", "2025-11-10"), False),
    (("--return-window-days", "10", "--as-of", "2025-11-11"), True),
    (("--return-window-days", "0", "--as-of", "2025-11-01"), True),
    (("--return-window-days", "60", "--as-of", "2025-12-15"), False),
])
def test_return_window_days_overrides_the_setting(args: tuple[str, ...], closes: bool) -> None:
    order = delivered_order(DELIVERED)
    report = run_json(*args)
    assert report["return_window_days"] == int(args[1])
    assert report["closed"] == int(closes)
    assert statuses(order) == ["closed" if closes else "delivered"]


def test_the_setting_is_the_default_window(settings: Any) -> None:
    # given a 5-day window in the settings
    settings.ORDER_RETURN_WINDOW_DAYS = 5
    order = delivered_order(DELIVERED)
    # then the order is eligible as of 2025-11-06 (not 2025-11-05)
    assert run_json("--as-of", "2025-11-05")["closed"] == 0
    report = run_json("--as-of", "2025-11-06")
    assert (report["return_window_days"], report["closed"]) == (5, 1)
    assert_closed_and_invoiced(order.pk)


def test_without_as_of_the_window_is_measured_from_now() -> None:
    old, young = delivered_order(days_ago(31)), delivered_order(days_ago(29))
    report = run_json()
    assert report["closed"] == 1
    as_of = datetime.fromisoformat(report["as_of"])
    assert abs(as_of - timezone.now()) < timedelta(minutes=1)
    assert_closed_and_invoiced(old.pk)
    assert_untouched_delivered(young.pk)


def test_only_delivered_orders_are_closed() -> None:
    # given old orders in every other status, their timestamps far in the past
    others = [OrderFactory(status=status) for status in ("draft", "confirmed", "processing", "shipped",
                                                            "cancelled", "closed")]
    Order.objects.filter(pk__in=[o.pk for o in others]).update(created_at=days_ago(400))
    eligible = delivered_order(days_ago(90))
    before = {o.pk: Order.objects.filter(pk=o.pk).values().get() for o in others}
    # when the batch runs
    report = run_json()
    # then only the delivered order is closed
    assert (report["closed"], report["invoices_issued"]) == (1, 1)
    assert_closed_and_invoiced(eligible.pk)
    assert {o.pk: Order.objects.filter(pk=o.pk).values().get() for o in others} == before


# --- holds ---------------------------------------------------------------------------------------------------


def test_held_orders_are_skipped_and_close_once_released() -> None:
    # given two old orders, one on hold
    held = delivered_order(days_ago(60), hold="customer dispute")
    free = delivered_order(days_ago(60))
    # when the batch runs
    report = run_json()
    # then only the free one is closed; the held one is skipped, untouched
    assert (report["closed"], report["invoices_issued"]) == (1, 1)
    assert report["skipped"] == {"on_hold": 1, "return_open": 0, "return_window_open": 0}
    assert_closed_and_invoiced(free.pk)
    assert_untouched_delivered(held.pk)
    assert Order.objects.get(pk=held.pk).on_hold is True
    # and once the hold is released, the next run closes it
    services.order_release_hold(order_id=held.pk, actor=None, reason="resolved")
    report = run_json()
    assert (report["closed"], report["skipped"]) == (1, {"on_hold": 0, "return_open": 0, "return_window_open": 0})
    assert_closed_and_invoiced(held.pk)


def test_held_inside_the_window_counts_as_on_hold() -> None:
    delivered_order(days_ago(3), hold="dispute")
    delivered_order(days_ago(3))
    assert run_json()["skipped"] == {"on_hold": 1, "return_open": 0, "return_window_open": 1}


# --- dry run -------------------------------------------------------------------------------------------------


@pytest.fixture
def mixed() -> dict[str, Order]:
    """Two eligible orders (older first), one on hold and one inside its window (as of 2025-12-10)."""
    return {
        "oldest": delivered_order(datetime(2025, 10, 1, 8, 0, tzinfo=UTC)),
        "old": delivered_order(datetime(2025, 10, 20, 9, 30, tzinfo=UTC)),
        "held": delivered_order(datetime(2025, 9, 1, tzinfo=UTC), hold="chargeback 4411"),
        "young": delivered_order(datetime(2025, 11, 20, 14, 5, tzinfo=UTC)),
    }


def test_dry_run_lists_what_would_happen_and_changes_nothing(mixed: dict[str, Order]) -> None:
    before = full_state()
    # when a dry run is made
    out, _err = run("--dry-run", "--as-of", "2025-12-10")
    # then nothing at all changed
    assert full_state() == before
    # and it lists the orders it would close, oldest delivery first, then the skipped ones with why
    lines = out.strip().splitlines()
    o = mixed
    assert lines == [
        f"would close {o['oldest'].order_number} ({o['oldest'].pk}), delivered 2025-10-01",
        f"would close {o['old'].order_number} ({o['old'].pk}), delivered 2025-10-20",
        f"skip {o['held'].order_number} ({o['held'].pk}): on hold: chargeback 4411",
        f"skip {o['young'].order_number} ({o['young'].pk}): return window open until 2025-12-20 14:05",
        "Dry run: 2 would be closed, 2 skipped. Nothing changed.",
    ]


def test_dry_run_json(mixed: dict[str, Order]) -> None:
    before = full_state()
    report = run_json("--dry-run", "--as-of", "2025-12-10")
    assert full_state() == before
    assert report == {
        "dry_run": True,
        "as_of": "2025-12-10T23:59:59.999999+00:00",
        "return_window_days": 30,
        "would_close": [mixed["oldest"].pk, mixed["old"].pk],
        "skipped": {"on_hold": 1, "return_open": 0, "return_window_open": 1},
        "skipped_orders": [{"id": mixed["held"].pk, "reason": "on_hold"},
                           {"id": mixed["young"].pk, "reason": "return_window_open"}],
    }


def test_dry_run_honours_limit_and_window(mixed: dict[str, Order]) -> None:
    before = full_state()
    assert run_json("--dry-run", "--as-of", "2025-12-10", "--limit", "1")["would_close"] == [mixed["oldest"].pk]
    wide = run_json("--dry-run", "--as-of", "2025-12-10", "--return-window-days", "60")
    assert wide["would_close"] == [mixed["oldest"].pk]
    assert wide["skipped"] == {"on_hold": 1, "return_open": 0, "return_window_open": 2}
    narrow = run_json("--dry-run", "--as-of", "2025-12-10", "--return-window-days", "0")
    assert narrow["would_close"] == [mixed["oldest"].pk, mixed["old"].pk, mixed["young"].pk]
    assert full_state() == before


def test_dry_run_then_real_run_close_the_same_orders(mixed: dict[str, Order]) -> None:
    planned = run_json("--dry-run", "--as-of", "2025-12-10")["would_close"]
    report = run_json("--as-of", "2025-12-10")
    assert report["closed"] == len(planned) == 2
    assert set(Order.objects.filter(status="closed").values_list("pk", flat=True)) == set(planned)


# --- the report ----------------------------------------------------------------------------------------------


def test_json_report(mixed: dict[str, Order]) -> None:
    report = run_json("--as-of", "2025-12-10")
    assert set(report) == REPORT_KEYS
    assert report["dry_run"] is False
    assert report["as_of"] == "2025-12-10T23:59:59.999999+00:00"
    assert (report["closed"], report["invoices_issued"]) == (2, 2)
    assert report["skipped"] == {"on_hold": 1, "return_open": 0, "return_window_open": 1}
    assert report["failed"] == []
    assert report["interrupted"] is False
    assert isinstance(report["duration_seconds"], float | int) and 0 <= report["duration_seconds"] < 60
    assert_closed_and_invoiced(mixed["oldest"].pk)
    assert_closed_and_invoiced(mixed["old"].pk)
    assert_untouched_delivered(mixed["held"].pk)
    assert_untouched_delivered(mixed["young"].pk)


def test_text_summary_and_progress_on_stderr(mixed: dict[str, Order]) -> None:
    out, err = run("--as-of", "2025-12-10")
    assert out.startswith("Closed 2 order(s), issued 2 invoice(s); skipped 1 on hold, 0 with an open return "
                          "and 1 inside their return window; 0 failed; ")
    assert out.rstrip().endswith("s.")
    # progress goes to the command's stderr as plain lines (not a terminal), each shown once, ending with the total
    assert "\r" not in err
    assert err.strip().splitlines() == ["progress: 2/2 closed, 0 failed"]


def test_each_closed_order_gets_a_history_row_and_an_issued_invoice() -> None:
    order = delivered_order(days_ago(50))
    history_before = OrderEvent.objects.filter(order=order).count()
    run("--batch-size", "1")
    assert OrderEvent.objects.filter(order=order).count() == history_before + 1
    [event] = close_events(order.pk)
    assert (event.from_status, event.to_status, event.actor_id) == ("delivered", "closed", None)
    assert event.reason == "return window passed"
    assert event.data == {"batch": True}
    stored = Order.objects.get(pk=order.pk)
    assert event.created_at == stored.closed_at
    invoice = assert_closed_and_invoiced(order.pk)
    assert invoice.issued_at == stored.closed_at
    assert invoice.events.get(to_status="issued").data["batch"] is True


@pytest.mark.parametrize(("args", "message"), [
    (("--batch-size", "0"), "--batch-size and --limit must be positive"),
    (("--limit", "0"), "--batch-size and --limit must be positive"),
    (("--return-window-days", "-1"), "--return-window-days must not be negative"),
    (("--as-of", "2026-13-01"), "--as-of must be a date YYYY-MM-DD"),
    (("--as-of", "yesterday"), "--as-of must be a date YYYY-MM-DD"),
])
def test_invalid_arguments_are_refused(args: tuple[str, ...], message: str) -> None:
    delivered_order(days_ago(90))
    before = full_state()
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert full_state() == before


# --- limit, batch size, re-runs ------------------------------------------------------------------------------


@pytest.fixture
def twenty_five() -> list[str]:
    """25 eligible orders delivered 31..55 days ago (ids listed oldest delivery first) and one inside its
    window (the template they were copied from)."""
    template = delivered_order()
    ages = [55 - i for i in range(25)]
    return clone_delivered(template, [days_ago(age) for age in ages])


def test_small_batches_close_everything(twenty_five: list[str]) -> None:
    out, err = run("--json", "--batch-size", "4")
    report = json.loads(out)
    assert (report["closed"], report["invoices_issued"], report["failed"]) == (25, 25, [])
    for pk in twenty_five:
        assert_closed_and_invoiced(pk)
    assert assert_invoice_numbers_gap_free() == list(range(1, 26))
    assert err.strip().splitlines()[-1] == "progress: 25/25 closed, 0 failed"


def test_limit_closes_exactly_that_many_oldest_first(twenty_five: list[str]) -> None:
    # when at most 10 are closed, 4 per transaction
    report = run_json("--limit", "10", "--batch-size", "4")
    # then exactly the 10 oldest deliveries are closed
    assert (report["closed"], report["invoices_issued"]) == (10, 10)
    for pk in twenty_five[:10]:
        assert_closed_and_invoiced(pk)
    for pk in twenty_five[10:]:
        assert_untouched_delivered(pk)
    # and a second limited run takes the next 10
    assert run_json("--limit", "10")["closed"] == 10
    assert set(Order.objects.filter(status="closed").values_list("pk", flat=True)) == set(twenty_five[:20])
    assert_invoice_numbers_gap_free()


def test_second_run_closes_nothing(twenty_five: list[str]) -> None:
    first = run_json("--batch-size", "7")
    after_first = full_state()
    second = run_json("--batch-size", "7")
    assert (first["closed"], first["invoices_issued"]) == (25, 25)
    assert (second["closed"], second["invoices_issued"], second["failed"]) == (0, 0, [])
    assert full_state() == after_first


# --- invoices ------------------------------------------------------------------------------------------------


def test_batch_numbers_follow_existing_invoices_without_gaps() -> None:
    # given one invoice issued by hand (number 1)
    manual_order = OrderFactory(status="confirmed")
    manual = billing_services.invoice_issue(invoice_id=Invoice.objects.get(order=manual_order).pk, actor=None)
    year = timezone.now().year
    assert manual.number == f"INV-{year}-000001"
    # and five eligible orders
    orders = [delivered_order(days_ago(40 + i)) for i in range(5)]
    # when the batch closes them, two per transaction
    report = run_json("--batch-size", "2")
    # then their invoices take numbers 2..6, each once
    assert report["invoices_issued"] == 5
    numbers = sorted(Invoice.objects.get(order=o).number for o in orders)
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(2, 7)]
    assert assert_invoice_numbers_gap_free() == [1, 2, 3, 4, 5, 6]
    assert Invoice.objects.get(pk=manual.pk).number == manual.number


def test_issued_and_paid_invoices_are_left_alone() -> None:
    # given three eligible orders: a draft invoice, an issued one and a paid one
    draft_order, issued_order, paid_order = (delivered_order(days_ago(40)) for _ in range(3))
    issued = billing_services.invoice_issue(invoice_id=Invoice.objects.get(order=issued_order).pk, actor=None)
    paid = Invoice.objects.get(order=paid_order)
    billing_services.payment_record(invoice_id=paid.pk, amount=Decimal(paid.total), currency=paid.currency,
                                    payment_method="card", reference="AUTH-1", actor=None)
    kept = {pk: Invoice.objects.filter(pk=pk).values().get() for pk in (issued.pk, paid.pk)}
    # when the batch runs
    report = run_json()
    # then all three orders are closed but only the draft invoice is issued
    assert (report["closed"], report["invoices_issued"]) == (3, 1)
    assert statuses(draft_order, issued_order, paid_order) == ["closed"] * 3
    assert Invoice.objects.get(order=draft_order).status == InvoiceStatus.ISSUED
    assert {pk: Invoice.objects.filter(pk=pk).values().get() for pk in kept} == kept
    assert_invoice_numbers_gap_free()


# --- failures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", ["2", "100"])
def test_one_failing_order_does_not_stop_the_others(failing_order: dict[str, str], batch_size: str) -> None:
    # given six eligible orders, the third of which fails to close
    orders = [delivered_order(days_ago(60 - i)) for i in range(6)]
    bad = orders[2]
    failing_order["id"] = bad.pk
    bad_before = full_state()["billing.Invoice"]
    # when the batch runs (text output)
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("close_delivered_orders", "--batch-size", batch_size, stdout=out, stderr=err)
    # then it exits with status 1, naming the failed order and why
    assert exited.value.code == 1
    failures = [line for line in err.getvalue().splitlines() if not line.startswith("progress:")]
    assert failures == [f"failed {bad.pk}: RuntimeError: simulated failure for {bad.pk}"]
    assert err.getvalue().splitlines()[-2] == "progress: 5/6 closed, 1 failed"
    assert "Closed 5 order(s), issued 5 invoice(s);" in out.getvalue()
    assert "; 1 failed;" in out.getvalue()
    # and every other order is closed with its invoice issued
    for order in orders:
        if order is not bad:
            assert_closed_and_invoiced(order.pk)
    # while the failing one is still delivered with its draft invoice, exactly as before
    assert_untouched_delivered(bad.pk)
    bad_invoice = Invoice.objects.filter(order=bad).values().get()
    assert bad_invoice in bad_before
    # and the rolled-back attempt used no invoice number
    assert assert_invoice_numbers_gap_free() == [1, 2, 3, 4, 5]


def test_failure_is_reported_in_json_and_still_exits_1(failing_order: dict[str, str]) -> None:
    orders = [delivered_order(days_ago(60 - i)) for i in range(3)]
    failing_order["id"] = orders[0].pk
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("close_delivered_orders", "--json", "--batch-size", "10", stdout=out, stderr=StringIO())
    assert exited.value.code == 1
    report = json.loads(out.getvalue())
    assert (report["closed"], report["invoices_issued"]) == (2, 2)
    assert report["failed"] == [{"id": orders[0].pk,
                                 "reason": f"RuntimeError: simulated failure for {orders[0].pk}"}]
    assert report["interrupted"] is False
    assert_untouched_delivered(orders[0].pk)
    for order in orders[1:]:
        assert_closed_and_invoiced(order.pk)
    # and a later run, once the cause is gone, closes it
    failing_order["id"] = ""
    assert run_json()["closed"] == 1
    assert_closed_and_invoiced(orders[0].pk)
    assert_invoice_numbers_gap_free()


def test_service_reports_failures_by_order(failing_order: dict[str, str]) -> None:
    orders = [delivered_order(days_ago(60 - i)) for i in range(4)]
    failing_order["id"] = orders[1].pk
    report = services.orders_close_delivered(as_of=timezone.now(), return_window_days=30, batch_size=3)
    assert (report.closed, report.invoices_issued, report.interrupted) == (3, 3, False)
    assert report.failed == {orders[1].pk: f"RuntimeError: simulated failure for {orders[1].pk}"}


# --- interruption --------------------------------------------------------------------------------------------


def test_interrupted_run_leaves_every_order_whole() -> None:
    # given ten eligible orders
    template = delivered_order(days_ago(70))
    ids = [template.pk, *clone_delivered(template, [days_ago(60 - i) for i in range(9)])]
    # when a stop is requested once the first chunk of 3 is done
    chunks: list[int] = []
    report = services.orders_close_delivered(
        as_of=timezone.now(), return_window_days=30, batch_size=3,
        on_progress=lambda r: chunks.append(r.closed), should_stop=lambda: bool(chunks),
    )
    # then the run stopped after that chunk and says so
    assert report.interrupted is True
    assert (report.closed, report.invoices_issued, chunks) == (3, 3, [3])
    # and every order is either closed with its invoice issued, or untouched: never half-closed
    closed = [pk for pk in ids if Order.objects.get(pk=pk).status == OrderStatus.CLOSED]
    assert closed == ids[:3]  # the oldest deliveries first
    for pk in ids:
        if pk in closed:
            assert_closed_and_invoiced(pk)
        else:
            assert_untouched_delivered(pk)
    # and the next run finishes the job
    rest = services.orders_close_delivered(as_of=timezone.now(), return_window_days=30, batch_size=3)
    assert (rest.closed, rest.invoices_issued, rest.interrupted) == (7, 7, False)
    for pk in ids:
        assert_closed_and_invoiced(pk)
    assert_invoice_numbers_gap_free()


@pytest.mark.parametrize("as_json", [True, False])
def test_sigint_stops_the_command_after_the_current_chunk(as_json: bool, capsys: pytest.CaptureFixture[str]) -> None:
    # given six eligible orders
    template = delivered_order(days_ago(70))
    ids = [template.pk, *clone_delivered(template, [days_ago(60 - i) for i in range(5)])]
    sent: list[bool] = []

    def interrupt(**kwargs: Any) -> None:  # Ctrl-C while the first chunk is being closed
        if not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    pytest_handler = signal.getsignal(signal.SIGINT)
    orders_closed.connect(interrupt, sender=Order, weak=False, dispatch_uid="tests.interrupt")
    out = StringIO()
    try:
        # when the command is interrupted during its first chunk of two
        with pytest.raises(SystemExit) as exited:
            call_command("close_delivered_orders", "--batch-size", "2", *(["--json"] if as_json else []),
                         stdout=out, stderr=StringIO())
    finally:
        orders_closed.disconnect(sender=Order, dispatch_uid="tests.interrupt")
    # then it finishes that chunk, stops, says so and exits with 128 + SIGINT; its signal handlers are undone
    assert exited.value.code == 128 + signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is pytest_handler
    assert "Stopping after the current chunk" in capsys.readouterr().err
    if as_json:
        report = json.loads(out.getvalue())
        assert (report["interrupted"], report["closed"], report["invoices_issued"]) == (True, 2, 2)
    else:
        assert out.getvalue().startswith("Closed 2 order(s), issued 2 invoice(s);")
        assert out.getvalue().rstrip().endswith("(interrupted).")
    # and the chunk it was in is closed whole, the rest untouched
    for pk in ids[:2]:
        assert_closed_and_invoiced(pk)
    for pk in ids[2:]:
        assert_untouched_delivered(pk)
    assert_invoice_numbers_gap_free()


def test_stop_requested_before_the_first_chunk_closes_nothing() -> None:
    delivered_order(days_ago(70))
    before = full_state()
    report = services.orders_close_delivered(as_of=timezone.now(), return_window_days=30, should_stop=lambda: True)
    assert (report.interrupted, report.closed) == (True, 0)
    assert full_state() == before


# --- a larger mixed population -------------------------------------------------------------------------------


def test_mixed_population_closes_exactly_the_eligible_orders() -> None:
    # given 200 delivered orders of mixed ages (0.5 to 60.5 days), every ninth on hold
    template = delivered_order()
    ages = [(i * 7) % 61 + 0.5 for i in range(200)]
    held = [i % 9 == 0 for i in range(200)]
    ids = clone_delivered(template, [days_ago(age) for age in ages], held)
    set_delivered_at(template, days_ago(10))
    put_on_hold(template)
    eligible = {pk for pk, age, on_hold in zip(ids, ages, held, strict=True) if age > 30 and not on_hold}
    expected_skips = {
        "on_hold": sum(held) + 1,
        "return_open": 0,
        "return_window_open": sum(1 for age, on_hold in zip(ages, held, strict=True) if age < 30 and not on_hold),
    }
    assert 80 < len(eligible) < 120
    # when the batch runs in chunks of 32
    report = run_json("--batch-size", "32")
    # then exactly the eligible orders are closed and invoiced, and the others are skipped, untouched
    assert (report["closed"], report["invoices_issued"], report["failed"]) == (len(eligible), len(eligible), [])
    assert report["skipped"] == expected_skips
    assert set(Order.objects.filter(status="closed").values_list("pk", flat=True)) == eligible
    assert OrderEvent.objects.filter(kind="status_changed", to_status="closed").count() == len(eligible)
    assert set(Invoice.objects.filter(status="issued").values_list("order_id", flat=True)) == eligible
    assert Invoice.objects.filter(status="draft").count() == 201 - len(eligible)
    assert assert_invoice_numbers_gap_free() == list(range(1, len(eligible) + 1))
    # and a second run closes nothing and changes nothing
    after = full_state()
    again = run_json("--batch-size", "32")
    assert (again["closed"], again["invoices_issued"]) == (0, 0)
    assert again["skipped"] == expected_skips
    assert full_state() == after


def test_a_future_as_of_never_closes_an_order_whose_window_has_not_passed() -> None:
    # given an order delivered 10 days ago (window 30 days)
    order = delivered_order(days_ago(10))
    # when the batch runs "as of" a day 60 days ahead
    future = (timezone.now() + timedelta(days=60)).date().isoformat()
    report = run_json("--as-of", future)
    # then it is capped at now: nothing closes
    assert report["closed"] == 0
    assert statuses(order) == ["delivered"]
