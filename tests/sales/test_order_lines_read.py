"""A page's lines are read with their allocations looked up per line (``order_lines_read``, issue 25): however
many allocations the database holds, PostgreSQL reads a page's through the index on their line, in the plan it
makes for these values and in the one it makes once for any (a prepared statement's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from sales.models import Order, OrderLine, OrderLineAllocation, OrderStatus
from sales.selectors import order_lines_read
from tests.factories import OrderFactory, ProductFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans; CI runs it there")]


def _copies(model: type[Any], count: int, *, where: str, columns: dict[str, str]) -> None:
    """``count`` copies of the rows of ``model`` matching ``where``, each copy ``g`` (1..count) with ``columns``
    set to SQL expressions of ``g``; the others as the template's (an identity key: made anew)."""
    fields = [field for field in model._meta.concrete_fields
              if not (field.primary_key and field.column not in columns)]
    names = ", ".join(f'"{field.column}"' for field in fields)
    values = ", ".join(columns.get(field.column, f't."{field.column}"') for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{model._meta.db_table}" ({names}) SELECT {values}'
                       f' FROM "{model._meta.db_table}" AS t, generate_series(1, {count}) AS g WHERE {where}')


def _scans(sql: str, params: Any, *, generic: bool) -> set[tuple[str, str]]:
    """(node type, table) of every scan in the plan PostgreSQL makes for the statement: for these values, or
    (``generic``) once for any, as it may for a prepared statement."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET plan_cache_mode = {'force_generic_plan' if generic else 'auto'}")
        try:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("RESET plan_cache_mode")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    scans, nodes = set(), [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if "Relation Name" in node:
            scans.add((node["Node Type"], node["Relation Name"]))
        nodes.extend(node.get("Plans", ()))
    return scans


def test_a_page_reads_its_allocations_by_their_line_whatever_their_number() -> None:
    # given 4,000 confirmed orders of 3 lines, each line allocated (12,000 allocations), analysed: a table the
    # planner would rather read whole and hash than look 150 lines up in (it did, at 35,000: 5 ms a page)
    template = OrderFactory(status=OrderStatus.CONFIRMED,
                            lines=[(ProductFactory(stock=10), 1), (ProductFactory(stock=10), 2),
                                   (ProductFactory(stock=10), 3)])
    _copies(Order, 4000, where=f"t.id = '{template.pk}'",
            columns={"id": "'ord_copy' || lpad(g::text, 6, '0')", "order_number": "'COPY-' || g"})
    _copies(OrderLine, 4000, where=f"t.order_id = '{template.pk}'",
            columns={"order_id": "'ord_copy' || lpad(g::text, 6, '0')"})
    with connection.cursor() as cursor:  # each copied line allocated as the template's line in its position is
        cursor.execute('INSERT INTO "sales_orderlineallocation" ("quantity", "line_id", "warehouse_id")'
                       ' SELECT l."quantity", l."id", a."warehouse_id" FROM "sales_orderline" AS l'
                       ' JOIN "sales_orderline" AS t ON t."order_id" = %s AND t."position" = l."position"'
                       ' JOIN "sales_orderlineallocation" AS a ON a."line_id" = t."id"'
                       ' WHERE l."order_id" LIKE %s', [template.pk, "ord_copy%"])
        cursor.execute("ANALYZE sales_order, sales_orderline, sales_orderlineallocation")
    assert OrderLineAllocation.objects.count() == 3 * 4001
    page = list(Order.objects.filter(pk__startswith="ord_copy").order_by("-pk").values_list("pk", flat=True)[:50])
    statements: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    # when a page of 50 of them is read
    with connection.execute_wrapper(keep):
        lines = order_lines_read(page)
    [(sql, params)] = statements
    # then every line has its allocation, and each plan looks them up by their line's index, never reading them all
    assert all([line.allocations for line in read.lines] == [line.allocations for line in lines[page[0]].lines]
               and len(read.lines) == 3 and read.lines[0].allocations for read in lines.values())
    for generic in (False, True):
        scans = {scan for scan in _scans(sql, params, generic=generic) if scan[1] == "sales_orderlineallocation"}
        assert scans and all(kind != "Seq Scan" for kind, _table in scans), (generic, scans)
