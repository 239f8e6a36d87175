"""The contract floors: create and confirm doing the product's statements, with the least Python around them.

Each issues, on PostgreSQL, exactly the statements the real endpoint issues (read from ``CaptureQueriesContext``
around ``POST /api/v1/sales/orders`` and ``PATCH …/status`` → confirmed): the same tables, rows, locks and round
trips, in one transaction. Only the Python differs: hand-written SQL through ``connection.cursor()`` instead of
the ORM, a plain ``serializers.Serializer`` with the input serializer's fields and limits instead of the
product's, and the response (and the events' payloads) built as plain dicts with the real response's keys. So
the ratio of a contract floor to the write floor is what the best Python doing the contract's statements could
reach: the rest of the gap to the write floor is the database work and the request's fixed costs.

- ``POST /api/v1/floor/create`` (the create body): 1 the products with the customer's existence and default
  address, 2 the order number (``UPDATE core_sequence … RETURNING``), 3 the order row, 4 its lines (one INSERT),
  5 the ``created`` history row, 6 the ``order.created`` event numbered from the ``events`` counter (``WITH …
  UPDATE … INSERT``), 7 the ``fan_out_events`` task row (django-tasks' database backend).
- ``PATCH /api/v1/floor/confirm/{id}`` (``{"status": "confirmed"}``): 1 the order with its lines and customer
  ``FOR UPDATE OF`` order and lines, 2 the products and their warehouse stock rows ``FOR NO KEY UPDATE`` (by
  product, then warehouse), 3 the stock reserved (products, warehouse rows), its ledger rows and the lines'
  allocations (``WITH … UPDATE …, … UPDATE …, … INSERT … INSERT …``), 4 the order's status, 5 its history
  row, 6 whether the order has an invoice, 7 the draft invoice, 8 its lines, 9 its history row, 10 the
  ``order.confirmed`` and ``invoice.created`` events, 11 the task row.

With the bearer token's lookup (the product's authentication), 8 and 12 statements plus BEGIN and COMMIT: the
real endpoints' counts (``tests/bench/test_contract.py`` holds them equal). The permission is only
"authenticated", as for the other floors; refusals answer as the product does (400, 404, 409, 422).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from ulid import ULID

from inventory.allocation import Source, allocate
from sales.models import OrderStatus
from synthesq.core.authentication import BearerTokenAuthentication
from synthesq.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, format_amount, is_known_currency, quantize

TASK_PATH = "integrations.tasks.fan_out_events"


# --- input: the product's fields and limits, plain serializers -------------------------------------------


class ContractAddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["country"] = attrs["country"].upper()
        return attrs


class ContractLineItemSerializer(serializers.Serializer):
    product_id = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = serializers.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
                                          min_value=Decimal(0), required=False, allow_null=True)


class ContractCreateInputSerializer(serializers.Serializer):
    customer_id = serializers.CharField(max_length=40)
    currency = serializers.CharField(min_length=3, max_length=3)
    line_items = ContractLineItemSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]
    shipping_address = ContractAddressSerializer(required=False, allow_null=True)

    def validate_currency(self, value: str) -> str:
        if not is_known_currency(value):
            raise serializers.ValidationError(f"{value!r} is not an ISO 4217 currency code.")
        return value


class ContractStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    carrier = serializers.CharField(max_length=64, required=False, allow_blank=True)
    waive_return_window = serializers.BooleanField(required=False, default=False)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The order cannot make this move."
    default_code = "invalid_transition"


class Unprocessable(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Refused."
    default_code = "refused"


# --- output: plain dicts with the real representations' keys ---------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _json(value: Any) -> Any:
    """A jsonb column as Python (Django's psycopg setup may hand it over as text)."""
    return json.loads(value) if isinstance(value, str) else value


def _order_dict(order: dict[str, Any], lines: list[dict[str, Any]], allowed: list[str]) -> dict[str, Any]:
    currency = order["currency"]
    return {
        "id": order["id"], "order_number": order["order_number"], "status": order["status"],
        "customer_id": order["customer_id"], "currency": currency,
        "line_items": [{"product_id": line["product_id"], "sku": line["sku"], "name": line["name"],
                        "quantity": line["quantity"], "unit_price": format_amount(line["unit_price"], currency),
                        "line_total": format_amount(line["line_total"], currency), "returned_quantity": 0,
                        "allocations": [{"warehouse_id": warehouse_id, "quantity": quantity}
                                        for warehouse_id, quantity in line.get("allocations", [])]}
                       for line in lines],
        "subtotal": format_amount(order["subtotal"], currency), "total": format_amount(order["total"], currency),
        "shipping_address": order["shipping_address"], "tracking_number": order["tracking_number"],
        "carrier": order["carrier"], "cancellation_reason": order["cancellation_reason"],
        "on_hold": order["on_hold"], "hold_reason": order["hold_reason"], "held_at": _iso(order["held_at"]),
        "return_window_ends_at": None, "allowed_statuses": allowed,
        "created_at": _iso(order["created_at"]), "updated_at": _iso(order["updated_at"]),
        "confirmed_at": _iso(order["confirmed_at"]), "processing_at": None, "shipped_at": None,
        "delivered_at": None, "closed_at": None, "cancelled_at": None, "returns": [],
    }


def _invoice_dict(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    currency = invoice["currency"]
    zero = format_amount(Decimal(0), currency)
    return {
        "id": invoice["id"], "number": None, "order_id": invoice["order_id"],
        "customer_id": invoice["customer_id"], "status": "draft", "currency": currency,
        "customer_name": invoice["customer_name"], "customer_email": invoice["customer_email"],
        "billing_address": invoice["billing_address"],
        "line_items": [{"product_id": line["product_id"], "sku": line["sku"], "description": line["name"],
                        "quantity": line["quantity"], "unit_price": format_amount(line["unit_price"], currency),
                        "line_total": format_amount(line["line_total"], currency)} for line in lines],
        "subtotal": format_amount(invoice["total"], currency), "total": format_amount(invoice["total"], currency),
        "amount_paid": zero, "amount_credited": zero, "amount_refunded": zero,
        "amount_due": format_amount(invoice["total"], currency), "amount_refundable": zero, "overdue": False,
        "allowed_statuses": ["issued", "void"], "issued_at": None, "due_at": None, "paid_at": None,
        "voided_at": None, "void_reason": "", "created_at": _iso(invoice["created_at"]),
        "updated_at": _iso(invoice["created_at"]),
    }


# --- the statements -------------------------------------------------------------------------------------

_PRODUCTS_WITH_CUSTOMER = """
    SELECT p.id, p.sku, p.name, p.price, p.currency, p.is_active,
           EXISTS(SELECT 1 FROM inventory_product v WHERE v.parent_id = p.id) AS has_variants,
           EXISTS(SELECT 1 FROM sales_customer c WHERE c.id = %s) AS customer_found,
           (SELECT c.default_shipping_address FROM sales_customer c WHERE c.id = %s) AS customer_address
      FROM inventory_product p WHERE p.id = ANY(%s::varchar[])
"""
_NEXT_ORDER_NUMBER = "UPDATE core_sequence SET value = value + 1 WHERE name = 'order_number' RETURNING value"
_INSERT_ORDER = """
    INSERT INTO sales_order (created_at, updated_at, id, order_number, customer_id, currency, status,
                             shipping_address, subtotal, total, tracking_number, carrier, cancellation_reason,
                             on_hold, hold_reason, held_at, held_by_id, created_by_id, confirmed_at, processing_at,
                             shipped_at, delivered_at, closed_at, cancelled_at)
    VALUES (%s, %s, %s, %s, %s, %s, 'draft', %s::jsonb, %s, %s, '', '', '', false, '', NULL, NULL, %s, NULL, NULL,
            NULL, NULL, NULL, NULL)
"""
_INSERT_ORDER_LINES = """
    INSERT INTO sales_orderline (order_id, position, product_id, sku, name, quantity, unit_price, line_total)
    SELECT %s, * FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::varchar[], %s::int[], %s::numeric[],
                             %s::numeric[])
"""
_INSERT_ORDER_HISTORY = """
    INSERT INTO sales_orderevent (from_status, to_status, actor_id, reason, data, created_at, order_id, kind)
    VALUES (%s, %s, %s, '', %s::jsonb, %s, %s, %s)
"""
_INSERT_EVENTS = """
    WITH block AS (UPDATE core_sequence SET value = value + %s WHERE name = 'events' RETURNING value)
    INSERT INTO integrations_event (id, sequence, type, object_id, data, created_at, fanned_out, only_endpoint_id)
    SELECT v.id, block.value - %s + v.ord, v.type, v.object_id, v.data::jsonb, v.created_at, false, ''
      FROM block, unnest(%s::varchar[], %s::int[], %s::varchar[], %s::varchar[], %s::text[], %s::timestamptz[])
                  AS v(id, ord, type, object_id, data, created_at)
"""
_INSERT_TASK = """
    INSERT INTO django_tasks_database_dbtaskresult (id, status, enqueued_at, started_at, finished_at, args_kwargs,
                                                    priority, task_path, worker_ids, queue_name, backend_name,
                                                    run_after, return_value, exception_class_path, traceback)
    VALUES (%s::uuid, 'READY', %s, NULL, NULL, %s::jsonb, 0, %s, '[]'::jsonb, 'default', 'default', %s, NULL, '',
            '')
"""
_LOCK_ORDER_WITH_LINES = """
    SELECT o.id, o.order_number, o.customer_id, o.currency, o.status, o.shipping_address, o.subtotal, o.total,
           o.tracking_number, o.carrier, o.cancellation_reason, o.on_hold, o.hold_reason, o.held_at, o.created_at,
           c.name, c.email, c.default_shipping_address,
           l.position, l.product_id, l.sku, l.name, l.quantity, l.unit_price, l.line_total, l.id
      FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id JOIN sales_customer c ON c.id = o.customer_id
     WHERE l.order_id = %s ORDER BY l.position FOR UPDATE OF o, l
"""
_LOCK_STOCK = """
    SELECT s.product_id, s.id, s.warehouse_id, s.quantity, p.stock_quantity, w.priority, w.code, w.is_active,
           EXISTS(SELECT 1 FROM inventory_product v WHERE v.parent_id = p.id) AS has_variants
      FROM inventory_warehousestock s JOIN inventory_product p ON p.id = s.product_id
      JOIN inventory_warehouse w ON w.id = s.warehouse_id
     WHERE s.product_id = ANY(%s::varchar[]) ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE OF s, p
"""
_RESERVE_AND_RECORD = """
    WITH v(product_id, row_id, warehouse_id, movement_id, delta, balance_after) AS (VALUES {values}),
         a(line_id, warehouse_id, quantity) AS (VALUES {allocations}),
         products AS (UPDATE inventory_product AS p SET stock_quantity = p.stock_quantity + d.delta
                        FROM (SELECT product_id, sum(delta) AS delta FROM v GROUP BY product_id) AS d
                       WHERE p.id = d.product_id RETURNING p.id),
         rows AS (UPDATE inventory_warehousestock AS s SET quantity = s.quantity + v.delta
                    FROM v WHERE s.id = v.row_id RETURNING s.id),
         allocated AS (INSERT INTO sales_orderlineallocation (line_id, warehouse_id, quantity)
                       SELECT line_id, warehouse_id, quantity FROM a RETURNING 1)
    INSERT INTO inventory_stockmovement (id, product_id, warehouse_id, kind, quantity_delta, balance_after, reason,
                                         reference, actor_id, created_at)
    SELECT v.movement_id, v.product_id, v.warehouse_id, 'reservation', v.delta, v.balance_after, %s, %s, %s, %s
      FROM v JOIN rows ON rows.id = v.row_id WHERE (SELECT count(*) FROM products) > 0 ORDER BY v.movement_id
"""
_CONFIRM_ORDER = """
    UPDATE sales_order SET status = 'confirmed', confirmed_at = %s, updated_at = %s
     WHERE id = %s AND status = 'draft'
"""
_INVOICE_EXISTS = "SELECT id FROM billing_invoice WHERE order_id = %s ORDER BY id DESC LIMIT 1"
_INSERT_INVOICE = """
    INSERT INTO billing_invoice (created_at, updated_at, id, order_id, customer_id, number, status, currency,
                                 customer_name, customer_email, billing_address, subtotal, total, amount_paid,
                                 amount_credited, amount_refunded, issued_at, due_at, paid_at, voided_at, void_reason)
    VALUES (%s, %s, %s, %s, %s, NULL, 'draft', %s, %s, %s, %s::jsonb, %s, %s, 0, 0, 0, NULL, NULL, NULL, NULL, '')
"""
_INSERT_INVOICE_LINES = """
    INSERT INTO billing_invoiceline (invoice_id, position, product_id, sku, description, quantity, unit_price,
                                     line_total)
    SELECT %s, * FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::varchar[], %s::int[], %s::numeric[],
                             %s::numeric[])
"""
_INSERT_INVOICE_HISTORY = """
    INSERT INTO billing_invoiceevent (from_status, to_status, actor_id, reason, data, created_at, invoice_id, kind)
    VALUES ('', 'draft', %s, '', %s::jsonb, %s, %s, 'created')
"""


def _line_arrays(lines: list[dict[str, Any]]) -> list[list[Any]]:
    return [[line[key] for line in lines]
            for key in ("position", "product_id", "sku", "name", "quantity", "unit_price", "line_total")]


def _publish(cursor: Any, events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """The events (type, object id, data) numbered from the ``events`` counter, and their fan-out task."""
    now = timezone.now()
    ids = [f"evt_{ULID()}" for _ in events]
    cursor.execute(_INSERT_EVENTS, [len(events), len(events), ids, list(range(1, len(events) + 1)),
                                    [kind for kind, _, _ in events], [object_id for _, object_id, _ in events],
                                    [json.dumps(data) for _, _, data in events], [now] * len(events)])
    if cursor.rowcount != len(events):
        raise RuntimeError("events were not written")
    cursor.execute(_INSERT_TASK, [uuid.uuid4().hex, now, json.dumps({"args": [ids], "kwargs": {}}), TASK_PATH, now])


def contract_create(*, actor_id: int | None, body: dict[str, Any]) -> dict[str, Any]:
    """``order_create``'s statements by hand; returns the order as the API renders it."""
    customer_id, currency, items = body["customer_id"], body["currency"], body["line_items"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PRODUCTS_WITH_CUSTOMER, [customer_id, customer_id, [i["product_id"] for i in items]])
        rows = cursor.fetchall()
        products = {row[0]: row for row in rows}
        if not rows or not rows[0][7]:
            raise ValidationError({"customer_id": [f"Unknown customer {customer_id!r}."]})
        address = body.get("shipping_address") or _json(rows[0][8])
        if not address:
            raise ValidationError({"shipping_address": ["This field is required."]})
        lines = []
        for position, item in enumerate(items, start=1):
            product = products.get(item["product_id"])
            if product is None or not product[5] or product[6]:
                raise ValidationError({f"line_items[{position - 1}].product_id": [
                    f"Product {item['product_id']!r} is unknown, inactive or has variants."]})
            price = item.get("unit_price")
            if price is None:
                if product[4] != currency:
                    raise Unprocessable("The product's price is in another currency.", "currency_mismatch")
                price = product[3]
            unit_price = quantize(price, currency)
            lines.append({"position": position, "product_id": product[0], "sku": product[1], "name": product[2],
                          "quantity": item["quantity"], "unit_price": unit_price,
                          "line_total": quantize(unit_price * item["quantity"], currency)})
        total = quantize(sum((line["line_total"] for line in lines), Decimal(0)), currency)
        cursor.execute(_NEXT_ORDER_NUMBER)
        number_row = cursor.fetchone()
        if number_row is None:
            raise RuntimeError("the order_number counter is missing")
        now = timezone.now()
        order = {"id": f"ord_{ULID()}", "order_number": f"SO-{number_row[0]:08d}", "status": "draft",
                 "customer_id": customer_id, "currency": currency, "shipping_address": address,
                 "subtotal": total, "total": total, "tracking_number": "", "carrier": "",
                 "cancellation_reason": "", "on_hold": False, "hold_reason": "", "held_at": None,
                 "created_at": now, "updated_at": now, "confirmed_at": None}
        cursor.execute(_INSERT_ORDER, [now, now, order["id"], order["order_number"], customer_id, currency,
                                       json.dumps(address), total, total, actor_id])
        cursor.execute(_INSERT_ORDER_LINES, [order["id"], *_line_arrays(lines)])
        cursor.execute(_INSERT_ORDER_HISTORY, ["", "draft", actor_id,
                                               json.dumps({"lines": len(lines), "total": str(total)}), now,
                                               order["id"], "created"])
        rendered = _order_dict(order, lines, ["confirmed", "cancelled"])
        _publish(cursor, [("order.created", order["id"], {"object": rendered})])
    return rendered


def _allocations(lines: list[dict[str, Any]], plan: dict[str, list[tuple[str, int]]]) -> list[tuple[int, str, int]]:
    """The plan's units shared among each product's lines in position order, as (line id, warehouse id, quantity);
    each line is given its own (``line["allocations"]``)."""
    left: dict[str, list[tuple[str, int]]] = {pk: list(taken) for pk, taken in plan.items()}
    found: list[tuple[int, str, int]] = []
    for line in sorted(lines, key=lambda line: line["position"]):
        own: dict[str, int] = {}
        wanted, queue = line["quantity"], left[line["product_id"]]
        while wanted:
            warehouse_id, available = queue[0]
            take = min(wanted, available)
            own[warehouse_id] = own.get(warehouse_id, 0) + take
            wanted -= take
            if take == available:
                queue.pop(0)
            else:
                queue[0] = (warehouse_id, available - take)
        line["allocations"] = list(own.items())
        found.extend((line["id"], warehouse_id, quantity) for warehouse_id, quantity in own.items())
    return found


def contract_confirm(*, actor_id: int | None, order_id: str) -> dict[str, Any]:
    """``order_confirm``'s statements by hand (stock reserved, the draft invoice made); returns the order as
    the API renders it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_ORDER_WITH_LINES, [order_id])
        rows = cursor.fetchall()
        if not rows:
            raise NotFound("No such order.")
        head = rows[0]
        order: dict[str, Any] = dict(zip(
            ("id", "order_number", "customer_id", "currency", "status", "shipping_address", "subtotal", "total",
             "tracking_number", "carrier", "cancellation_reason", "on_hold", "hold_reason", "held_at",
             "created_at"), head[:15], strict=True))
        order["shipping_address"] = _json(order["shipping_address"])
        customer_name, customer_email, customer_address = head[15], head[16], _json(head[17])
        lines = [dict(zip(("position", "product_id", "sku", "name", "quantity", "unit_price", "line_total", "id"),
                          row[18:], strict=True)) for row in rows]
        if order["status"] != "draft" or order["on_hold"]:
            raise Conflict(f"Order {order_id} is {order['status']}{' and on hold' if order['on_hold'] else ''}.")
        wanted: dict[str, int] = {}
        for line in lines:
            wanted[line["product_id"]] = wanted.get(line["product_id"], 0) + line["quantity"]
        cursor.execute(_LOCK_STOCK, [sorted(wanted)])
        stock: dict[str, int] = {}
        row_of: dict[tuple[str, str], int] = {}
        sources: dict[str, list[Source]] = {}
        for product_id, row_id, warehouse_id, held, total, priority, code, active, has_variants in cursor.fetchall():
            if has_variants:
                continue
            stock[product_id] = total
            row_of[(product_id, warehouse_id)] = row_id
            if active:
                sources.setdefault(product_id, []).append(Source(priority, code, warehouse_id, held))
        plan = allocate(wanted, sources)
        if isinstance(plan, list):
            short = [s.product_id for s in plan]
            raise Unprocessable(f"Insufficient stock for {', '.join(sorted(short))}.", "insufficient_stock")
        now = timezone.now()
        params: list[Any] = []
        count = 0
        for pk, taken in plan.items():
            balance = stock[pk]
            for warehouse_id, quantity in taken:
                balance -= quantity
                params.extend([pk, row_of[(pk, warehouse_id)], warehouse_id, f"mov_{ULID()}", -quantity, balance])
                count += 1
        allocations = _allocations(lines, plan)
        values = ", ".join(["(%s, %s::bigint, %s, %s, %s::integer, %s::integer)"] * count)
        allocated = ", ".join(["(%s::bigint, %s, %s::integer)"] * len(allocations))
        cursor.execute(_RESERVE_AND_RECORD.format(values=values, allocations=allocated),
                       [*params, *[item for row in allocations for item in row], f"order {order['order_number']}",
                        order_id, actor_id, now])
        if cursor.rowcount != count:
            raise RuntimeError("stock movements were not written")
        cursor.execute(_CONFIRM_ORDER, [now, now, order_id])
        order.update(status="confirmed", confirmed_at=now, updated_at=now)
        cursor.execute(_INSERT_ORDER_HISTORY, ["draft", "confirmed", actor_id, "{}", now, order_id,
                                               "status_changed"])
        cursor.execute(_INVOICE_EXISTS, [order_id])
        events: list[tuple[str, str, dict[str, Any]]] = []
        rendered = _order_dict(order, lines, ["processing", "cancelled"])
        events.append(("order.confirmed", order_id, {"object": rendered,
                                                     "previous_attributes": {"status": "draft"}}))
        if cursor.fetchone() is None:
            invoice = {"id": f"inv_{ULID()}", "order_id": order_id, "customer_id": order["customer_id"],
                       "currency": order["currency"], "customer_name": customer_name,
                       "customer_email": customer_email,
                       "billing_address": customer_address or order["shipping_address"],
                       "total": order["total"], "created_at": now}
            cursor.execute(_INSERT_INVOICE, [now, now, invoice["id"], order_id, order["customer_id"],
                                             order["currency"], customer_name, customer_email,
                                             json.dumps(invoice["billing_address"]), order["subtotal"],
                                             order["total"]])
            cursor.execute(_INSERT_INVOICE_LINES, [invoice["id"], *_line_arrays(lines)])
            cursor.execute(_INSERT_INVOICE_HISTORY, [
                actor_id, json.dumps({"order_id": order_id, "order_number": order["order_number"],
                                      "total": format_amount(order["total"], order["currency"])}),
                now, invoice["id"]])
            events.append(("invoice.created", invoice["id"], {"object": _invoice_dict(invoice, lines)}))
        _publish(cursor, events)
    return rendered


# --- the views ------------------------------------------------------------------------------------------


class ContractCreateView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        data = ContractCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = contract_create(actor_id=request.user.pk, body=data.validated_data)
        return Response(order, status=status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/sales/orders/{order['id']}"})


class ContractConfirmView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def patch(self, request: Request, order_id: str) -> Response:
        data = ContractStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["status"] != OrderStatus.CONFIRMED:
            raise ValidationError({"status": ["The contract floor only confirms."]})
        return Response(contract_confirm(actor_id=request.user.pk, order_id=order_id))

