"""Writes for the sales app: customers, drafts, the order lifecycle, holds, the batch close, returns and
shipments.

Every order change runs in one transaction with the order row locked first. Status changes go through
``order_transition`` (or the named ``order_confirm`` … ``order_cancel``) in ``lifecycle``; the batch close
lives in ``closing``. Import the functions from here: ``from sales import services``.
"""

from ..pricing import ChargeInput
from .amendments import AmendmentLineInput, order_amend
from .closing import CloseRunReport, orders_close_chunk, orders_close_delivered
from .customers import customer_create, customer_update
from .drafts import LineInput, order_create, order_lines_validate, order_update_draft
from .holds import order_hold, order_release_hold
from .lifecycle import (
    order_cancel,
    order_close,
    order_confirm,
    order_deliver,
    order_ship,
    order_start_processing,
    order_transition,
)
from .returns import (
    ReturnLineInput,
    return_change_status,
    return_credit,
    return_receive,
    return_reject,
    return_request,
)
from .shipments import (
    ShipmentLineInput,
    shipment_change_status,
    shipment_create,
    shipment_deliver,
)

__all__ = [
    "AmendmentLineInput",
    "ChargeInput",
    "CloseRunReport",
    "LineInput",
    "ReturnLineInput",
    "ShipmentLineInput",
    "customer_create",
    "customer_update",
    "order_amend",
    "order_cancel",
    "order_close",
    "order_confirm",
    "order_create",
    "order_deliver",
    "order_hold",
    "order_lines_validate",
    "order_release_hold",
    "order_ship",
    "order_start_processing",
    "order_transition",
    "order_update_draft",
    "orders_close_chunk",
    "orders_close_delivered",
    "return_change_status",
    "return_credit",
    "return_receive",
    "return_reject",
    "return_request",
    "shipment_change_status",
    "shipment_create",
    "shipment_deliver",
]
