"""Benchmark: the order list stays fast on deep pages of a million orders (cursor pagination).

    make bench-orders-list                # or: .venv/bin/python -m bench.orders_list --orders 1000000

Loads the orders with COPY into a scratch PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/synthesq_bench_list, dropped and created anew), then times
GET /api/v1/sales/orders through the whole Django stack (auth, filters, serializer) for the first page and
for a page 90% deep (the cursor the API would hand out there), with the guide's two queries, and for
comparison the same depth with LIMIT/OFFSET in SQL. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bench.scratch_db import setup_scratch_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench_list"
ADDRESS = '{"line1": "1 Main", "city": "Austin", "country": "US"}'


def _timed(fn: Callable[[], object], repeat: int = 5) -> float:
    times: list[float] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_scratch_database(DEFAULT_URL)
    from django.db import connection
    from rest_framework.test import APIClient
    from ulid import ULID

    from inventory.models import Product
    from sales.models import Customer, Order, OrderStatus
    from synthesq.core.services import api_token_create, api_user_provision

    customers = [Customer.objects.create(name=f"Customer {i}", email=f"c{i}@example.com",
                                         default_shipping_address={"line1": "1", "city": "X", "country": "US"})
                 for i in range(50)]
    product = Product.objects.create(sku="BENCH-L", name="Bench", price="10.00", currency="USD")

    n = args.orders
    print(f"Loading {n:,} orders (one line each) with COPY …", flush=True)
    statuses = [s for s in OrderStatus.values]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    fields = [f for f in Order._meta.concrete_fields]
    columns = [f.column for f in fields]
    t0 = time.perf_counter()
    order_ids: list[str] = []
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(f"COPY sales_order ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(n):
                created = start + timedelta(seconds=i * 30)
                oid = f"ord_{ULID.from_datetime(created)}"
                order_ids.append(oid)
                values = {
                    "id": oid, "order_number": f"SO-{i + 1:08d}", "customer_id": customers[i % 50].pk,
                    "currency": "USD", "status": statuses[i % len(statuses)], "shipping_address": ADDRESS,
                    "subtotal": "20.00", "total": f"{(i % 997) + 1}.00", "tracking_number": "", "carrier": "",
                    "cancellation_reason": "", "created_by_id": None, "created_at": created, "updated_at": created,
                    "on_hold": False, "hold_reason": "", "held_at": None, "held_by_id": None,
                }
                if values["status"] in ("delivered", "closed"):
                    values["delivered_at"] = created
                if values["status"] in ("delivered", "closed"):
                    values["delivered_at"] = created
                copy.write_row([values.get(f.attname) for f in fields])
        with raw.cursor().copy("COPY sales_orderline (order_id, position, product_id, sku, name, quantity, "
                               "unit_price, line_total) FROM STDIN") as copy:
            for oid in order_ids:
                copy.write_row([oid, 1, product.pk, "BENCH-L", "Bench", 2, "10.00", "20.00"])
        cursor.execute("VACUUM ANALYZE sales_order")
        cursor.execute("VACUUM ANALYZE sales_orderline")
    print(f"  loaded in {time.perf_counter() - t0:.1f}s", flush=True)

    user, _ = api_user_provision(username="bench", superuser=True)
    _token, plain = api_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")

    def get(params: dict) -> None:
        response = client.get("/api/v1/sales/orders?" + urlencode(params, doseq=True))
        assert response.status_code == 200, response.content[:300]

    def cursor_at(position: str) -> str:
        return base64.b64encode(urlencode({"p": position}).encode()).decode()  # as DRF encodes it

    deep_created = (start + timedelta(seconds=int(n * 0.9) * 30)).isoformat()
    guide_one = {"customer_id": customers[7].pk, "status[]": ["draft", "confirmed", "processing"]}
    guide_two = {"status": "processing", "sort": "-created_at"}
    rows = [
        ("default sort, first page (50)", lambda: get({"limit": 50})),
        ("sort=-created_at, page 90% deep", lambda: get({"limit": 50, "sort": "-created_at",
                                                          "cursor": cursor_at(deep_created)})),
        ("guide query 1, first page", lambda: get({**guide_one, "limit": 50})),
        ("guide query 2, first page", lambda: get({**guide_two, "limit": 50})),
        ("guide query 2, page 90% deep", lambda: get({**guide_two, "limit": 50, "cursor": cursor_at(deep_created)})),
        ("limit=200, first page", lambda: get({"limit": 200})),
    ]
    print(f"\nGET /api/v1/sales/orders on {n:,} orders (median of 5, whole Django stack):")
    for label, fn in rows:
        fn()
        print(f"  {label:<36} {_timed(fn):8.1f} ms")

    def offset_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM sales_order ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET %s",
                           [int(n * 0.9)])
            cursor.fetchall()

    print(f"  {'(for comparison) SQL OFFSET 90% deep':<36} {_timed(offset_sql):8.1f} ms")


if __name__ == "__main__":
    main()
