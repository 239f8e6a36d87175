"""A real HTTP receiver for webhooks, and running the task queue in the test process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations.models import DeliveryStatus, Event, WebhookDelivery

EVENTS_URL = "/api/v1/events"
ENDPOINTS_URL = "/api/v1/webhook-endpoints"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Records every POST; answers with the next status of ``plan`` (then ``default``), or what ``respond``
    returns for the request. ``hold`` makes it wait (set the event to let it answer)."""

    plan: list[int] = field(default_factory=list)
    default: int = 204
    respond: Callable[[Received], int] | None = None
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self, request: Received) -> int:
        self.received.append(request)
        self.arrived.set()
        if self.hold is not None:
            self.hold.wait(30)
        if self.respond is not None:
            return self.respond(request)
        return self.plan.pop(0) if self.plan else self.default

    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.received]


class _Receiver(ThreadingHTTPServer):
    """A local receiver that keeps up with bursts: the standard library's listen backlog of 5 makes the kernel drop
    or reset connections when two workers send at once on a loaded machine, which the product rightly records as a
    failed attempt (and retries), but which is the test receiver's limit, not the product's."""

    request_queue_size = 256


@contextmanager
def receiver(**kwargs: Any) -> Iterator[Receiver]:
    state = Receiver(**kwargs)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            status = state.answer(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender went away (a killed worker)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = _Receiver(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()


def run_tasks(rounds: int | None = None) -> int:
    """Run every task that is due, in this process: ``rounds`` rounds, or until none is left (tasks a task
    enqueues included). Returns how many ran."""
    ran = 0
    for _ in range(rounds or 100):
        ready = list(DBTaskResult.objects.ready().order_by("run_after", "enqueued_at"))
        if not ready:
            return ran
        for result in ready:
            result.claim("test-worker")
            task_result = result.task_result
            result.set_successful(result.task.call(*task_result.args, **task_result.kwargs))
            ran += 1
    if rounds is None:
        raise AssertionError("tasks keep enqueuing tasks")
    return ran


def event_types(after: int = 0) -> list[str]:
    """Types of the events written after sequence ``after``, in sequence order."""
    return list(Event.objects.filter(sequence__gt=after).order_by("sequence").values_list("type", flat=True))


def last_sequence() -> int:
    return Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def fan_out_only() -> list[str]:
    """Create the deliveries of every event not fanned out yet, without sending them (as a worker that stopped
    right after the fan-out's transaction would leave them). Returns their ids."""
    from integrations import services

    return services.events_fan_out(event_ids=list(Event.objects.filter(fanned_out=False).values_list("pk", flat=True)))


def failed_delivery() -> WebhookDelivery:
    """A ``customer.created`` delivery to an endpoint whose receiver answered 500, given up as failed."""
    from integrations import services
    from sales import services as sales

    with receiver(default=500) as hook:
        services.webhook_endpoint_create(url=hook.url, events=["customer.created"], actor=None)
        sales.customer_create(actor=None, name="Acme", email="acme@example.com")
        run_tasks()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    return delivery


def lease_runs_out(delivery: WebhookDelivery) -> None:
    """``delivery``'s lease has run out and its watchdog is due: the due tasks run."""
    past = timezone.now() - timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(lease_until=past, next_attempt_at=past)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)
    run_tasks()
