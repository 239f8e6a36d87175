"""Customers, orders, returns and shipments as the API and sales' events render them, built as plain dicts (the
serializers in ``api/serializers.py`` declare their fields for the schema; a test holds the two to the same keys
and types)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from synthesq.core.actors import Viewer
from synthesq.core.representation import amount, amounts, iso_datetime, iso_datetimes
from taxes.representations import (
    charges_representation,
    percent,
    tax_rows_representation,
)

from .addresses import address_representation
from .models import Customer, Order, OrderLine, Return, ReturnLine, Shipment, ShipmentLine
from .selectors import (
    LineRead,
    OrderLinesRead,
    OrderRead,
    order_lines_in_memory,
    order_lines_read,
    order_read_allowed_statuses,
    order_read_of,
    return_allowed_statuses,
    shipment_allowed_statuses,
)

# Amounts of one currency as the API renders them (``synthesq.core.representation.amounts``).
Money = Callable[[Any], str | None]


def customer_representation(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk, "name": customer.name, "email": customer.email, "phone": customer.phone,
        "default_shipping_address": address_representation(customer.default_shipping_address),
        "tax_id": customer.tax_id, "tax_exempt": customer.tax_exempt, "tax_exempt_reason": customer.tax_exempt_reason,
        "price_list_id": customer.price_list_id,
        "created_at": iso_datetime(customer.created_at), "updated_at": iso_datetime(customer.updated_at),
    }


def _page_amounts(currency: str) -> Money:
    """``amounts(currency)`` remembering each amount's text for one page (it repeats prices, totals, rates)."""
    formatted = amounts(currency)
    texts: dict[Any, str | None] = {}

    def money(value: Any) -> str | None:
        text = texts.get(value)
        if text is None:
            text = formatted(value)
            if value:  # never a zero: -0 equals 0 but renders its sign
                texts[value] = text
        return text

    return money


def order_line_representation(line: LineRead, currency: str) -> dict[str, Any]:
    return _line(line, amounts(currency))


def _line(line: LineRead, money: Money) -> dict[str, Any]:
    (product_id, sku, name, quantity, unit_price, line_total, returned_quantity, tax_class, tax_rate, net_amount,
     tax_amount, gross_amount, taxes, list_price, price_list_id, discount, discount_amount, order_discount_amount,
     allocations) = line
    return {
        "product_id": product_id, "sku": sku, "name": name, "quantity": quantity,
        "unit_price": money(unit_price), "line_total": money(line_total),
        "returned_quantity": returned_quantity, "tax_class": tax_class,
        # ``percent`` without its call and copy for the Decimal a row holds
        "tax_rate": f"{tax_rate:.4f}" if tax_rate.__class__ is Decimal else percent(tax_rate),
        "net_amount": money(net_amount), "tax_amount": money(tax_amount), "gross_amount": money(gross_amount),
        "taxes": [{"name": row["name"], "rate": row["rate"], "country": row["country"], "region": row["region"],
                   "tax_amount": row["tax_amount"]} for row in taxes],  # item_taxes_representation, inlined
        "allocations": [{"warehouse_id": warehouse_id, "quantity": allocated}
                        for warehouse_id, allocated in allocations],
        "list_price": money(list_price), "price_list_id": price_list_id,
        "discount": _discount(*_entered(discount), discount_amount, money) if discount else None,
        "order_discount_amount": money(order_discount_amount),
    }


def _entered(discount: dict | None) -> tuple[str, Any, str]:
    if not discount:
        return "", None, ""
    return discount["type"], Decimal(discount["value"]), discount.get("reason", "")


def discount_representation(kind: str, value: Any, reason: str, amount_off: Any, currency: str) -> dict | None:
    """A discount as entered (``value``: a percent, or an amount in the order's currency) and what it took off."""
    return _discount(kind, value, reason, amount_off, amounts(currency))


def _discount(kind: str, value: Any, reason: str, amount_off: Any, money: Money) -> dict | None:
    if not kind:
        return None
    shown = money(value) if kind == "amount" else str(value.normalize() if value % 1 else int(value))
    return {"type": kind, "value": shown, "reason": reason, "amount": money(amount_off)}


def line_discounts_representation(line: OrderLine) -> dict[str, Any]:
    """A line's discounts as the invoice copies them: its own (as the order shows it) and its share of the
    order's."""
    currency = line.order.currency
    return {"discount": discount_representation(*_entered(line.discount), line.discount_amount, currency),
            "order_discount_amount": amount(line.order_discount_amount, currency)}


def order_discounts_representation(order: Order) -> dict[str, Any]:
    """The order's discounts: its own, its promotion code's, and all of them together (the lines' own too)."""
    code = order.promotion_code
    return _order_discounts(order, code.code if code is not None else None, amounts(order.currency))


def _order_discounts(order: Order | OrderRead, code: str | None, money: Money) -> dict[str, Any]:
    return {
        "discount": _discount(order.discount_type, order.discount_value, order.discount_reason,
                              order.discount_amount, money),
        "promotion_code": code,
        "promotion_discount": money(order.promotion_discount_amount),
        "discount_total": money(order.lines_discount_total + order.discount_amount + order.promotion_discount_amount),
    }


def order_representation(order: Order | OrderRead, *, user: Viewer = None,
                         lines: OrderLinesRead | None = None) -> dict[str, Any]:
    """The order (an instance, or a row: ``OrderRead``) with ``lines`` (``order_lines_read``; without them: an
    instance's lines in memory, ``order.lines.all()``, and its returns) and the statuses ``user`` may move it to
    now (without a user: every move possible now)."""
    if lines is None:
        assert isinstance(order, Order), "a row is rendered with its lines read (order_lines_read)"
        lines = order_lines_in_memory(order)
    return _order(order_read_of(order), lines, user, iso_datetimes(), {})


# An order rendered for its event, kept on the instance with the state it was rendered from.
_RENDERED = "_rendered_for_event"


def _rendered_state(order: Order) -> tuple[str, Any, Any]:
    """What a rendering of the instance is made from and what a change moves: its status, ``updated_at`` (every
    write of the order stamps it) and the lines it holds in memory (compared by identity)."""
    return str(order.status), order.updated_at, getattr(order, "_prefetched_objects_cache", {}).get("lines")


def _same_state(before: tuple[str, Any, Any], now: tuple[str, Any, Any]) -> bool:
    return before[:2] == now[:2] and before[2] is now[2]


def order_representation_for_event(order: Order) -> dict[str, Any]:
    """``order_representation(order)`` (without a user: every move possible now), remembered on the instance with
    the state it was rendered from, so that the answer to the same request shares it
    (``order_representation_shared``) instead of rendering the order again."""
    data = order_representation(order)
    order.__dict__[_RENDERED] = (_rendered_state(order), data)
    return data


def order_representation_written(order: Order) -> None:
    """Complete what ``order_representation_for_event`` rendered of a new order before its insert (``order_create``
    renders it before the order takes its number) with what the insert gave it: its number and ``updated_at``
    (``auto_now``). Nothing else the representation shows is made by the insert (its key is made with the instance,
    its lines' keys are not shown; a test holds the event and the answer to what GET returns). The rendering is
    then remembered as made from the state the order now has, so the answer still shares it. No-op when nothing
    was rendered (events off)."""
    remembered = order.__dict__.get(_RENDERED)
    if remembered is None:
        return
    data = remembered[1]
    data["order_number"], data["updated_at"] = order.order_number, iso_datetime(order.updated_at)
    order.__dict__[_RENDERED] = (_rendered_state(order), data)


def order_representation_shared(order: Order, *, user: Viewer = None) -> dict[str, Any]:
    """``order_representation(order, user=user)``: the event's rendering (``order_representation_for_event``)
    with the statuses ``user`` may move it to, if the order is still in the state it was rendered from; else
    rendered now. The event's dict is not changed (its events may not be written yet): the answer is a copy."""
    remembered = order.__dict__.pop(_RENDERED, None)
    if remembered is None or not _same_state(remembered[0], _rendered_state(order)):
        return order_representation(order, user=user)
    return {**remembered[1], "allowed_statuses": order_read_allowed_statuses(order_read_of(order), user)}


def _order(order: OrderRead, lines: OrderLinesRead, user: Viewer, iso: Callable[[Any], str | None],
           moneys: dict[str, Money]) -> dict[str, Any]:
    """``order_representation``, with the datetimes' and amounts' formatting made once for a page
    (``iso_datetimes``, ``_page_amounts`` per currency in ``moneys``)."""
    currency = order.currency
    money = moneys.get(currency) or moneys.setdefault(currency, _page_amounts(currency))
    return {
        "id": order.id, "order_number": order.order_number, "status": str(order.status),
        "fulfilment_status": str(order.fulfilment_status), "customer_id": order.customer_id, "currency": currency,
        "line_items": [_line(line, money) for line in lines.lines],
        "charges": charges_representation(order.charges), "subtotal": money(order.subtotal),
        "charges_total": money(order.charges_total), "tax_total": money(order.tax_total),
        "total": money(order.total), "prices_include_tax": order.prices_include_tax,
        "tax_rounding": order.tax_rounding, "taxes": tax_rows_representation(order.taxes),
        "tax_exempt_reason": order.tax_exempt_reason,
        "shipping_address": address_representation(order.shipping_address),
        "tracking_number": order.tracking_number, "carrier": order.carrier,
        "cancellation_reason": order.cancellation_reason, "on_hold": order.on_hold, "hold_reason": order.hold_reason,
        "held_at": iso(order.held_at), "return_window_ends_at": iso(order.return_window_ends_at()),
        "allowed_statuses": order_read_allowed_statuses(order, user),
        "created_at": iso(order.created_at), "updated_at": iso(order.updated_at),
        "confirmed_at": iso(order.confirmed_at), "processing_at": iso(order.processing_at),
        "shipped_at": iso(order.shipped_at), "delivered_at": iso(order.delivered_at),
        "closed_at": iso(order.closed_at), "cancelled_at": iso(order.cancelled_at),
        "returns": [summary._asdict() for summary in lines.returns],
        **_order_discounts(order, order.promotion_code, money),
    }


def return_line_representation(line: ReturnLine, currency: str) -> dict[str, Any]:
    return {
        "product_id": line.product_id, "sku": line.order_line.sku, "name": line.order_line.name,
        "quantity": line.quantity, "unit_price": amount(line.unit_price, currency),
        "line_total": amount(line.line_total, currency), "restock": line.restock,
    }


def return_representation(return_: Return, *, user: Viewer = None) -> dict[str, Any]:
    """The return with its lines (``return_.lines.all()`` with their order lines: prefetch them for lists) and
    the statuses ``user`` may move it to now (without a user: every move possible now)."""
    currency = return_.currency
    return {
        "id": return_.pk, "return_number": return_.return_number, "order_id": return_.order_id,
        "customer_id": return_.order.customer_id, "status": str(return_.status), "reason": return_.reason,
        "rejection_reason": return_.rejection_reason, "return_window_waived": return_.return_window_waived,
        "currency": currency, "value": amount(return_.value, currency),
        "lines": [return_line_representation(line, currency) for line in return_.lines.all()],
        "allowed_statuses": return_allowed_statuses(return_, user),
        "requested_at": iso_datetime(return_.requested_at), "received_at": iso_datetime(return_.received_at),
        "credited_at": iso_datetime(return_.credited_at), "rejected_at": iso_datetime(return_.rejected_at),
        "created_at": iso_datetime(return_.created_at), "updated_at": iso_datetime(return_.updated_at),
    }


def order_representations(orders: Iterable[Order | OrderRead], *, user: Viewer = None) -> list[dict[str, Any]]:
    """A page of orders (instances or rows): their lines and returns read together (one statement,
    ``order_lines_read``)."""
    reads = [order_read_of(order) for order in orders]
    lines = order_lines_read([order.id for order in reads])
    iso = iso_datetimes()
    moneys: dict[str, Money] = {}
    return [_order(order, lines[order.id], user, iso, moneys) for order in reads]


def shipment_line_representation(line: ShipmentLine) -> dict[str, Any]:
    return {"product_id": line.product_id, "sku": line.order_line.sku, "name": line.order_line.name,
            "quantity": line.quantity}


def shipment_representation(shipment: Shipment, *, user: Viewer = None) -> dict[str, Any]:
    """The shipment with its lines (``shipment.lines.all()`` with their order lines: prefetch them for lists)
    and the statuses ``user`` may move it to now (without a user: every move possible now)."""
    return {
        "id": shipment.pk, "order_id": shipment.order_id, "warehouse_id": shipment.warehouse_id,
        "status": str(shipment.status), "tracking_number": shipment.tracking_number, "carrier": shipment.carrier,
        "lines": [shipment_line_representation(line) for line in shipment.lines.all()],
        "allowed_statuses": shipment_allowed_statuses(shipment, user),
        "shipped_at": iso_datetime(shipment.shipped_at), "delivered_at": iso_datetime(shipment.delivered_at),
        "created_at": iso_datetime(shipment.created_at), "updated_at": iso_datetime(shipment.updated_at),
    }
