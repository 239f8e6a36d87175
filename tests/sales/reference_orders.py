"""The order's rendering as it was written before the read path was made cheap (issue 25), kept as the reference
the fast path is compared with (``test_order_rendering_parity``): plain ORM reads (a ``values_list`` of the lines
with their return lines and allocations), every amount and datetime formatted on its own, the allowed statuses
worked out from the declared transitions for each order. Slow on purpose: only the tests use it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from sales.addresses import ADDRESS_PARTS
from sales.models import Order, OrderLine, return_claims
from synthesq.core.fsm import all_transitions
from synthesq.core.money import minor_unit

_LINE_COLUMNS = (
    "order_id", "pk", "product_id", "sku", "name", "quantity", "unit_price", "line_total",
    "return_lines__id", "return_lines__quantity", "return_lines__sales_return_id",
    "return_lines__sales_return__return_number", "return_lines__sales_return__status",
    "tax_class", "tax_rate", "net_amount", "tax_amount", "gross_amount", "taxes",
    "list_price", "price_list_id", "discount", "discount_amount", "order_discount_amount",
    "allocations__warehouse_id", "allocations__quantity",
)


def _amount(value: Any, currency: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(value)
    return str(value.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP))


def _iso(value: Any) -> str | None:
    if not value:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _percent(value: Any) -> str:
    return f"{Decimal(value):.4f}"


def _address(address: Any) -> Any:
    if address is None:
        return None
    return {part.name: None if address[part.name] is None else str(address[part.name])
            for part in ADDRESS_PARTS if part.name in address}


_RATE_KEYS = ("name", "rate", "country", "region")
_ITEM_KEYS = ("tax_class", "tax_rate", "net_amount", "tax_amount", "gross_amount")


def _item_taxes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**{key: row[key] for key in _RATE_KEYS}, "tax_amount": row["tax_amount"]} for row in rows]


def _tax_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**{key: row[key] for key in _RATE_KEYS}, "taxable_amount": row["taxable_amount"],
             "tax_amount": row["tax_amount"]} for row in rows]


def _charges(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"kind": row["kind"], "description": row["description"], "amount": row["amount"],
             **{key: row[key] for key in _ITEM_KEYS}, "taxes": _item_taxes(row["taxes"])} for row in rows]


def _discount(kind: str, value: Any, reason: str, amount_off: Any, currency: str) -> dict | None:
    if not kind:
        return None
    shown = _amount(value, currency) if kind == "amount" else str(value.normalize() if value % 1 else int(value))
    return {"type": kind, "value": shown, "reason": reason, "amount": _amount(amount_off, currency)}


def _allowed(order: Order, user: Any) -> list[str]:
    state = str(order.status)
    targets = set()
    for transition in all_transitions(Order):
        source = transition.source
        from_here = (state != str(transition.target)) if source == "+" else (source == "*" or str(source) == state)
        if not from_here or transition.custom.get("automatic"):
            continue
        if not all(condition(order) for condition in transition.conditions):
            continue
        if user is not None and not transition.has_perm(order, user):
            continue
        targets.add(str(transition.target))
    return [str(value) for value, _label in Order._meta.get_field("status").choices if str(value) in targets]


def reference_lines(order_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The order's lines rendered and its returns, from the ORM's rows."""
    currency = Order.objects.values_list("currency", flat=True).get(pk=order_id)
    lines: dict[int, dict[str, Any]] = {}
    claimed: dict[int, set[int]] = {}
    warehouses: dict[int, set[str]] = {}
    returns: dict[str, dict[str, Any]] = {}
    rows = (OrderLine.objects.filter(order_id=order_id)
            .order_by("position", "return_lines__id", "allocations__id").values_list(*_LINE_COLUMNS))
    for (_order_id, line_id, product_id, sku, name, quantity, unit_price, line_total, return_line_id, returned,
         return_id, return_number, return_status, tax_class, tax_rate, net, tax, gross, taxes, list_price,
         price_list_id, discount, discount_amount, order_discount_amount, warehouse_id, allocated) in rows:
        if line_id not in lines:
            entered: tuple[str, Any, str] = ("", None, "") if not discount else (
                discount["type"], Decimal(discount["value"]), discount.get("reason", ""))
            lines[line_id] = {
                "product_id": product_id, "sku": sku, "name": name, "quantity": quantity,
                "unit_price": _amount(unit_price, currency), "line_total": _amount(line_total, currency),
                "returned_quantity": 0, "tax_class": tax_class, "tax_rate": _percent(tax_rate),
                "net_amount": _amount(net, currency), "tax_amount": _amount(tax, currency),
                "gross_amount": _amount(gross, currency), "taxes": _item_taxes(taxes), "allocations": [],
                "list_price": _amount(list_price, currency), "price_list_id": price_list_id,
                "discount": _discount(*entered, discount_amount, currency),
                "order_discount_amount": _amount(order_discount_amount, currency),
            }
            claimed[line_id], warehouses[line_id] = set(), set()
        line = lines[line_id]
        if warehouse_id is not None and warehouse_id not in warehouses[line_id]:
            warehouses[line_id].add(warehouse_id)
            line["allocations"].append({"warehouse_id": warehouse_id, "quantity": allocated})
        if return_id is None or return_line_id in claimed[line_id]:
            continue
        claimed[line_id].add(return_line_id)
        if return_claims(return_status):
            line["returned_quantity"] += returned
        returns[return_id] = {"id": return_id, "return_number": return_number, "status": str(return_status)}
    return list(lines.values()), sorted(returns.values(), key=lambda r: (r["id"], r["return_number"], r["status"]))


def reference_order(order_id: str, user: Any = None) -> dict[str, Any]:
    """The order as the API rendered it before issue 25's read path."""
    order = Order.objects.select_related("promotion_code").get(pk=order_id)
    currency = order.currency
    line_items, returns = reference_lines(order_id)
    code = order.promotion_code
    return {
        "id": order.pk, "order_number": order.order_number, "status": str(order.status),
        "fulfilment_status": str(order.fulfilment_status), "customer_id": order.customer_id, "currency": currency,
        "line_items": line_items,
        "charges": _charges(order.charges), "subtotal": _amount(order.subtotal, currency),
        "charges_total": _amount(order.charges_total, currency), "tax_total": _amount(order.tax_total, currency),
        "total": _amount(order.total, currency), "prices_include_tax": order.prices_include_tax,
        "tax_rounding": order.tax_rounding, "taxes": _tax_rows(order.taxes),
        "tax_exempt_reason": order.tax_exempt_reason,
        "shipping_address": _address(order.shipping_address),
        "tracking_number": order.tracking_number, "carrier": order.carrier,
        "cancellation_reason": order.cancellation_reason, "on_hold": order.on_hold, "hold_reason": order.hold_reason,
        "held_at": _iso(order.held_at), "return_window_ends_at": _iso(order.return_window_ends_at()),
        "allowed_statuses": _allowed(order, user),
        "created_at": _iso(order.created_at), "updated_at": _iso(order.updated_at),
        "confirmed_at": _iso(order.confirmed_at), "processing_at": _iso(order.processing_at),
        "shipped_at": _iso(order.shipped_at), "delivered_at": _iso(order.delivered_at),
        "closed_at": _iso(order.closed_at), "cancelled_at": _iso(order.cancelled_at),
        "returns": returns,
        "discount": _discount(order.discount_type, order.discount_value, order.discount_reason,
                              order.discount_amount, currency),
        "promotion_code": code.code if code is not None else None,
        "promotion_discount": _amount(order.promotion_discount_amount, currency),
        "discount_total": _amount(order.lines_discount_total + order.discount_amount
                                  + order.promotion_discount_amount, currency),
    }
