"""The problems the sales services raise, as OpenAPI components (see ``synthesq.core.problem_schemas``)."""

from __future__ import annotations

from sales.exceptions import (
    AmendmentBelowShipped,
    CurrencyMismatch,
    DiscountLimitExceeded,
    OrderNotAmendable,
    OrderNotEditable,
    OrderNotReturnable,
    OrderNotShippable,
    OrderOnHold,
    PromotionCodeExhausted,
    PromotionCodeExpired,
    PromotionCodeInvalid,
    PromotionCodeNotApplicable,
    PromotionCodeTaken,
    ReturnOpen,
    ReturnQuantityExceeded,
    ReturnWindowClosed,
    ReturnWindowOpen,
    ShipmentQuantityExceeded,
)
from synthesq.core.problem_schemas import DATETIME, INTEGER, STRING, array_of, helper_component, problem_doc

ORDER_NOT_EDITABLE = problem_doc("OrderNotEditable", error=OrderNotEditable,
                                 description="Only drafts can be edited.", current_status=STRING)
CURRENCY_MISMATCH = problem_doc(
    "CurrencyMismatch", error=CurrencyMismatch,
    description="Lines without `unit_price` whose product is priced in another currency than the order.",
    order_currency=STRING,
    lines=array_of(helper_component("CurrencyMismatchLine", {
        "type": "object",
        "required": ["line", "product_id", "product_currency"],
        "properties": {
            "line": {**INTEGER, "description": "Index in `line_items`."},
            "product_id": STRING,
            "product_currency": STRING,
        },
    })),
)
ORDER_ON_HOLD = problem_doc("OrderOnHold", error=OrderOnHold, description="Release the hold first.",
                            hold_reason=STRING)
RETURN_WINDOW_OPEN = problem_doc(
    "ReturnWindowOpen", error=ReturnWindowOpen,
    description="Close after `return_window_ends_at`, or now with `waive_return_window` (finance).",
    return_window_ends_at=DATETIME,
)
ALREADY_ON_HOLD = problem_doc("AlreadyOnHold", status=409, code="already_on_hold", title="Hold not possible",
                              hold_reason=STRING)
ORDER_NOT_HOLDABLE = problem_doc("OrderNotHoldable", status=409, code="order_not_holdable",
                                 title="Hold not possible", description="Closed and cancelled orders.",
                                 current_status=STRING)
NOT_ON_HOLD = problem_doc("NotOnHold", status=409, code="not_on_hold", title="Hold not possible")

ORDER_NOT_RETURNABLE = problem_doc(
    "OrderNotReturnable", error=OrderNotReturnable, current_status=STRING,
    description="Only delivered goods are returned: a delivered order, or the delivered parcels of a processing or "
                "shipped one.")
RETURN_WINDOW_CLOSED = problem_doc(
    "ReturnWindowClosed", error=ReturnWindowClosed,
    description="The return window has passed; finance may still accept the return with `waive_return_window`.",
    return_window_ends_at=DATETIME,
)
RETURN_QUANTITY_EXCEEDED = problem_doc(
    "ReturnQuantityExceeded", error=ReturnQuantityExceeded,
    description="More than was delivered minus what requested, received and credited returns already claim.",
    lines=array_of(helper_component("ReturnQuantityExceededLine", {
        "type": "object",
        "required": ["line", "product_id", "sku", "requested", "returnable"],
        "properties": {
            "line": {**INTEGER, "description": "Index in `lines`."},
            "product_id": STRING,
            "sku": STRING,
            "requested": INTEGER,
            "returnable": {**INTEGER, "description": "What is left to return of the product."},
        },
    })),
)
RETURN_OPEN = problem_doc("ReturnOpen", error=ReturnOpen,
                          description="A return is requested or received: receive and credit, or reject it first.",
                          return_numbers=array_of(STRING))

ORDER_NOT_SHIPPABLE = problem_doc("OrderNotShippable", error=OrderNotShippable,
                                  description="Only processing orders are shipped.", current_status=STRING)
SHIPMENT_QUANTITY_EXCEEDED = problem_doc(
    "ShipmentQuantityExceeded", error=ShipmentQuantityExceeded,
    description="More than is allocated in the warehouse and not shipped from it yet.",
    warehouse_id=STRING,
    lines=array_of(helper_component("ShipmentQuantityExceededLine", {
        "type": "object",
        "required": ["line", "product_id", "sku", "requested", "shippable"],
        "properties": {
            "line": {**INTEGER, "description": "Index in `lines`."},
            "product_id": STRING,
            "sku": STRING,
            "requested": INTEGER,
            "shippable": {**INTEGER, "description": "What is left to ship of the product from the warehouse."},
        },
    })),
)
_CODE_REFUSALS = {
    PromotionCodeInvalid: "No code of that name, or it is inactive.",
    PromotionCodeExpired: "Outside the code's validity (valid_from, valid_to).",
    PromotionCodeExhausted: "The code's usage_limit or usage_limit_per_customer is reached (at draft time and "
                            "again at confirmation: remove the code from the draft to confirm it).",
    PromotionCodeNotApplicable: "Below the code's min_subtotal in the order's currency, or no line of a product "
                                "it applies to.",
}
PROMOTION_CODE_REFUSALS = tuple(
    problem_doc(error.__name__, error=error, description=text, promotion_code=STRING)
    for error, text in _CODE_REFUSALS.items()
)
# At confirmation: the code deactivated or out of its window since the draft took it, or used up.
PROMOTION_CODE_CONFIRM_REFUSALS = tuple(doc for doc in PROMOTION_CODE_REFUSALS
                                        if doc.code != PromotionCodeNotApplicable.code)
DISCOUNT_LIMIT_EXCEEDED = problem_doc(
    "DiscountLimitExceeded", error=DiscountLimitExceeded,
    description="The sales role may discount a line or the order up to MAX_SALES_DISCOUNT_PERCENT; finance and "
                "superusers without limit.",
    field=STRING, percent=STRING, limit=STRING,
)

ORDER_NOT_AMENDABLE = problem_doc("OrderNotAmendable", error=OrderNotAmendable,
                                  description="Only confirmed and processing orders are amended.",
                                  current_status=STRING)
AMENDMENT_BELOW_SHIPPED = problem_doc(
    "AmendmentBelowShipped", error=AmendmentBelowShipped,
    description="A line cannot go below what already shipped of it.",
    lines=array_of(helper_component("AmendmentBelowShippedLine", {
        "type": "object", "required": ["product_id", "sku", "requested", "shipped"],
        "properties": {"product_id": STRING, "sku": STRING, "requested": INTEGER, "shipped": INTEGER}})),
)

PROMOTION_CODE_TAKEN = problem_doc("PromotionCodeTaken", error=PromotionCodeTaken,
                                   description="Another code has this code, whatever the case.",
                                   promotion_code=STRING)
