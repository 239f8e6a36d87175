"""Export of the order list (CSV, XLSX): the rows of the filtered list, amounts as decimals with currency."""

from __future__ import annotations

from synthesq.core.exports import ExportResource, amount, local_time, text

from ..models import Order


class OrderResource(ExportResource):
    order_number = text("order number", "order_number")
    customer = text("customer", "customer__name")
    status = text("status", "status")
    currency = text("currency", "currency")
    subtotal = amount("subtotal", "subtotal")
    total = amount("total", "total")
    on_hold = text("on hold", "on_hold")
    created_at = local_time("created", "created_at")
    tracking_number = text("tracking number", "tracking_number")
    carrier = text("carrier", "carrier")

    class Meta:
        model = Order
        fields = ("order_number", "customer", "status", "currency", "subtotal", "total", "on_hold", "created_at",
                  "tracking_number", "carrier")

    def dehydrate_on_hold(self, order: Order) -> str:
        return "yes" if order.on_hold else "no"
