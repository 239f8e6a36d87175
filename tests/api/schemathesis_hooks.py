"""Schemathesis hooks for tests/api/test_openapi_fuzz.py (loaded through ``SCHEMATHESIS_HOOKS``).

Some valid-looking requests are refused because of rules a JSON schema cannot state: an id that names nothing
(``customer_id``), a value taken (``sku``), a field that belongs to another status (``carrier`` with
``delivered``), the currency's minor unit (``1.005`` USD), an opaque ``cursor``. For the operations that have
such rules the run allows a 400 for schema-valid data; this check keeps that allowance exact: such a 400 must
name only the fields listed here, so any other schema-valid request still has to be accepted.
"""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis

LIST_RULES = {"cursor"}  # an opaque position from `next`/`previous`
ORDER_LINES = {"line_items", "line_items[*].product_id", "line_items[*].unit_price", "line_items[*].quantity"}
PRODUCT = {"sku", "price", "parent_id", "tax_class"}
# an unknown class; a charge finer than the currency
CHARGES = {"charges", "charges[*].tax_class", "charges[*].amount"}
# an unknown class or country; validity overlapping another rate's, or ending before it starts
TAX_RATE = {"tax_class", "country", "valid_from", "valid_to"}
# a percent above 100, an amount finer than the currency (issue 23)
DISCOUNTS = {"discount.value", "line_items[*].discount.value"}
# a percent out of range, an amount without currency or finer than it, a window that ends before it starts,
# an unknown product or currency, a limit below the uses made
PROMOTION_CODE = {"discount.value", "discount.currency", "valid_to", "products", "min_subtotal", "usage_limit"}
# an unknown product, a price finer than the currency, a break named twice
PRICE_LIST = {"entries", "entries[*].product_id", "entries[*].unit_price"}

# Operation → the fields a 400 for schema-valid data may name.
STATE_DEPENDENT_FIELDS: dict[str, set[str]] = {
    "GET /api/v1/sales/customers": LIST_RULES,
    "GET /api/v1/sales/orders": LIST_RULES | {"created_at"},
    "GET /api/v1/sales/orders/{id}/history": LIST_RULES,
    "GET /api/v1/sales/invoices": LIST_RULES,
    "GET /api/v1/sales/invoices/{id}/history": LIST_RULES,
    "GET /api/v1/sales/payments": LIST_RULES,
    "GET /api/v1/inventory/products": LIST_RULES,
    "GET /api/v1/inventory/products/{id}/movements": LIST_RULES,
    # an unknown, inactive or variant-holding product; a customer without an address; the currency's unit
    "POST /api/v1/sales/orders": {"customer_id", "shipping_address"} | ORDER_LINES | CHARGES | DISCOUNTS,
    "PATCH /api/v1/sales/orders/{id}": ORDER_LINES | CHARGES | DISCOUNTS,
    "GET /api/v1/sales/promotion-codes": LIST_RULES,
    "POST /api/v1/sales/promotion-codes": PROMOTION_CODE,
    "PATCH /api/v1/sales/promotion-codes/{id}": PROMOTION_CODE,
    "GET /api/v1/sales/price-lists": LIST_RULES,
    "POST /api/v1/sales/price-lists": PRICE_LIST,
    "PATCH /api/v1/sales/price-lists/{id}": PRICE_LIST,
    # tracking data only with (and required for) shipped; the waiver only with closed
    "PATCH /api/v1/sales/orders/{id}/status": {"tracking_number", "carrier", "waive_return_window"},
    # an unknown invoice; an amount that is not positive or has more decimals than its currency
    "POST /api/v1/sales/payments": {"invoice_id", "amount", "reference"},
    # an unknown invoice or payment; lines or amount, not both; amounts finer than the currency; a blank reason
    "POST /api/v1/sales/credit-notes": {"invoice_id", "lines", "amount", "reason", "lines[*].unit_price",
                                        "lines[*].description"},
    "GET /api/v1/sales/credit-notes": LIST_RULES,
    "POST /api/v1/sales/refunds": {"payment_id", "amount", "reason", "reference"},
    "GET /api/v1/sales/refunds": LIST_RULES,
    # the period's last day not before its first
    "GET /api/v1/sales/reports/tax": {"to"},
    # a taken SKU; a price finer than the currency; a parent that is unknown, a variant or holds stock
    "POST /api/v1/inventory/products": PRODUCT,
    "PUT /api/v1/inventory/products/{id}": PRODUCT,
    "PATCH /api/v1/inventory/products/{id}": PRODUCT,
    # zero is no adjustment; an unknown warehouse
    "POST /api/v1/inventory/products/{id}/adjustments": {"quantity_delta", "warehouse_id"},
    # a taken code; the default warehouse stays active
    "GET /api/v1/inventory/warehouses": LIST_RULES,
    "POST /api/v1/inventory/warehouses": {"code"},
    "PUT /api/v1/inventory/warehouses/{id}": {"code", "active"},
    "PATCH /api/v1/inventory/warehouses/{id}": {"code", "active"},
    # an unknown product or warehouse; the same warehouse twice
    "POST /api/v1/inventory/transfers": {"product_id", "from_warehouse_id", "to_warehouse_id"},
    # a product not on the order, or named twice
    "POST /api/v1/sales/orders/{id}/returns": {"lines[*].product_id"},
    "GET /api/v1/sales/returns": LIST_RULES,
    # a product not on the order or named twice; an unknown warehouse; a blank tracking number or carrier
    "POST /api/v1/sales/orders/{id}/shipments": {"lines[*].product_id", "warehouse_id", "tracking_number",
                                                 "carrier"},
    # a product named twice, on several lines, or at 0 without being on the order; every line at 0 (an order keeps
    # one: cancel it instead); a unit price in another currency than the order's — rules over the order's lines
    "POST /api/v1/sales/orders/{id}/amendments": {"lines", "lines[*].product_id", "lines[*].unit_price"},
    "GET /api/v1/sales/shipments": LIST_RULES,
    "GET /api/v1/sales/shipments/{id}/history": LIST_RULES,
    "GET /api/v1/sales/returns/{id}/history": LIST_RULES,
    # a rejection needs its reason; a warehouse only with received (and a known one)
    "PATCH /api/v1/sales/returns/{id}/status": {"reason", "warehouse_id"},
    # an event id that names no kept event
    "GET /api/v1/events": LIST_RULES | {"after", "created_at"},
    "GET /api/v1/webhook-endpoints": LIST_RULES,
    "GET /api/v1/webhook-endpoints/{id}/deliveries": LIST_RULES,
    # a host that does not resolve, or resolves to a private address
    "POST /api/v1/webhook-endpoints": {"url"},
    "PATCH /api/v1/webhook-endpoints/{id}": {"url"},
    # an exempt customer needs the reason
    # ... and an unknown price list (issue 23)
    "POST /api/v1/sales/customers": {"tax_exempt_reason", "price_list_id"},
    "PUT /api/v1/sales/customers/{id}": {"tax_exempt_reason", "price_list_id"},
    "PATCH /api/v1/sales/customers/{id}": {"tax_exempt_reason", "price_list_id"},
    "GET /api/v1/taxes/rates": LIST_RULES,
    "GET /api/v1/taxes/classes": LIST_RULES,
    # a taken code
    "POST /api/v1/taxes/classes": {"code"},
    "POST /api/v1/taxes/rates": TAX_RATE,
    "PATCH /api/v1/taxes/rates/{id}": TAX_RATE,
}


def _normalised(field: Any) -> str:
    return re.sub(r"\[\d+\]", "[*]", str(field))


@schemathesis.check
def rejections_name_only_state_dependent_fields(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 400 for schema-valid data names only fields whose validity depends on stored data or other fields."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    allowed = STATE_DEPENDENT_FIELDS.get(case.operation.label)
    if allowed is None:
        return None  # positive_data_acceptance refuses every 400 for this operation
    try:
        fields = {_normalised(error.get("field")) for error in json.loads(response.content).get("errors", [])}
    except (ValueError, AttributeError):
        fields = set()
    unexpected = fields - allowed
    if not fields or unexpected:
        raise AssertionError(
            f"Schema-valid data refused for {sorted(unexpected) or 'no named field'}; only "
            f"{sorted(allowed)} may depend on stored data or on other fields"
        )
    return None


@schemathesis.hook
def filter_failure(ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure except those of a request whose path parameter is empty.

    A stateful step that takes an id from an empty response (``"product_id": ""``, no row) calls
    ``/inventory/products/`` for ``/inventory/products/{id}``: with the trailing slash the API accepts, that URL is
    the collection, another operation, whose answer is then checked against the single resource's schema. Such a
    request never addresses the operation under test; every other failure still fails the run.
    """
    return not any(value == "" for value in (case.path_parameters or {}).values())
