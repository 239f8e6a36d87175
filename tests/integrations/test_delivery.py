"""Webhook delivery end to end, against a real HTTP receiver that verifies every signature with the
``standardwebhooks`` library: each event once per subscribed endpoint, retries with the same ``webhook-id``,
secret rotation, refusals of unsafe addresses at delivery time, the failure clock, resends, recovery, purge."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from standardwebhooks import Webhook

from integrations import delivery, services
from integrations.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sales import services as sales
from sales.models import OrderStatus
from tests.factories import OrderFactory, UserFactory

from .helpers import Receiver, fan_out_only, lease_runs_out, receiver, run_tasks

pytestmark = pytest.mark.django_db


def _endpoint(url: str, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
    return services.webhook_endpoint_create(url=url, events=events or ["*"], actor=UserFactory(roles=["integrations"]))


def _verified(hook: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every body the receiver got, each verified with the endpoint's secret as a receiver would."""
    return [Webhook(secret).verify(request.body, request.headers) for request in hook.received]


def _make_due(*deliveries: WebhookDelivery) -> None:
    """Bring scheduled retries to now (instead of waiting seconds or hours)."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=now, lease_until=None)
    DBTaskResult.objects.filter(status="READY").update(run_after=now)


def test_each_event_reaches_each_subscribed_endpoint_once_signed() -> None:
    with receiver() as orders_hook, receiver() as everything_hook:
        # given one endpoint for order events, one for all
        _orders, orders_secret = _endpoint(orders_hook.url, ["order.*"])
        _all, all_secret = _endpoint(everything_hook.url, ["*"])
        # when an order is created and confirmed and the workers run
        order = OrderFactory()
        sales.order_confirm(order_id=order.pk, actor=None)
        run_tasks()
        # then the order endpoint got the order events, the other everything, each once, verified (webhooks
        # sent together may arrive in any order)
        order_events = [body["type"] for body in _verified(orders_hook, orders_secret)]
        assert sorted(order_events) == ["order.confirmed", "order.created"]
        all_events = [body["id"] for body in _verified(everything_hook, all_secret)]
        assert sorted(all_events) == sorted(Event.objects.values_list("id", flat=True))
        assert Event.objects.filter(type="invoice.created").exists()
        # and each body is {id, type, created_at, data} with webhook-id the event id
        first = json.loads(orders_hook.received[0].body)
        assert set(first) == {"id", "type", "created_at", "data"}
        assert orders_hook.received[0].headers["webhook-id"] == first["id"]
        assert first["data"]["object"]["id"] == order.pk
        assert WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).count() == 0


def test_a_failed_delivery_is_retried_with_the_same_webhook_id() -> None:
    with receiver(plan=[500, 503]) as hook:
        # given an endpoint that fails twice, then answers 200
        _endpoint_row, secret = _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
        item = WebhookDelivery.objects.get()
        assert (item.status, item.attempts, item.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
        # when the retries come due, one after the other
        for _ in range(2):
            _make_due(item)
            run_tasks()
        # then the third attempt succeeded, all three with the same id and a valid signature
        item.refresh_from_db()
        assert (item.status, item.attempts, item.last_status_code) == (DeliveryStatus.SUCCEEDED, 3, 204)
        assert len(set(hook.ids())) == 1 and len(hook.ids()) == 3
        assert len(_verified(hook, secret)) == 3
        log = list(item.attempt_log.values_list("number", "status_code", "succeeded"))
        assert log == [(1, 500, False), (2, 503, False), (3, 204, True)]


def test_retries_come_seconds_then_tens_of_seconds_then_minutes_then_fail() -> None:
    with receiver(default=500) as hook:
        _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
        item = WebhookDelivery.objects.get()
        # each failure schedules the next attempt on the schedule (±10 % jitter): 2 s, 10 s, 30 s, 2 min, …
        waits = []
        for _ in range(10):
            item.refresh_from_db()
            waits.append((item.next_attempt_at - item.last_attempt_at).total_seconds())
            _make_due(item)
            run_tasks()
        expected = [2, 10, 30, 120, 300, 1800, 7200, 18000, 36000, 36000]
        assert all(0.89 * want <= got <= 1.11 * want for got, want in zip(waits, expected, strict=True)), waits
        # so a receiver down for ten seconds has its webhook at the third attempt, about 12 s after the first
        assert sum(expected[:2]) <= 12 * 1.1
        item.refresh_from_db()
        assert (item.status, item.attempts) == (DeliveryStatus.FAILED, 11)
        assert len(hook.received) == 11
        assert services.retry_delay(12) is None


def test_rotation_signs_with_both_secrets_for_a_day() -> None:
    with receiver() as hook:
        endpoint, old_secret = _endpoint(hook.url, ["customer.created"])
        _rotated, new_secret = services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk, actor=None)
        assert new_secret != old_secret and new_secret.startswith("whsec_")
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
        # then receivers on either secret verify the same delivery
        assert _verified(hook, old_secret) == _verified(hook, new_secret)
        assert len(hook.received[0].headers["webhook-signature"].split(" ")) == 2
        # and a day later only the new one signs
        endpoint.refresh_from_db()
        assert services.endpoint_signing_secrets(endpoint, timezone.now() + timedelta(hours=25)) == [new_secret]


def test_an_address_that_turns_private_after_registration_is_refused_at_delivery(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an https endpoint registered while its host resolved to a public address
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(delivery, "resolve", lambda host, port: ["93.184.215.14"])
    endpoint, _secret = _endpoint("https://hooks.example.com/in", ["customer.created"])
    # when its DNS now answers with the cloud metadata address, and an event is delivered
    monkeypatch.setattr(delivery, "resolve", lambda host, port: ["169.254.169.254"])
    sales.customer_create(actor=None, name="Acme", email="acme@example.com")
    run_tasks()
    # then nothing was sent there: the attempt failed as refused
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error.startswith("refused:")
    assert "169.254.169.254" in attempt.error
    assert WebhookDelivery.objects.get().endpoint_id == endpoint.pk


def test_a_slow_receiver_times_out_as_a_failure(settings: Any) -> None:
    import threading

    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    gate = threading.Event()
    with receiver(hold=gate) as hook:
        _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
        gate.set()
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.succeeded) == (None, False)
    assert attempt.error == "timeout after 1 s"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_an_endpoint_failing_for_days_is_disabled_with_an_event(settings: Any) -> None:
    with receiver(default=500) as hook:
        endpoint, _secret = _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="A", email="a@example.com")
        run_tasks()
        endpoint.refresh_from_db()
        assert endpoint.failing_since is not None and endpoint.is_active
        # when it has been failing for longer than WEBHOOK_DISABLE_AFTER_DAYS and fails again
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS, minutes=1))
        _make_due()
        run_tasks()
    # then it is disabled, and an event says so
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    disabled = Event.objects.get(type="webhook_endpoint.disabled")
    assert disabled.object_id == endpoint.pk and disabled.data["object"]["active"] is False
    # and a later event is not delivered to it; its pending delivery fails as disabled
    sales.customer_create(actor=None, name="B", email="b@example.com")
    _make_due()
    run_tasks()
    assert WebhookDelivery.objects.filter(event__type="customer.created").count() == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_success_stops_the_failure_clock() -> None:
    with receiver(plan=[500]) as hook:
        endpoint, _secret = _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="A", email="a@example.com")
        run_tasks()
        _make_due()
        run_tasks()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_ping_goes_to_its_endpoint_only() -> None:
    with receiver() as pinged, receiver() as other:
        endpoint, secret = _endpoint(pinged.url, ["*"])
        _endpoint(other.url, ["*"])
        services.webhook_endpoint_test(endpoint_id=endpoint.pk, actor=None)
        run_tasks()
        assert [body["type"] for body in _verified(pinged, secret)] == ["ping"]
        assert other.received == []


def test_a_resend_sends_a_delivered_event_again() -> None:
    with receiver() as hook:
        _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="A", email="a@example.com")
        run_tasks()
        item = WebhookDelivery.objects.get()
        services.webhook_delivery_retry(delivery_id=item.pk, actor=None)
        run_tasks()
        item.refresh_from_db()
        assert (item.status, item.attempts) == (DeliveryStatus.SUCCEEDED, 2)
        assert hook.ids() == [item.event_id, item.event_id]


def test_an_interrupted_attempt_is_taken_over_when_its_lease_ends() -> None:
    with receiver() as hook:
        _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="A", email="a@example.com")
        fan_out_only()
        item = WebhookDelivery.objects.get()
        # given a worker that claimed the attempt and stopped before recording an answer
        assert services.claim_deliveries([item.pk])
        assert services.claim_deliveries([item.pk]) == []  # and nobody else may take it while the lease runs
        # when the lease has run out and the watchdog comes due
        lease_runs_out(item)
    # then the interrupted attempt is on record and the next one delivered it
    item.refresh_from_db()
    assert item.status == DeliveryStatus.SUCCEEDED
    log = list(item.attempt_log.values_list("number", "succeeded", "error"))
    assert log == [(1, False, "interrupted: no answer was recorded"), (2, True, "")]
    assert hook.ids() == [item.event_id]


def test_recover_restarts_work_whose_trigger_was_lost() -> None:
    from django_tasks_db.models import DBTaskResult

    with receiver() as hook:
        _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="A", email="a@example.com")
        # given the fan-out task was lost (a worker took it and died) a while ago
        DBTaskResult.objects.all().delete()
        Event.objects.update(created_at=timezone.now() - timedelta(minutes=5))
        # when recovery runs (a worker starting, or cron)
        call_command("webhooks_recover", stdout=__import__("io").StringIO())
        run_tasks()
        assert len(hook.received) == 1


def test_purge_deletes_old_events_with_their_deliveries() -> None:
    with receiver() as hook:
        _endpoint(hook.url, ["order.*"])
        OrderFactory(status=OrderStatus.CONFIRMED)
        run_tasks()
    old_ids = list(Event.objects.values_list("pk", flat=True))
    Event.objects.update(created_at=timezone.now() - timedelta(days=31))
    sales.customer_create(actor=None, name="Fresh", email="fresh@example.com")
    out = __import__("io").StringIO()
    call_command("purge_events", "--batch-size", "2", stdout=out)
    assert not Event.objects.filter(pk__in=old_ids).exists()
    assert list(Event.objects.values_list("type", flat=True)) == ["customer.created"]
    assert not WebhookDelivery.objects.exists() and not WebhookAttempt.objects.exists()
    assert f"Deleted {len(old_ids)} event(s)" in out.getvalue()


def test_the_sweep_covers_a_first_attempt_that_started_late_and_was_interrupted() -> None:
    from django_tasks_db.models import DBTaskResult

    with receiver() as hook:
        _endpoint(hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="A", email="a@example.com")
        fan_out_only()  # the deliveries, and a sweep for later
        item = WebhookDelivery.objects.get()
        # given the first attempt was taken late (its lease outlives the sweep) and its worker stopped
        assert services.claim_deliveries([item.pk])
        DBTaskResult.objects.filter(status="READY", task_path__endswith="attempt_delivery").delete()
        # when the sweep runs while the lease still holds
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_tasks()
        assert hook.received == []
        # then it left a watchdog for the lease's end, which delivers it
        lease_runs_out(item)
    item.refresh_from_db()
    assert item.status == DeliveryStatus.SUCCEEDED
    assert hook.ids() == [item.event_id]


def test_a_failing_endpoint_waits_in_its_own_tasks_while_the_others_are_delivered_at_once() -> None:
    from django_tasks_db.models import DBTaskResult

    with receiver() as healthy, receiver(default=500) as broken:
        _endpoint(healthy.url, ["customer.created"])
        failing, _secret = _endpoint(broken.url, ["customer.created"])
        WebhookEndpoint.objects.filter(pk=failing.pk).update(failing_since=timezone.now() - timedelta(hours=1))
        sales.customer_create(actor=None, name="A", email="a@example.com")
        # when the fan-out runs (and only it)
        attempts_before = DBTaskResult.objects.filter(task_path__endswith="attempt_delivery").count()
        now_ids = fan_out_only()
        # then the healthy endpoint's delivery is attempted in the fan-out, the failing one's in a task of its own
        assert len(now_ids) == 1 and WebhookDelivery.objects.get(pk=now_ids[0]).endpoint_id != failing.pk
        assert DBTaskResult.objects.filter(task_path__endswith="attempt_delivery").count() == attempts_before + 1
        # and when the fan-out goes on to deliver its own, and the other task runs, each got its one
        services.webhook_deliveries_run(delivery_ids=now_ids)
        assert (len(healthy.received), len(broken.received)) == (1, 0)
        run_tasks()
        assert (len(healthy.received), len(broken.received)) == (1, 1)


def test_many_deliveries_go_out_in_concurrent_chunks() -> None:
    with receiver() as hook:
        _endpoint(hook.url, ["customer.created"])
        for index in range(120):
            sales.customer_create(actor=None, name=f"C{index}", email=f"c{index}@example.com")
        run_tasks()
    assert len(set(hook.ids())) == len(hook.ids()) == 120
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SUCCEEDED, 1)}
