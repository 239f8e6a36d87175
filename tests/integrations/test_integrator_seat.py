"""What an integrator and an operator meet (issue 20, items 20 to 23), from their seat: real receivers on local
ports (one refusing connections, one hanging up), the API over HTTP, the worker's log lines and task results,
and ``/metrics`` parsed as Prometheus reads it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from integrations import delivery, tasks
from integrations.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery
from sales import services as sales
from tests.billing.helpers import pay
from tests.factories import InvoiceFactory, OrderFactory
from tests.helpers import assert_problem
from tests.log_capture import LogLines

from .helpers import ENDPOINTS_URL, EVENTS_URL, receiver, run_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrations_api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("integrations")


def _register(api: APIClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = api.post(ENDPOINTS_URL, {"url": url, "events": events or ["*"]}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HangingUp:
    """A receiver that accepts the connection, reads the request, waits ``delay`` seconds and closes without a
    word."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while True:
                connection, _address = self.server.accept()
                with connection:
                    connection.recv(65536)
                    time.sleep(self.delay)
        except OSError:
            return  # closed

    def close(self) -> None:
        self.server.close()


def _scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics as Prometheus reads it: every sample by name and labels."""
    with override_settings(METRICS_TOKEN="scrape", METRICS_ALLOWED_IPS=[]):
        response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape")
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


# --- item 20: delivery failures are visible ------------------------------------------------------------------


def test_a_refused_connection_is_a_connection_error_with_its_real_duration(integrations_api: APIClient) -> None:
    # given an endpoint on a port where nothing listens
    _register(integrations_api, f"http://127.0.0.1:{_closed_port()}/hooks", ["customer.created"])
    sales.customer_create(actor=None, name="Acme", email="acme@example.com")
    # when the worker attempts the delivery
    started = time.monotonic()
    run_tasks()
    elapsed_ms = (time.monotonic() - started) * 1000
    # then the attempt says the connection was refused, in the time it really took (not a 10-second timeout)
    attempt = WebhookAttempt.objects.get()
    assert attempt.error == "connection error: Connection refused"
    assert attempt.status_code is None and not attempt.succeeded
    assert 0 <= attempt.duration_ms <= elapsed_ms < 5000


def test_a_receiver_hanging_up_is_a_connection_error_with_the_time_it_held_the_attempt(
    integrations_api: APIClient,
) -> None:
    # given a receiver that reads the webhook, waits 0.4 s and hangs up without answering
    hanging = HangingUp(delay=0.4)
    try:
        _register(integrations_api, hanging.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
    finally:
        hanging.close()
    # then the attempt is a connection error, whose duration is the 0.4 s the receiver held it
    attempt = WebhookAttempt.objects.get()
    assert attempt.error.startswith("connection error: ") and "timeout" not in attempt.error
    assert 400 <= attempt.duration_ms < 5000


def test_a_failed_attempt_is_a_warning_naming_the_endpoint_and_the_task_result_counts_it(
    integrations_api: APIClient, log_lines: LogLines,
) -> None:
    with receiver(default=503) as failing, receiver() as working:
        # given one endpoint answering 503 (with a token in its query) and one that works
        _register(integrations_api, f"{failing.url}?token=receiver-secret", ["customer.created"])
        _register(integrations_api, working.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        # when the worker runs the fan-out task
        run_tasks()
    # then its result counts one success and one failure
    [fan_out] = DBTaskResult.objects.filter(task_path="integrations.tasks.fan_out_events")
    assert fan_out.return_value == {"attempts": 2, "succeeded": 1, "failed": 1}
    # and the failure is a warning naming the delivery, the endpoint (scheme, host and port only), the status
    # and when the next attempt comes
    [line] = [line for line in log_lines() if line.get("event") == "webhook_attempt_failed"]
    item = WebhookDelivery.objects.get(status=DeliveryStatus.PENDING)
    assert line["level"] == "warning" and line["logger"] == "synthesq.webhooks"
    assert (line["delivery_id"], line["endpoint_id"], line["attempt"], line["status_code"]) == (
        item.pk, item.endpoint_id, 1, 503)
    assert line["endpoint"] == failing.url.removesuffix("/hooks")
    assert line["next_attempt_at"] == integrations_api.get(
        f"/api/v1/webhook-deliveries/{item.pk}").json()["next_attempt_at"]
    assert "receiver-secret" not in json.dumps(log_lines())


def test_a_delivery_given_up_is_an_error(integrations_api: APIClient, log_lines: LogLines) -> None:
    with receiver(default=500) as failing:
        _register(integrations_api, failing.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
        item = WebhookDelivery.objects.get()
        item.attempts = len(tasks.services.RETRY_SCHEDULE_SECONDS) - 1
        item.next_attempt_at = timezone.now()
        item.save()
        tasks.attempt_delivery.call(item.pk)
    item.refresh_from_db()
    assert item.status == DeliveryStatus.FAILED
    [line] = [line for line in log_lines() if line.get("event") == "webhook_delivery_failed"]
    assert (line["level"], line["delivery_id"], line["status_code"]) == ("error", item.pk, 500)


def test_a_delivery_failed_because_its_endpoint_was_disabled_is_an_error(
    integrations_api: APIClient, log_lines: LogLines, django_capture_on_commit_callbacks: Any,
) -> None:
    with receiver(default=500) as failing:
        endpoint = _register(integrations_api, f"{failing.url}?token=receiver-secret", ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
    # when the integrator turns the endpoint off and its retry comes due
    assert integrations_api.patch(f"{ENDPOINTS_URL}/{endpoint['id']}", {"active": False},
                                  format="json").status_code == 200
    item = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        tasks.attempt_delivery.call(item.pk)
    # then the delivery failed, and the log says why, as an error
    item.refresh_from_db()
    assert item.status == DeliveryStatus.FAILED
    [line] = [line for line in log_lines() if line.get("event") == "webhook_delivery_failed"]
    assert (line["level"], line["delivery_id"], line["reason"]) == ("error", item.pk, "endpoint disabled")
    assert line["endpoint"] == failing.url.removesuffix("/hooks")
    assert "receiver-secret" not in json.dumps(log_lines())


def test_metrics_show_the_webhooks_and_the_task_queue(integrations_api: APIClient) -> None:
    with receiver(default=503) as failing, receiver() as working:
        # given an endpoint answering 503, one refusing connections and one that works
        _register(integrations_api, failing.url, ["customer.created"])
        _register(integrations_api, f"http://127.0.0.1:{_closed_port()}/hooks", ["customer.created"])
        _register(integrations_api, working.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
    # when Prometheus scrapes /metrics
    figures = _scrape()
    # then the deliveries, the last minutes' attempts by outcome and the endpoints are there
    assert figures[("synthesq_webhook_deliveries", (("status", "pending"),))] == 2
    assert figures[("synthesq_webhook_deliveries", (("status", "failed"),))] == 0
    for outcome, count in {"succeeded": 1, "http_error": 1, "connection_error": 1, "timeout": 0, "refused": 0,
                           "other": 0}.items():
        assert figures[("synthesq_webhook_attempts_recent", (("outcome", outcome),))] == count, outcome
    assert figures[("synthesq_webhook_endpoints", (("state", "failing"),))] == 2
    assert figures[("synthesq_webhook_endpoints", (("state", "active"),))] == 1
    # and the queue: the two retries are scheduled, nothing is due
    assert figures[("synthesq_task_queue_depth", (("state", "scheduled"),))] >= 2
    assert figures[("synthesq_task_queue_depth", (("state", "due"),))] == 0
    assert figures[("synthesq_task_queue_oldest_due_age_seconds", ())] == 0
    assert figures[("synthesq_webhook_oldest_due_delivery_age_seconds", ())] == 0
    # when the workers stop and work waits for them (a retry due two minutes ago)
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=two_minutes_ago)
    DBTaskResult.objects.filter(status="READY").update(run_after=two_minutes_ago)
    figures = _scrape()
    # then the queue's depth and the oldest due task's wait show it
    assert figures[("synthesq_task_queue_depth", (("state", "due"),))] >= 2
    assert 120 <= figures[("synthesq_task_queue_oldest_due_age_seconds", ())] < 180
    assert 120 <= figures[("synthesq_webhook_oldest_due_delivery_age_seconds", ())] < 180


def test_a_database_that_does_not_answer_drops_its_figures_not_the_scrape(
    monkeypatch: pytest.MonkeyPatch, log_lines: LogLines,
) -> None:
    from django.db import OperationalError

    from integrations.telemetry import WebhookCollector

    def unreachable(self: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(WebhookCollector, "read", unreachable)
    figures = _scrape()
    assert ("synthesq_task_queue_oldest_due_age_seconds", ()) in figures
    assert not any(name.startswith("synthesq_webhook_") for name, _labels in figures)
    [line] = [line for line in log_lines() if line.get("event") == "metrics_not_read"]
    assert (line["level"], line["collector"]) == ("warning", "WebhookCollector")


def test_an_endpoints_deliveries_filter_by_status_and_refuse_unknown_parameters(
    integrations_api: APIClient,
) -> None:
    with receiver(plan=[500]) as hook:
        endpoint = _register(integrations_api, hook.url, ["customer.created"])
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        sales.customer_create(actor=None, name="Bolt", email="bolt@example.com")
        run_tasks()
    url = f"{ENDPOINTS_URL}/{endpoint['id']}/deliveries"

    def statuses(query: str) -> list[str]:
        response = integrations_api.get(f"{url}?{query}")
        assert response.status_code == 200, response.content
        return sorted(item["status"] for item in response.json()["results"])

    assert statuses("") == ["pending", "succeeded"]
    assert statuses("status=pending") == ["pending"]
    assert statuses("status[]=succeeded") == ["succeeded"]
    assert statuses("status=pending,succeeded&limit=10") == ["pending", "succeeded"]
    assert statuses("status=failed") == []
    assert_problem(integrations_api.get(f"{url}?status=waiting"), 400, "validation_error")
    assert_problem(integrations_api.get(f"{url}?status="), 400, "validation_error")
    body = assert_problem(integrations_api.get(f"{url}?state=pending"), 400, "validation_error")
    assert "state" in json.dumps(body)


# --- item 21: an event's data is what GET returns at that commit ---------------------------------------------


def test_a_payment_that_settles_its_invoice_is_sent_as_get_shows_it(
    client_for: Callable[..., APIClient], integrations_api: APIClient,
) -> None:
    finance_api = client_for("finance")
    invoice = InvoiceFactory()
    with receiver() as hook:
        _register(integrations_api, hook.url, ["payment.recorded", "invoice.paid"])
        # when a payment settles the invoice
        answer = finance_api.post("/api/v1/sales/payments", {
            "invoice_id": invoice.pk, "amount": str(invoice.total), "currency": invoice.currency,
            "payment_method": "bank_transfer", "reference": "SETTLE-1"}, format="json")
        assert answer.status_code == 201, answer.content
        run_tasks()
    sent = {body["type"]: body for body in (json.loads(request.body) for request in hook.received)}
    payment_get = finance_api.get(f"/api/v1/sales/payments/{answer.json()['id']}").json()
    invoice_get = finance_api.get(f"/api/v1/sales/invoices/{invoice.pk}").json()
    # then the payment.recorded webhook, the events API and GET agree field by field: the invoice is paid
    assert answer.json()["invoice"]["status"] == "paid"
    assert sent["payment.recorded"]["data"]["object"] == payment_get == answer.json()
    assert sent["invoice.paid"]["data"]["object"] == invoice_get
    for body in sent.values():
        listed = integrations_api.get(f"{EVENTS_URL}/{body['id']}").json()
        assert listed["data"] == body["data"]
        # to the microsecond, the same text
        assert body["created_at"] == listed["created_at"]
        stored = Event.objects.get(pk=body["id"]).created_at
        assert body["created_at"] == stored.isoformat().replace("+00:00", "Z")
    # and the events come cause first: the payment, then the invoice it paid
    types = [event["type"] for event in integrations_api.get(EVENTS_URL, {"sort": "created_at"}).json()["results"]]
    assert types.index("payment.recorded") < types.index("invoice.paid")


def test_a_partial_payment_is_sent_with_what_remains_due(
    client_for: Callable[..., APIClient], integrations_api: APIClient,
) -> None:
    finance_api = client_for("finance")
    invoice = InvoiceFactory()
    with receiver() as hook:
        _register(integrations_api, hook.url, ["payment.recorded"])
        answer = pay(finance_api, invoice, "100.00", reference="PART-1", payment_method="card")
        run_tasks()
    [body] = [json.loads(request.body) for request in hook.received]
    assert body["data"]["object"] == finance_api.get(f"/api/v1/sales/payments/{answer.json()['id']}").json()
    assert body["data"]["object"]["invoice"]["status"] == "issued"


# --- item 22: integration traps ------------------------------------------------------------------------------


def test_after_reads_in_commit_order_without_sort(integrations_api: APIClient) -> None:
    first = OrderFactory()
    sales.order_confirm(order_id=first.pk, actor=None)
    OrderFactory()
    events = integrations_api.get(EVENTS_URL, {"sort": "created_at"}).json()["results"]
    # when a client catches up after the first event, without saying sort
    missed = integrations_api.get(EVENTS_URL, {"after": events[0]["id"]}).json()["results"]
    # then it reads what came next, oldest first
    assert [event["id"] for event in missed] == [event["id"] for event in events[1:]]
    # and sort=-created_at still turns it round
    newest = integrations_api.get(EVENTS_URL, {"after": events[0]["id"], "sort": "-created_at"}).json()["results"]
    assert [event["id"] for event in newest] == [event["id"] for event in reversed(events[1:])]


def test_the_endpoint_test_answers_with_the_pings_delivery_to_follow(integrations_api: APIClient) -> None:
    with receiver() as hook:
        endpoint = _register(integrations_api, hook.url, ["order.*"])
        # when the integrator sends a test
        answer = integrations_api.post(f"{ENDPOINTS_URL}/{endpoint['id']}/test")
        # then the answer is the ping's delivery, and its Location
        assert answer.status_code == 202, answer.content
        body = answer.json()
        assert body["id"].startswith("whd_") and body["endpoint_id"] == endpoint["id"]
        assert (body["event_type"], body["status"], body["attempts"]) == ("ping", "pending", 0)
        assert answer["Location"] == f"/api/v1/webhook-deliveries/{body['id']}"
        # which the receiver then gets (its webhook-id is the event's id), once
        run_tasks()
        assert hook.ids() == [body["event_id"]]
    followed = integrations_api.get(answer["Location"])
    assert followed.status_code == 200
    assert (followed.json()["status"], followed.json()["attempts"]) == ("succeeded", 1)
    assert WebhookDelivery.objects.count() == 1


# --- item 23: contract edges ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ENDPOINTS_URL, "/api/v1/sales/orders", "/api/v1/sales/customers", EVENTS_URL,
                                 "/api/v1/sales/invoices", "/api/v1/inventory/products"])
def test_an_empty_sort_is_refused(client_for: Callable[..., APIClient], url: str) -> None:
    api = client_for("integrations", "sales", "finance")
    body = assert_problem(api.get(f"{url}?sort="), 400, "validation_error")
    assert "sort" in json.dumps(body)


def test_registering_an_endpoint_bounds_a_slow_dns_lookup(integrations_api: APIClient,
                                                          monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    # given a resolver that takes 10 s to answer
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOK_RESOLVE_TIMEOUT_SECONDS = 1
    release = threading.Event()

    def slow(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["93.184.215.14"]

    monkeypatch.setattr(delivery, "resolve", slow)
    try:
        # when an endpoint is registered
        started = time.monotonic()
        response = integrations_api.post(ENDPOINTS_URL, {"url": "https://slow-dns.example.com/in",
                                                         "events": ["*"]}, format="json")
        elapsed = time.monotonic() - started
    finally:
        release.set()
    # then the request ends after the lookup's bound with a 400 naming the url
    body = assert_problem(response, 400, "validation_error")
    assert "could not be resolved in time" in json.dumps(body)
    assert 1 <= elapsed < 3


GET_URLS = {"cust": "/api/v1/sales/customers", "ord": "/api/v1/sales/orders", "inv": "/api/v1/sales/invoices",
            "pay": "/api/v1/sales/payments", "prod": "/api/v1/inventory/products", "ret": "/api/v1/sales/returns",
            "cn": "/api/v1/sales/credit-notes", "ref": "/api/v1/sales/refunds", "shp": "/api/v1/sales/shipments"}


def test_each_objects_last_event_of_a_change_is_what_get_returns_after_it(
    client_for: Callable[..., APIClient],
) -> None:
    api = client_for(superuser=True)
    product = api.post("/api/v1/inventory/products", {"sku": "GUIDE-1", "name": "Guide widget", "price": "129.99",
                                                       "currency": "USD", "stock_quantity": 10}, format="json")
    assert product.status_code == 201, product.content
    steps: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [  # a POST creates (201), a PATCH changes (200)
        ("create a customer", lambda ids: api.post("/api/v1/sales/customers", {
            "name": "Acme", "email": "acme@example.com"}, format="json")),
        ("rename it", lambda ids: api.patch(f"/api/v1/sales/customers/{ids['customer']}", {"name": "Acme Ltd"},
                                            format="json")),
        ("create the guide's order", lambda ids: api.post("/api/v1/sales/orders", {
            "customer_id": ids["customer"], "currency": "USD",
            "line_items": [{"product_id": product.json()["id"], "quantity": 2, "unit_price": "129.99"}],
            "shipping_address": {"line1": "123 Commerce St", "city": "Austin", "state": "TX",
                                 "postal_code": "78701", "country": "US"}}, format="json")),
        ("confirm it", lambda ids: api.patch(f"/api/v1/sales/orders/{ids['order']}/status", {"status": "confirmed"},
                                             format="json")),
        ("pay part of its draft invoice", lambda ids: api.post("/api/v1/sales/payments", {
            "invoice_id": ids["invoice"], "amount": "100.00", "currency": "USD", "payment_method": "card",
            "reference": "PART-1"}, format="json")),
        ("process it", lambda ids: api.patch(f"/api/v1/sales/orders/{ids['order']}/status",
                                             {"status": "processing"}, format="json")),
        ("ship it", lambda ids: api.patch(f"/api/v1/sales/orders/{ids['order']}/status", {
            "status": "shipped", "tracking_number": "1Z999", "carrier": "UPS"}, format="json")),
        ("pay the rest", lambda ids: api.post("/api/v1/sales/payments", {
            "invoice_id": ids["invoice"], "amount": "159.98", "currency": "USD", "payment_method": "card",
            "reference": "REST-1"}, format="json")),
    ]
    ids: dict[str, Any] = {}
    compared = set()
    for name, step in steps:
        after = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        response = step(ids)
        assert response.status_code == (201 if response.request["REQUEST_METHOD"] == "POST" else 200), (
            name, response.content)
        body = response.json()
        ids.setdefault("customer", body["id"] if body["id"].startswith("cust_") else None)
        if body["id"].startswith("ord_"):
            ids["order"] = body["id"]
            invoices = api.get("/api/v1/sales/invoices", {"order_id": body["id"]}).json()["results"]
            ids["invoice"] = invoices[0]["id"] if invoices else None
        # the last event of each object this change wrote is the object as GET returns it after the change
        last = {event.object_id: event for event in Event.objects.filter(sequence__gt=after).order_by("sequence")}
        assert last, name
        for object_id, event in last.items():
            rendered = event.data["object"]
            if rendered.get("id") != object_id:
                continue  # an event about another object (stock.adjusted names its product)
            current = api.get(f"{GET_URLS[object_id.split('_', 1)[0]]}/{object_id}").json()
            assert rendered == current, (name, event.type)
            compared.add(event.type)
    assert {"customer.created", "customer.updated", "order.created", "order.confirmed", "invoice.created",
            "payment.recorded", "invoice.issued", "order.processing", "order.shipped", "invoice.paid"} <= compared


def test_the_schema_states_the_rules_an_integrator_meets() -> None:
    schema = Client().get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    # cross-field rules the JSON schema cannot express are stated where a client generator shows them
    assert "either `lines` or `amount`" in components["CreditNoteInputRequest"]["description"]
    assert "never 0" in components["StockAdjustmentInputRequest"]["properties"]["quantity_delta"]["description"]
    assert "named twice" in components["ReturnCreateInputRequest"]["properties"]["lines"]["description"]
    # the deliveries list declares its filter, and the test call its answer
    deliveries = schema["paths"]["/api/v1/webhook-endpoints/{id}/deliveries"]["get"]
    [status] = [p for p in deliveries["parameters"] if p["name"] == "status"]
    assert status["schema"]["items"]["enum"] == ["pending", "succeeded", "failed"] and status["explode"] is True
    assert {p["name"] for p in deliveries["parameters"]} == {"id", "status", "limit", "cursor"}
    test = schema["paths"]["/api/v1/webhook-endpoints/{id}/test"]["post"]["responses"]["202"]
    assert test["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookDelivery")
    # an empty sort is not schema-valid either (the server refuses it)
    for path, item in schema["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if parameter["name"] == "sort":
                assert parameter["schema"]["minItems"] == 1, path


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_logs_a_refused_delivery_as_a_warning_with_its_endpoint_and_error() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    from integrations import services

    # given an endpoint on a port where nothing listens, and a change to deliver
    services.webhook_endpoint_create(url=f"http://127.0.0.1:{_closed_port()}/in", events=["customer.created"],
                                     actor=None)
    sales.customer_create(actor=None, name="Acme", email="acme@example.com")
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "synthesq.settings.test", "LOG_FORMAT": "json",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "WEBHOOK_ALLOW_PRIVATE_URLS": "1"}
    # when the worker, as the Procfile runs it, takes the task and stops once nothing is due
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.25", "--no-reload",
         "--no-startup-delay", "--batch"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    lines = [json.loads(line) for line in (worker.stdout + worker.stderr).splitlines() if line.startswith("{")]
    # then its log has the failure as a warning naming the endpoint and the error, with the attempt's duration
    [failed] = [line for line in lines if line.get("event") == "webhook_attempt_failed"]
    attempt = WebhookAttempt.objects.get()
    assert failed["level"] == "warning"
    assert failed["error"] == "connection error: Connection refused" == attempt.error
    assert failed["endpoint_id"] == WebhookDelivery.objects.get().endpoint_id
    assert failed["duration_ms"] == attempt.duration_ms
    # and the task's own result counts it
    [fan_out] = DBTaskResult.objects.filter(task_path="integrations.tasks.fan_out_events")
    assert fan_out.return_value == {"attempts": 1, "succeeded": 0, "failed": 1}
