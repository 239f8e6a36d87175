from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from synthesq.core.errors import BusinessRuleViolation, Conflict, PermissionRefused
from synthesq.core.errors import InvalidTransition as BaseInvalidTransition


class InvalidTransition(BaseInvalidTransition):
    subject = "An order"


class OrderNotEditable(Conflict):
    code = "order_not_editable"
    title = "Order is not a draft"

    def __init__(self, *, current_status: str) -> None:
        current_status = str(current_status)
        super().__init__(
            f"Only draft orders can be edited; this order is {current_status!r}.", current_status=current_status
        )


class CurrencyMismatch(BusinessRuleViolation):
    code = "currency_mismatch"
    title = "Currency mismatch"

    def __init__(self, *, order_currency: str, lines: list[dict[str, Any]]) -> None:
        super().__init__(
            f"Products priced in another currency than the order ({order_currency}) need an explicit "
            "unit_price: " + ", ".join(f"line_items[{line['line']}] ({line['product_currency']})" for line in lines),
            order_currency=order_currency,
            lines=lines,
        )


class OrderOnHold(Conflict):
    code = "order_on_hold"
    title = "Order is on hold"

    def __init__(self, *, hold_reason: str) -> None:
        super().__init__(f"The order is on hold ({hold_reason}); release the hold first.", hold_reason=hold_reason)


class ReturnWindowOpen(Conflict):
    code = "return_window_open"
    title = "Return window still open"

    def __init__(self, *, return_window_ends_at: datetime) -> None:
        ends_at = return_window_ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        super().__init__(
            f"The return window ends at {ends_at}; the order can be closed after that "
            "(or now with waive_return_window, finance role).",
            return_window_ends_at=ends_at,
        )


class HoldConflict(Conflict):
    """Putting on hold an order that is already on hold, closed or cancelled; releasing one that is not."""

    title = "Hold not possible"


class ReturnInvalidTransition(BaseInvalidTransition):
    subject = "A return"


class OrderNotReturnable(Conflict):
    code = "order_not_returnable"
    title = "Order cannot take returns"

    def __init__(self, *, current_status: str) -> None:
        current_status = str(current_status)
        super().__init__(
            f"Only delivered goods can be returned (a delivered order, or the delivered parcels of one still on its "
            f"way); this order is {current_status!r} with nothing delivered, or closed.", current_status=current_status
        )


class ReturnWindowClosed(Conflict):
    code = "return_window_closed"
    title = "Return window closed"

    def __init__(self, *, return_window_ends_at: datetime) -> None:
        ends_at = return_window_ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        super().__init__(
            f"The return window ended at {ends_at}; finance may still accept the return with "
            "waive_return_window.",
            return_window_ends_at=ends_at,
        )


class ReturnQuantityExceeded(BusinessRuleViolation):
    """More of a line asked back than was delivered minus what other returns already claim. ``lines`` names
    each such line: product_id, sku, requested, returnable."""

    code = "return_quantity_exceeded"
    title = "Return quantity exceeded"

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        super().__init__(
            "More than can still be returned: " + ", ".join(
                f"{line['product_id']} ({line['sku']}): {line['requested']} requested, "
                f"{line['returnable']} returnable" for line in lines
            ) + ".",
            lines=lines,
        )


class ReturnOpen(Conflict):
    code = "return_open"
    title = "Order has an open return"

    def __init__(self, *, return_numbers: list[str]) -> None:
        super().__init__(
            f"The order has open returns ({', '.join(return_numbers)}); receive and credit or reject them first.",
            return_numbers=return_numbers,
        )


class OrderNotShippable(Conflict):
    code = "order_not_shippable"
    title = "Order cannot be shipped"

    def __init__(self, *, current_status: str) -> None:
        current_status = str(current_status)
        super().__init__(
            f"Only processing orders are shipped; this order is {current_status!r}.", current_status=current_status
        )


class ShipmentQuantityExceeded(BusinessRuleViolation):
    """More of a product asked to ship from a warehouse than is allocated there and not yet shipped. ``lines``
    names each such line: product_id, sku, requested, shippable."""

    code = "shipment_quantity_exceeded"
    title = "Shipment quantity exceeded"

    def __init__(self, *, warehouse_id: str, lines: list[dict[str, Any]]) -> None:
        super().__init__(
            f"More than is allocated in {warehouse_id} and not yet shipped: " + ", ".join(
                f"{line['product_id']} ({line['sku']}): {line['requested']} requested, "
                f"{line['shippable']} shippable" for line in lines
            ) + ".",
            warehouse_id=warehouse_id, lines=lines,
        )


class ShipmentInvalidTransition(BaseInvalidTransition):
    subject = "A shipment"


class PromotionCodeRefused(BusinessRuleViolation):
    """A promotion code a draft cannot carry (now): the body names the ``promotion_code`` as sent."""

    def __init__(self, detail: str, *, promotion_code: str) -> None:
        super().__init__(detail, promotion_code=promotion_code)


class PromotionCodeInvalid(PromotionCodeRefused):
    code = "promotion_code_invalid"
    title = "Unknown or inactive promotion code"


class PromotionCodeExpired(PromotionCodeRefused):
    code = "promotion_code_expired"
    title = "Promotion code outside its validity"


class PromotionCodeExhausted(PromotionCodeRefused):
    code = "promotion_code_exhausted"
    title = "Promotion code used up"


class PromotionCodeNotApplicable(PromotionCodeRefused):
    code = "promotion_code_not_applicable"
    title = "Promotion code does not apply to this order"


class PromotionCurrencyMismatch(CurrencyMismatch):
    """An amount code in another currency than the order's: the problem of ``CurrencyMismatch`` (no lines) with the
    code."""

    def __init__(self, detail: str, *, promotion_code: str, order_currency: str) -> None:
        BusinessRuleViolation.__init__(self, detail, order_currency=order_currency, lines=[],
                                       promotion_code=promotion_code)


class DiscountLimitExceeded(PermissionRefused):
    """A discount beyond what the actor's role may give (``MAX_SALES_DISCOUNT_PERCENT`` of the line or order for
    the sales role; finance and superusers have no limit)."""

    code = "discount_limit_exceeded"
    title = "Discount beyond your limit"

    def __init__(self, *, field: str, percent: str, limit: str) -> None:
        super().__init__(
            f"{field}: a discount of {percent} % is more than your role may give ({limit} %); ask finance.",
            field=field, percent=percent, limit=limit,
        )


class OrderNotAmendable(Conflict):
    code = "order_not_amendable"
    title = "Order cannot be amended"

    def __init__(self, *, current_status: str) -> None:
        current_status = str(current_status)
        super().__init__(
            f"Only confirmed orders, and processing ones for what is not shipped yet, are amended; this order is "
            f"{current_status!r}.", current_status=current_status
        )


class AmendmentBelowShipped(BusinessRuleViolation):
    """A line amended below what already shipped of it. ``lines`` names each: product_id, sku, requested,
    shipped."""

    code = "amendment_below_shipped"
    title = "Amendment below what shipped"

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        super().__init__(
            "A line cannot go below what already shipped: " + ", ".join(
                f"{line['product_id']} ({line['sku']}): {line['requested']} requested, {line['shipped']} shipped"
                for line in lines) + ".",
            lines=lines,
        )


class PromotionCodeTaken(Conflict):
    code = "promotion_code_taken"
    title = "Promotion code exists already"

    def __init__(self, *, promotion_code: str) -> None:
        super().__init__(f"A promotion code {promotion_code!r} exists already (codes are unique whatever the case).",
                         promotion_code=promotion_code)
