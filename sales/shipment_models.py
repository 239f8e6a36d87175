"""Shipments: the parcels an order leaves in, each from one warehouse, with its lines (which order line, how many),
carrier and tracking number. ``status`` changes only through the transition below, called by
``sales.services.shipments`` (which locks the order then the shipment, checks permission, saves, writes the
history row and moves the order on when its last parcel is delivered). Imported by ``sales.models``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from django_fsm import FSMField, transition

from synthesq.core.fsm import ConcurrentTransitions
from synthesq.core.ids import PrefixedIdField
from synthesq.core.models import HistoryEvent, TimeStampedModel

from .history import SHIPMENT_HISTORY_KEYS


class ShipmentStatus(models.TextChoices):
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"


class Shipment(ConcurrentTransitions, TimeStampedModel):
    """One parcel of an order, from one warehouse. Made shipped (the goods left); delivered on the carrier's
    confirmation."""

    Status = ShipmentStatus

    id = PrefixedIdField(prefix="shp")
    order = models.ForeignKey("sales.Order", on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    status = FSMField(default=ShipmentStatus.SHIPPED, choices=ShipmentStatus.choices, protected=True,
                      db_index=True)
    tracking_number = models.CharField(max_length=64)
    carrier = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipped_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["order", "id"], name="shipment_order_id"),
            models.Index(fields=["warehouse", "id"], name="shipment_warehouse_id"),
            models.Index(fields=["tracking_number"], name="shipment_tracking_number"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                                   name="shipment_delivered_has_delivered_at"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @transition(field=status, source=ShipmentStatus.SHIPPED, target=ShipmentStatus.DELIVERED,
                permission="sales.deliver_order")
    def deliver(self) -> None:
        self.delivered_at = timezone.now()


class ShipmentLine(models.Model):
    """How many units of one order line a shipment carries."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    order_line = models.ForeignKey("sales.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["shipment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "position"], name="shipmentline_position_unique"),
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipmentline_order_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line.sku} × {self.quantity}"  # noqa: RUF001 (the multiplication sign is meant)


def shipment_with_lines(shipment: Shipment, *, reload: bool = False) -> Shipment:
    """Load the shipment's lines (with their order lines) once, in position order."""
    if reload:
        getattr(shipment, "_prefetched_objects_cache", {}).pop("lines", None)
    prefetch_related_objects([shipment], Prefetch(
        "lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("position")))
    return shipment


class ShipmentEvent(HistoryEvent):
    """The shipment's history: its creation (what left, from where) and its delivery, with who."""

    subject_field = "shipment"
    data_keys = SHIPMENT_HISTORY_KEYS

    class Kind(models.TextChoices):
        CREATED = "created", "Shipped"
        STATUS_CHANGED = "status_changed", "Status changed"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)

    class Meta:
        ordering = ["shipment", "id"]
        indexes = [models.Index(fields=["shipment", "id"], name="shipmentevent_shipment_id")]
