"""Writes for the sales app: customers and orders.

Every order change runs in one transaction with the order row locked. Status changes go through
``order_transition`` (or the named ``order_confirm`` … ``order_cancel``): check that the move is allowed
from the current status (409), that the actor may make it (``has_transition_perm``, 403), apply the side
effects (stock reservation or release), call the django-fsm transition, save, write the history row and
send ``order_status_changed`` for other apps (billing) to follow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_fsm import can_proceed

from inventory import services as inventory_services
from inventory.models import Product
from synthesq.core.errors import NotFound, PermissionRefused, ValidationFailed
from synthesq.core.money import AMOUNT_MAX_EXCLUSIVE, fits_currency, minor_unit, quantize
from synthesq.core.sequences import sequence_next

from . import selectors
from .exceptions import (
    CurrencyMismatch,
    HoldConflict,
    InvalidTransition,
    OrderNotEditable,
    OrderOnHold,
    ReturnWindowOpen,
)
from .models import Customer, Order, OrderEvent, OrderLine, OrderStatus
from .signals import order_status_changed, orders_closed

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | None

_CUSTOMER_FIELDS = ("name", "email", "phone", "default_shipping_address")
ORDER_NUMBER_SEQUENCE = "order_number"


# --- customers ---------------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *, name: str, email: str, phone: str = "", default_shipping_address: dict[str, str] | None = None
) -> Customer:
    return Customer.objects.create(
        name=name, email=email.strip(), phone=phone, default_shipping_address=default_shipping_address
    )


@transaction.atomic
def customer_update(*, customer: Customer, data: dict[str, Any]) -> Customer:
    unknown = set(data) - set(_CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed(f"Not updatable: {', '.join(sorted(unknown))}.")
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    for field, value in data.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*data.keys(), "updated_at"])
    return locked


# --- drafts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    product_id: str
    quantity: int
    unit_price: Decimal | None = None


def _field_error(field: str, message: str, code: str = "invalid") -> dict[str, str]:
    return {"field": field, "message": message, "code": code}


def _build_lines(*, currency: str, line_items: Sequence[LineInput]) -> list[OrderLine]:
    """Validate the lines against the catalogue and price them (unsaved, without order)."""
    if not line_items:
        raise ValidationFailed("An order needs at least one line item.",
                               errors=[_field_error("line_items", "At least one line item is required.", "empty")])
    products = Product.objects.annotate(
        has_variants=Exists(Product.objects.filter(parent_id=OuterRef("pk")))
    ).in_bulk([line.product_id for line in line_items])
    errors: list[dict[str, str]] = []
    mismatched: list[dict[str, Any]] = []
    for index, line in enumerate(line_items):
        where = f"line_items[{index}]"
        product = products.get(line.product_id)
        if product is None:
            errors.append(_field_error(f"{where}.product_id", f"Unknown product {line.product_id!r}.", "not_found"))
            continue
        if not product.is_active:
            errors.append(_field_error(f"{where}.product_id", f"Product {product.pk} is inactive.", "inactive"))
        if product.has_variants:
            errors.append(_field_error(f"{where}.product_id",
                                       f"Product {product.pk} has variants; order one of its variants.",
                                       "has_variants"))
        if line.quantity < 1:
            errors.append(_field_error(f"{where}.quantity", "Must be a positive whole number.", "min_value"))
        if line.unit_price is not None:
            if line.unit_price < 0:
                errors.append(_field_error(f"{where}.unit_price", "Must not be negative.", "min_value"))
            elif not fits_currency(line.unit_price, currency):
                errors.append(_field_error(f"{where}.unit_price",
                                           f"{currency} amounts have at most {minor_unit(currency)} decimal places."))
        elif product.currency != currency:
            mismatched.append({"line": index, "product_id": product.pk, "product_currency": product.currency})
    if errors:
        raise ValidationFailed(errors=errors)
    if mismatched:
        raise CurrencyMismatch(order_currency=currency, lines=mismatched)
    lines = []
    for position, line in enumerate(line_items, start=1):
        product = products[line.product_id]
        unit_price = line.unit_price if line.unit_price is not None else product.price
        unit_price = quantize(unit_price, currency)
        lines.append(OrderLine(
            position=position, product=product, sku=product.sku, name=product.name, quantity=line.quantity,
            unit_price=unit_price, line_total=quantize(unit_price * line.quantity, currency),
        ))
    # Amounts are stored with 14 whole digits: a total beyond that is refused, never a database error.
    too_large = [_field_error(f"line_items[{index}].quantity", "The line total is too large.", "max_value")
                 for index, line in enumerate(lines) if line.line_total >= AMOUNT_MAX_EXCLUSIVE]
    if not too_large and sum(line.line_total for line in lines) >= AMOUNT_MAX_EXCLUSIVE:
        too_large = [_field_error("line_items", "The order total is too large.", "max_value")]
    if too_large:
        raise ValidationFailed(errors=too_large)
    return lines


def order_lines_validate(*, currency: str, line_items: Sequence[LineInput]) -> None:
    """Check lines as ``order_create`` would (400/422 domain errors), writing nothing: for forms."""
    _build_lines(currency=currency, line_items=line_items)


def _set_totals(order: Order, lines: Sequence[OrderLine]) -> None:
    order.subtotal = quantize(sum((line.line_total for line in lines), Decimal(0)), order.currency)
    order.total = order.subtotal


def _record(order: Order, *, kind: str, actor: Actor, from_status: str = "", to_status: str = "",
            reason: str = "", data: dict[str, Any] | None = None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, from_status=from_status, to_status=to_status, actor=actor,
        reason=reason, data=data or {},
    )


@transaction.atomic
def order_create(
    *,
    actor: Actor,
    customer_id: str,
    currency: str,
    line_items: Sequence[LineInput],
    shipping_address: dict[str, str] | None = None,
) -> Order:
    """Create a draft. Prices are captured now: ``unit_price`` as sent, else the product's price (which must
    be in the order's currency). The shipping address defaults to the customer's."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ValidationFailed(f"Unknown customer {customer_id!r}.",
                               errors=[_field_error("customer_id", f"Unknown customer {customer_id!r}.", "not_found")])
    lines = _build_lines(currency=currency, line_items=line_items)
    address = shipping_address or customer.default_shipping_address
    if not address:
        raise ValidationFailed("A shipping address is required (the customer has no default).",
                               errors=[_field_error("shipping_address", "This field is required.", "required")])
    order = Order(
        order_number=f"SO-{sequence_next(ORDER_NUMBER_SEQUENCE):08d}",
        customer=customer, currency=currency, shipping_address=address, created_by=actor,
    )
    _set_totals(order, lines)
    order.save()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    _record(order, kind=OrderEvent.Kind.CREATED, actor=actor, to_status=order.status,
            data={"lines": len(lines), "total": str(order.total)})
    return order


def _lock_order(order_id: str) -> Order:
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"No order {order_id!r}.")
    return order


@transaction.atomic
def order_update_draft(
    *,
    order_id: str,
    actor: Actor,
    line_items: Sequence[LineInput] | None = None,
    shipping_address: dict[str, str] | None = None,
) -> Order:
    """Replace the lines and/or the shipping address of a draft (409 in any other status)."""
    order = _lock_order(order_id)
    if order.status != OrderStatus.DRAFT:
        raise OrderNotEditable(current_status=order.status)
    changed: dict[str, Any] = {}
    if line_items is not None:
        lines = _build_lines(currency=order.currency, line_items=line_items)
        order.lines.all().delete()
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        _set_totals(order, lines)
        changed.update(lines=len(lines), total=str(order.total))
    if shipping_address is not None:
        order.shipping_address = shipping_address
        changed["shipping_address"] = shipping_address
    if changed:
        order.save(update_fields=["subtotal", "total", "shipping_address", "updated_at"])
        _record(order, kind=OrderEvent.Kind.UPDATED, actor=actor, from_status=order.status,
                to_status=order.status, data=changed)
    return order


# --- status changes ----------------------------------------------------------------------------------

_TRANSITION_METHODS: dict[str, str] = {
    OrderStatus.CONFIRMED: "confirm",
    OrderStatus.PROCESSING: "start_processing",
    OrderStatus.SHIPPED: "ship",
    OrderStatus.DELIVERED: "deliver",
    OrderStatus.CLOSED: "close",
    OrderStatus.CANCELLED: "cancel",
}


def order_allowed_statuses(order: Order, user: Actor = None) -> list[str]:
    """Statuses the order may move to now (conditions met); with ``user``, only those the user may make."""
    if user is None:
        transitions = order.get_available_status_transitions()
    else:
        transitions = order.get_available_user_status_transitions(user)
    return sorted({str(t.target) for t in transitions}, key=list(OrderStatus.values).index)


def _move(
    order_id: str,
    *,
    target: str,
    actor: Actor,
    reason: str = "",
    transition_kwargs: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    guard: Callable[[Order], None] | None = None,
    before: Callable[[Order], None] | None = None,
) -> Order:
    """Lock, check the move is possible from the current status (409 ``invalid_transition``), check the
    actor's permission for it (403), run the move's own ``guard`` (specific refusals such as
    ``order_on_hold``), apply ``before`` side effects, transition, save, record and announce."""
    order = _lock_order(order_id)
    method_name = _TRANSITION_METHODS.get(target)
    method = getattr(order, method_name) if method_name else None
    if method is None or not can_proceed(method, check_conditions=False):
        raise InvalidTransition(current_status=order.status, requested_status=target,
                                allowed_statuses=order_allowed_statuses(order))
    # The role's permission for this move (its conditions are checked after, with specific refusals).
    if actor is not None and not method._django_fsm.has_transition_perm(order, order.status, actor):
        raise PermissionRefused(f"Your role may not move orders to {str(target)!r}.")
    if guard is not None:
        guard(order)
    if not can_proceed(method):
        raise InvalidTransition(current_status=order.status, requested_status=target,
                                allowed_statuses=order_allowed_statuses(order))
    from_status = order.status
    if before is not None:
        before(order)
    method(**(transition_kwargs or {}))
    order.save()
    event = _record(order, kind=OrderEvent.Kind.STATUS_CHANGED, actor=actor, from_status=from_status,
                    to_status=order.status, reason=reason, data=data)
    order_status_changed.send(sender=Order, order=order, from_status=from_status, to_status=order.status,
                              actor=actor, event=event)
    return order


def _stock_items(order: Order) -> list[tuple[str, int]]:
    return list(order.lines.values_list("product_id", "quantity"))


@transaction.atomic
def order_confirm(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    """draft → confirmed: reserve stock for every line (all or nothing: 422 ``insufficient_stock``)."""

    def reserve(order: Order) -> None:
        inventory_services.stock_reserve(
            items=_stock_items(order), reference=order.pk, actor=actor, reason=f"order {order.order_number}"
        )

    return _move(order_id, target=OrderStatus.CONFIRMED, actor=actor, reason=reason, before=reserve)


@transaction.atomic
def order_start_processing(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    return _move(order_id, target=OrderStatus.PROCESSING, actor=actor, reason=reason)


@transaction.atomic
def order_ship(*, order_id: str, actor: Actor, tracking_number: str, carrier: str, reason: str = "") -> Order:
    def require_tracking(order: Order) -> None:
        errors = [_field_error(name, "Required to ship an order.", "required")
                  for name, value in (("tracking_number", tracking_number), ("carrier", carrier))
                  if not (value or "").strip()]
        if errors:
            raise ValidationFailed("tracking_number and carrier are required to ship.", errors=errors)

    return _move(
        order_id, target=OrderStatus.SHIPPED, actor=actor, reason=reason, before=require_tracking,
        transition_kwargs={"tracking_number": (tracking_number or "").strip(), "carrier": (carrier or "").strip()},
        data={"tracking_number": (tracking_number or "").strip(), "carrier": (carrier or "").strip()},
    )


@transaction.atomic
def order_deliver(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    return _move(order_id, target=OrderStatus.DELIVERED, actor=actor, reason=reason)


def return_window_ends_at(order: Order, *, return_window_days: int | None = None) -> datetime | None:
    if order.delivered_at is None:
        return None
    days = settings.ORDER_RETURN_WINDOW_DAYS if return_window_days is None else return_window_days
    return order.delivered_at + timedelta(days=days)


@transaction.atomic
def order_close(
    *,
    order_id: str,
    actor: Actor,
    reason: str = "",
    waive_return_window: bool = False,
    as_of: datetime | None = None,
    return_window_days: int | None = None,
) -> Order:
    """delivered → closed, once no hold is on it (409 ``order_on_hold``) and its return window has passed
    (409 ``return_window_open``), unless ``waive_return_window`` (permission ``sales.waive_return_window``,
    recorded in the history). The invoice is issued if still a draft (billing follows the signal)."""
    data: dict[str, Any] = {}

    def guard(order: Order) -> None:
        if order.on_hold:
            raise OrderOnHold(hold_reason=order.hold_reason)
        ends_at = return_window_ends_at(order, return_window_days=return_window_days)
        if ends_at is None or ends_at <= (as_of or timezone.now()):
            return
        if not waive_return_window:
            raise ReturnWindowOpen(return_window_ends_at=ends_at)
        if actor is not None and not actor.has_perm("sales.waive_return_window"):
            raise PermissionRefused("Your role may not waive the return window.")
        data.update(return_window_waived=True, return_window_ends_at=ends_at.isoformat(),
                    waived_by=getattr(actor, "username", None))

    return _move(order_id, target=OrderStatus.CLOSED, actor=actor, reason=reason, guard=guard, data=data)


@transaction.atomic
def order_cancel(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    """draft or confirmed → cancelled; stock reserved at confirmation is released."""

    def release(order: Order) -> None:
        if order.on_hold:  # a cancelled order has nothing left to dispute: the hold ends with it
            data["hold_released"] = order.hold_reason
            order.on_hold, order.hold_reason, order.held_at, order.held_by = False, "", None, None
        if order.status == OrderStatus.CONFIRMED:
            inventory_services.stock_release(
                items=_stock_items(order), reference=order.pk, actor=actor,
                reason=f"order {order.order_number} cancelled",
            )

    data: dict[str, Any] = {}
    return _move(order_id, target=OrderStatus.CANCELLED, actor=actor, reason=reason,
                 transition_kwargs={"reason": reason}, before=release, data=data)


@transaction.atomic
def order_hold(*, order_id: str, actor: Actor, reason: str) -> Order:
    """Put an order on hold (a dispute): it cannot be closed until released. Closed and cancelled orders
    cannot be held; an order already on hold is refused (409)."""
    if not reason.strip():
        raise ValidationFailed(errors=[_field_error("reason", "Say why the order is on hold.", "required")])
    order = _lock_order(order_id)
    if order.status in (OrderStatus.CLOSED, OrderStatus.CANCELLED):
        raise HoldConflict(f"A {order.status} order cannot be put on hold.", code="order_not_holdable",
                           current_status=str(order.status))
    if order.on_hold:
        raise HoldConflict(f"The order is already on hold ({order.hold_reason}).", code="already_on_hold",
                           hold_reason=order.hold_reason)
    order.on_hold, order.hold_reason, order.held_at, order.held_by = True, reason.strip(), timezone.now(), actor
    order.save(update_fields=["on_hold", "hold_reason", "held_at", "held_by", "updated_at"])
    _record(order, kind=OrderEvent.Kind.HELD, actor=actor, from_status=order.status, to_status=order.status,
            reason=order.hold_reason)
    return order


@transaction.atomic
def order_release_hold(*, order_id: str, actor: Actor, reason: str = "") -> Order:
    order = _lock_order(order_id)
    if not order.on_hold:
        raise HoldConflict("The order is not on hold.", code="not_on_hold")
    held_for = order.hold_reason
    order.on_hold, order.hold_reason, order.held_at, order.held_by = False, "", None, None
    order.save(update_fields=["on_hold", "hold_reason", "held_at", "held_by", "updated_at"])
    _record(order, kind=OrderEvent.Kind.HOLD_RELEASED, actor=actor, from_status=order.status,
            to_status=order.status, reason=reason, data={"hold_reason": held_for})
    return order


_FIELDS_BY_TARGET = {
    OrderStatus.SHIPPED: {"tracking_number", "carrier"},
    OrderStatus.CLOSED: {"waive_return_window"},
}
_TARGET_OF_FIELD = {field: str(target) for target, fields in _FIELDS_BY_TARGET.items() for field in fields}


@transaction.atomic
def order_transition(
    *,
    order_id: str,
    status: str,
    actor: Actor,
    reason: str = "",
    tracking_number: str | None = None,
    carrier: str | None = None,
    waive_return_window: bool = False,
) -> Order:
    """Move an order to ``status`` (the API's ``PATCH …/status``), dispatching to the named service."""
    if status not in OrderStatus.values:
        raise ValidationFailed(errors=[_field_error("status", f"Unknown status {status!r}.", "invalid_choice")])
    given = {name for name, value in (("tracking_number", tracking_number), ("carrier", carrier))
             if value is not None}
    if waive_return_window:
        given.add("waive_return_window")
    stray = given - _FIELDS_BY_TARGET.get(status, set())
    if stray:
        raise ValidationFailed(errors=[
            _field_error(name, f"Only allowed with status {_TARGET_OF_FIELD[name]!r}.", "not_allowed")
            for name in sorted(stray)
        ])
    if status == OrderStatus.SHIPPED:
        return order_ship(order_id=order_id, actor=actor, tracking_number=tracking_number or "",
                          carrier=carrier or "", reason=reason)
    if status == OrderStatus.CLOSED:
        return order_close(order_id=order_id, actor=actor, reason=reason, waive_return_window=waive_return_window)
    services: dict[str, Callable[..., Order]] = {
        OrderStatus.CONFIRMED: order_confirm,
        OrderStatus.PROCESSING: order_start_processing,
        OrderStatus.DELIVERED: order_deliver,
        OrderStatus.CANCELLED: order_cancel,
    }
    service = services.get(status)
    if service is None:  # "draft": no move leads back to draft
        order = _lock_order(order_id)
        raise InvalidTransition(current_status=order.status, requested_status=status,
                                allowed_statuses=order_allowed_statuses(order))
    return service(order_id=order_id, actor=actor, reason=reason)


# --- batch close -------------------------------------------------------------------------------------

# The declared delivered → closed transition: the bulk path writes exactly its target.
_CLOSE_TRANSITION = Order.close._django_fsm.get_transition(OrderStatus.DELIVERED)  # type: ignore[attr-defined]


def close_cutoff(*, as_of: datetime, return_window_days: int) -> datetime:
    """Orders delivered at or before this instant have had their return window pass by ``as_of``."""
    return as_of - timedelta(days=return_window_days)


@transaction.atomic
def orders_close_chunk(
    *, cutoff: datetime, limit: int, exclude: Sequence[str] = (), order_ids: Sequence[str] | None = None
) -> tuple[list[str], int]:
    """Close up to ``limit`` closable orders in one transaction; returns (closed order ids, invoices issued).

    Closable is exactly ``order_close``'s rule: delivered, not on hold (the transition's condition), delivered
    at or before ``cutoff``. Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent runs
    never take the same order; status, history rows and (through ``orders_closed``) invoice issuing are
    written in bulk. If anything fails the whole chunk rolls back: no order is left half-closed.
    """
    claim = selectors.orders_closable(cutoff=cutoff)
    if order_ids is not None:
        claim = claim.filter(pk__in=order_ids)
    if exclude:
        claim = claim.exclude(pk__in=exclude)
    ids = list(
        claim.select_for_update(skip_locked=True).order_by("delivered_at", "id").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return [], 0
    now = timezone.now()
    Order.objects.filter(pk__in=ids).update(status=_CLOSE_TRANSITION.target, closed_at=now, updated_at=now)
    OrderEvent.objects.bulk_create([
        OrderEvent(order_id=pk, kind=OrderEvent.Kind.STATUS_CHANGED, from_status=OrderStatus.DELIVERED,
                   to_status=_CLOSE_TRANSITION.target, reason="return window passed", data={"batch": True},
                   created_at=now)
        for pk in ids
    ])
    responses = orders_closed.send(sender=Order, order_ids=ids, closed_at=now, actor=None)
    return ids, sum(result for _receiver, result in responses if isinstance(result, int))


BUSY_RETRIES = 25
BUSY_WAIT_SECONDS = 0.2


@dataclass
class CloseRunReport:
    as_of: datetime
    return_window_days: int
    cutoff: datetime
    closed: int = 0
    invoices_issued: int = 0
    failed: dict[str, str] | None = None
    skipped: dict[str, int] | None = None
    interrupted: bool = False

    def __post_init__(self) -> None:
        self.failed = self.failed or {}
        self.skipped = self.skipped or {}


def _describe(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    return f"{code}: {exc}" if isinstance(code, str) else f"{type(exc).__name__}: {exc}"


def orders_close_delivered(
    *,
    as_of: datetime,
    return_window_days: int,
    batch_size: int = 1000,
    limit: int | None = None,
    on_progress: Callable[[CloseRunReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> CloseRunReport:
    """Close every closable order, chunk by chunk (each chunk its own transaction). A chunk that fails is
    retried order by order, so one order's failure is reported and neither undoes nor stops the others."""
    cutoff = close_cutoff(as_of=as_of, return_window_days=return_window_days)
    report = CloseRunReport(as_of=as_of, return_window_days=return_window_days, cutoff=cutoff,
                            skipped=selectors.close_skip_counts(cutoff=cutoff))
    failed = report.failed
    assert failed is not None
    busy_waits = 0
    while True:
        if should_stop():
            report.interrupted = True
            break
        want = batch_size if limit is None else min(batch_size, limit - report.closed)
        if want <= 0:
            break
        try:
            ids, issued = orders_close_chunk(cutoff=cutoff, limit=want, exclude=list(failed))
        except Exception:
            ids, issued = _close_one_by_one(cutoff=cutoff, limit=want, failed=failed)
        if not ids:
            # Candidates left but none claimable: another run or request holds them. Wait a little for
            # it to finish, then leave them to it (or to the next run) rather than spin.
            busy_waits += 1
            if busy_waits > BUSY_RETRIES or not _has_candidates(cutoff, failed):
                break
            time.sleep(BUSY_WAIT_SECONDS)
            continue
        busy_waits = 0
        report.closed += len(ids)
        report.invoices_issued += issued
        if on_progress is not None:
            on_progress(report)
    return report


def _close_one_by_one(*, cutoff: datetime, limit: int, failed: dict[str, str]) -> tuple[list[str], int]:
    candidates = list(
        selectors.orders_closable(cutoff=cutoff).exclude(pk__in=list(failed))
        .order_by("delivered_at", "id").values_list("pk", flat=True)[:limit]
    )
    closed: list[str] = []
    issued = 0
    for pk in candidates:
        try:
            ids, count = orders_close_chunk(cutoff=cutoff, limit=1, order_ids=[pk])
        except Exception as exc:
            logger.exception("Closing order %s failed", pk)
            failed[pk] = _describe(exc)
            continue
        closed.extend(ids)
        issued += count
    return closed, issued


def _has_candidates(cutoff: datetime, failed: dict[str, str]) -> bool:
    return selectors.orders_closable(cutoff=cutoff).exclude(pk__in=list(failed)).exists()
