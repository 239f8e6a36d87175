"""Benchmark: close 100,000 delivered orders with their draft invoices on PostgreSQL.

    make bench-close                      # or: .venv/bin/python -m bench.close_orders --orders 100000

Builds the orders (one line each, a draft invoice each, delivered 40 days ago) in a scratch database
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_bench, dropped and
created anew), then measures in the same run:
  1. a bare SQL UPDATE that only sets status and closed_at of those rows (reverted afterwards), and
  2. close_delivered_orders' service (history rows, invoice numbers and issuing included),
and prints orders closed per second and the ratio of the two times. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from decimal import Decimal

from bench.scratch_db import setup_scratch_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()

    setup_scratch_database(DEFAULT_URL)
    from django.db import connection
    from django.utils import timezone

    from billing.models import Invoice, InvoiceLine
    from inventory.models import Product
    from sales import services
    from sales.models import Customer, Order, OrderLine, OrderStatus

    n = args.orders
    print(f"Building {n:,} delivered orders with draft invoices …", flush=True)
    started = time.perf_counter()
    customer = Customer.objects.create(name="Bench Co", email="bench@example.com",
                                       default_shipping_address={"line1": "1 Main", "city": "X", "country": "US"})
    product = Product.objects.create(sku="BENCH-1", name="Bench item", price=Decimal("129.99"), currency="USD")
    delivered_at = timezone.now() - timedelta(days=40)
    address = customer.default_shipping_address
    chunk = 5000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        orders = Order.objects.bulk_create([
            Order(order_number=f"SO-B{start + i:08d}", customer=customer, currency="USD",
                  shipping_address=address, subtotal=Decimal("259.98"), total=Decimal("259.98"),
                  status=OrderStatus.DELIVERED, confirmed_at=delivered_at, processing_at=delivered_at,
                  shipped_at=delivered_at, delivered_at=delivered_at, tracking_number="1Z", carrier="UPS")
            for i in range(size)
        ])
        OrderLine.objects.bulk_create([
            OrderLine(order=o, position=1, product=product, sku=product.sku, name=product.name, quantity=2,
                      unit_price=Decimal("129.99"), line_total=Decimal("259.98"))
            for o in orders
        ])
        invoices = Invoice.objects.bulk_create([
            Invoice(order=o, customer=customer, currency="USD", customer_name=customer.name,
                    customer_email=customer.email, billing_address=address, subtotal=Decimal("259.98"),
                    total=Decimal("259.98"))
            for o in orders
        ])
        InvoiceLine.objects.bulk_create([
            InvoiceLine(invoice=inv, position=1, product_id=product.pk, sku=product.sku, description=product.name,
                        quantity=2, unit_price=Decimal("129.99"), line_total=Decimal("259.98"))
            for inv in invoices
        ])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:.1f}s", flush=True)

    # 1. The floor: a bare UPDATE of status and closed_at on the same rows, then put them back.
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(
            "UPDATE sales_order SET status = 'closed', closed_at = now() "
            "WHERE status = 'delivered' AND on_hold = false AND delivered_at <= now() - interval '30 days'"
        )
        bare_rows = cursor.rowcount
        bare_seconds = time.perf_counter() - t0
        cursor.execute("UPDATE sales_order SET status = 'delivered', closed_at = NULL WHERE status = 'closed'")
        cursor.execute("VACUUM ANALYZE sales_order")

    # 2. The real thing: the command's service, with history rows and invoice issuing.
    t0 = time.perf_counter()
    report = services.orders_close_delivered(as_of=timezone.now(), return_window_days=30,
                                             batch_size=args.batch_size)
    seconds = time.perf_counter() - t0

    issued = Invoice.objects.filter(status="issued").count()
    numbers = Invoice.objects.filter(status="issued").values_list("number", flat=True)
    distinct = len(set(numbers))
    print()
    print(f"orders closed:            {report.closed:,} (invoices issued {report.invoices_issued:,}; "
          f"{issued:,} issued, {distinct:,} distinct numbers; failed {len(report.failed or {})})")
    print(f"close_delivered_orders:   {seconds:.2f} s  ->  {report.closed / seconds:,.0f} orders/s "
          f"(batch size {args.batch_size})")
    print(f"bare SQL UPDATE:          {bare_seconds:.2f} s for {bare_rows:,} rows")
    print(f"ratio (command / bare):   {seconds / bare_seconds:.1f}x")
    print("goal: >= 2,000 orders/s and <= 10x the bare UPDATE")


if __name__ == "__main__":
    main()
