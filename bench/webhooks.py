"""Benchmark: what events cost the API, and how fast workers deliver webhooks.

    make bench-webhooks
    .venv/bin/python -m bench.webhooks [--moves 10000] [--endpoints 3] [--workers 2]

On a scratch PostgreSQL database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_bench_hooks,
dropped and created anew), with ``--endpoints`` endpoints subscribed to every event and pointing at a local
receiver that answers 204 (a separate process):

1. ``--moves`` order moves through the whole Django stack (PATCH …/status: confirmed, processing, shipped,
   delivered), in interleaved rounds with events on and off (EVENTS_ENABLED), single client: moves per second
   each way and their ratio.
2. ``--workers`` ``manage.py db_worker`` processes then deliver everything the events-on rounds produced:
   webhooks per second until the last delivery succeeded, and how many arrived at the receiver.

It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import time
from decimal import Decimal
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType

from bench.scratch_db import ROOT, setup_scratch_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench_hooks"
MOVES = ({"status": "confirmed"}, {"status": "processing"},
         {"status": "shipped", "tracking_number": "1Z999", "carrier": "UPS"}, {"status": "delivered"})
ROUND_ORDERS = 125


def _receive(port: int, counter: Synchronized[int], ready: EventType) -> None:
    """A minimal keep-alive HTTP/1.1 server answering every request 204, counting them."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                with counter.get_lock():
                    counter.value += 1
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _seed(orders: int, endpoints: int, receiver_url: str) -> tuple[str, list[str]]:
    from django.test.utils import override_settings

    from integrations import services as hooks
    from inventory import services as inventory
    from sales import services as sales
    from synthesq.core.services import api_token_create, api_user_provision

    user, _created = api_user_provision(username="bench", superuser=True)
    _token, plain = api_token_create(user=user)
    with override_settings(EVENTS_ENABLED=False):
        customer = sales.customer_create(actor=None, name="Bench", email="bench@example.com",
                                         default_shipping_address={"line1": "1", "city": "X", "country": "US"})
        product = inventory.product_create(actor=None, sku="BENCH-1", name="Bench", price=Decimal("10.00"),
                                           currency="USD", stock_quantity=10 * orders)
        ids = [sales.order_create(actor=None, customer_id=customer.pk, currency="USD",
                                  line_items=[sales.LineInput(product.pk, 1)]).pk for _ in range(orders)]
    for index in range(endpoints):
        hooks.webhook_endpoint_create(url=f"{receiver_url}/{index}", events=["*"], actor=None)
    return plain, ids


def _move_rounds(token: str, order_ids: list[str]) -> dict[bool, tuple[int, float]]:
    """Interleaved rounds of moves with events on and off; returns moves and seconds for each."""
    from django.db import connection
    from django.test.utils import override_settings
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    totals: dict[bool, tuple[int, float]] = {True: (0, 0.0), False: (0, 0.0)}
    for round_index, start in enumerate(range(0, len(order_ids), ROUND_ORDERS)):
        enabled = round_index % 2 == 0
        batch = order_ids[start:start + ROUND_ORDERS]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        with override_settings(EVENTS_ENABLED=enabled):
            started = time.perf_counter()
            for body in MOVES:
                for order_id in batch:
                    response = api.patch(f"/api/v1/sales/orders/{order_id}/status", body, format="json")
                    assert response.status_code == 200, response.content
            elapsed = time.perf_counter() - started
        moves, seconds = totals[enabled]
        totals[enabled] = (moves + len(batch) * len(MOVES), seconds + elapsed)
    return totals


def _deliver(workers: int, url: str, counter: Synchronized[int]) -> tuple[int, float]:
    from integrations.models import DeliveryStatus, Event, WebhookDelivery

    env = {**os.environ, "DATABASE_URL": url, "WEBHOOK_ALLOW_PRIVATE_URLS": "1"}
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.05", "--no-reload",
               "--no-startup-delay", "--verbosity", "0"]
    events = Event.objects.count()
    started = time.perf_counter()
    processes = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(workers)]
    try:
        while True:
            time.sleep(0.2)
            fanned = not Event.objects.filter(fanned_out=False).exists()
            if fanned and not WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists():
                break
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    delivered = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
    print(f"  events {events}, deliveries {delivered}, requests at the receiver {counter.value}")
    return delivered, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18612)
    args = parser.parse_args()
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one JSON line per request would be measured too
    url = setup_scratch_database(DEFAULT_URL)

    counter = multiprocessing.Value("i", 0)
    ready = multiprocessing.Event()
    receiver = multiprocessing.Process(target=_receive, args=(args.port, counter, ready), daemon=True)
    receiver.start()
    ready.wait(10)
    try:
        orders = args.moves // len(MOVES)
        token, order_ids = _seed(orders, args.endpoints, f"http://127.0.0.1:{args.port}/hooks")
        totals = _move_rounds(token, order_ids)
        (on_moves, on_s), (off_moves, off_s) = totals[True], totals[False]
        on_rate, off_rate = on_moves / on_s, off_moves / off_s
        print(f"API moves, events on : {on_moves} in {on_s:.1f} s = {on_rate:.0f}/s")
        print(f"API moves, events off: {off_moves} in {off_s:.1f} s = {off_rate:.0f}/s")
        print(f"on / off: {on_rate / off_rate:.0%}")
        delivered, seconds = _deliver(args.workers, url, counter)
        print(f"{args.workers} workers delivered {delivered} webhooks in {seconds:.1f} s = "
              f"{delivered / seconds:.0f}/s")
    finally:
        receiver.terminate()


if __name__ == "__main__":
    main()
