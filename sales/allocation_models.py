"""Where the stock of an order line was reserved: one row per line and warehouse (``sales.models`` imports it, so
Django registers it with the app's other models)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OrderLineAllocation(models.Model):
    """``quantity`` units of ``line`` were reserved from ``warehouse`` when the order was confirmed (the
    ``reservation`` rows of the stock ledger, per warehouse). Cancelling releases exactly these; a received return
    restocks into the warehouse its line was allocated from unless told otherwise."""

    line = models.ForeignKey("sales.OrderLine", on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        app_label = "sales"
        ordering = ["line", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["line", "warehouse"], name="orderlineallocation_line_warehouse"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderlineallocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} from {self.warehouse_id}"
