"""The keys of an order's and a return's history ``data``, declared once. The services write a row's data under
these names, the admin (and any other reader) reads it under the same names, and ``HistoryEvent.build`` refuses a
key not declared here, so a writer and a reader cannot drift apart again (``waive_return_window`` read where
``return_window_waived`` was written)."""

from __future__ import annotations

from typing import Final

from synthesq.core.models import declared_keys


class OrderHistory:
    """Keys of ``OrderEvent.data``."""

    LINES: Final = "lines"  # created, draft updated: how many lines
    TOTAL: Final = "total"  # created, draft updated: the order's total (a decimal string)
    SHIPPING_ADDRESS: Final = "shipping_address"  # draft updated: the new address
    CHARGES: Final = "charges"  # draft updated: how many charges
    TRACKING_NUMBER: Final = "tracking_number"  # shipped
    CARRIER: Final = "carrier"  # shipped
    HOLD_REASON: Final = "hold_reason"  # hold released: the reason it was held for
    HOLD_RELEASED: Final = "hold_released"  # cancelled while on hold: the hold's reason
    RETURN_WINDOW_WAIVED: Final = "return_window_waived"  # closed before the return window passed
    RETURN_WINDOW_ENDS_AT: Final = "return_window_ends_at"  # ... and when the window would have ended
    WAIVED_BY: Final = "waived_by"  # ... and who waived it (username)
    BATCH: Final = "batch"  # closed by the nightly batch
    LINES_BEFORE: Final = "lines_before"  # amended: [{"product_id", "quantity"}] before the amendment
    LINES_AFTER: Final = "lines_after"  # amended: ... and after it


class ReturnHistory:
    """Keys of ``ReturnEvent.data``."""

    ORDER_ID: Final = "order_id"
    LINES: Final = "lines"
    VALUE: Final = "value"
    RETURN_WINDOW_WAIVED: Final = "return_window_waived"
    RETURN_WINDOW_ENDS_AT: Final = "return_window_ends_at"
    WAIVED_BY: Final = "waived_by"


class ShipmentHistory:
    """Keys of ``ShipmentEvent.data``."""

    ORDER_ID: Final = "order_id"
    WAREHOUSE_ID: Final = "warehouse_id"
    LINES: Final = "lines"  # created: [{"product_id", "quantity"}]


ORDER_HISTORY_KEYS: Final = declared_keys(OrderHistory)
RETURN_HISTORY_KEYS: Final = declared_keys(ReturnHistory)
SHIPMENT_HISTORY_KEYS: Final = declared_keys(ShipmentHistory)
