"""Benchmark and proof: two gunicorn nodes on one PostgreSQL database.

    make bench-nodes                      # or: .venv/bin/python -m bench.two_nodes [--workers 2 --clients 12]

In a scratch database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/synthesq_bench_nodes,
dropped and created anew):
  1. starts two nodes and drives the concurrency scenarios split across them (50 confirms on stock 10,
     8 payments racing on one invoice, one batch close on each node at once, concurrent order creation),
     then checks every invariant (bench/multinode.py) and prints the outcome;
  2. measures throughput (create an order, confirm it, read it: 3 requests per order, from --clients client
     threads, after a warm-up) against one node, then against two nodes with the same workers each, --repeat
     times alternately, and prints each round and the medians.
All nodes run on this machine and share its cores with PostgreSQL and the clients, so the second figure says
what a second node adds *here*; on separate machines each node brings its own cores. Exit status 1 if an
invariant is broken.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from bench.scratch_db import setup_scratch_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/synthesq_bench_nodes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node (default 2)")
    parser.add_argument("--clients", type=int, default=12, help="concurrent client threads (default 12)")
    parser.add_argument("--orders-per-client", type=int, default=20, help="orders each client makes (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of one node then two nodes (default 3)")
    args = parser.parse_args()

    url = setup_scratch_database(DEFAULT_URL)
    from bench.multinode import Cluster, Throughput, check_invariants, make_tokens, run_scenarios, throughput
    from bench.nodes import running_nodes

    tokens = make_tokens()
    print(f"{os.cpu_count()} CPU(s); nodes of {args.workers} sync worker(s) each; database {url.rsplit('/', 1)[1]}")

    print("\n1. The scenarios on two nodes", flush=True)
    with running_nodes(2, database_url=url, workers=args.workers) as nodes:
        results = run_scenarios(Cluster(nodes=nodes, tokens=tokens))
    confirm = results["confirm"]["statuses"].values()
    print(f"   confirm race:   {sum(s == 200 for s in confirm)} confirmed, {sum(s == 422 for s in confirm)} refused "
          f"(stock {results['confirm']['stock']})")
    payments = results["payments"]["statuses"]
    print(f"   payment race:   {payments.count(201)} booked, {payments.count(422)} refused as overpayment")
    closed = [report["closed"] for report in results["close"]["reports"]]
    print(f"   batch close:    {len(results['close']['order_ids'])} orders, closed per run {closed}")
    print(f"   numbering race: {len(results['numbers']['order_numbers'])} orders created at once")
    broken = check_invariants(results)
    print("   invariants:     " + ("all hold" if not broken else "BROKEN:\n     - " + "\n     - ".join(broken)))

    print(f"\n2. Throughput: {args.clients} clients x {args.orders_per_client} orders (create, confirm, read)",
          flush=True)
    figures: dict[int, list[Throughput]] = {1: [], 2: []}
    for _round in range(args.repeat):
        for count in (1, 2):
            with running_nodes(count, database_url=url, workers=args.workers) as nodes:
                figure = throughput(Cluster(nodes=nodes, tokens=tokens), clients=args.clients,
                                    orders_per_client=args.orders_per_client)
            figures[count].append(figure)
            print(f"   {figure.nodes} node(s): {figure.requests:5d} requests in {figure.seconds:6.2f}s = "
                  f"{figure.per_second:7.1f} req/s   p50 {figure.percentile(0.5):6.1f} ms   "
                  f"p95 {figure.percentile(0.95):6.1f} ms", flush=True)
    one, two = (statistics.median(f.per_second for f in figures[n]) for n in (1, 2))
    print(f"   median of {args.repeat} round(s): one node {one:.1f} req/s, two nodes {two:.1f} req/s "
          f"= {two / one:.2f}x")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
