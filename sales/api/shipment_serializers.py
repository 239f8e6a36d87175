"""The shipments' serializers: the schema of a parcel and its history, and the bodies that create or deliver one."""

from __future__ import annotations

from rest_framework import serializers

from sales.models import (
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from synthesq.core.serializers import ActorField, InputSerializer


class ShipmentLineSerializer(serializers.ModelSerializer):
    product_id = serializers.CharField(read_only=True)
    sku = serializers.CharField(source="order_line.sku", read_only=True)
    name = serializers.CharField(source="order_line.name", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["product_id", "sku", "name", "quantity"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    order_id = serializers.CharField(read_only=True)
    warehouse_id = serializers.CharField(read_only=True, help_text="The warehouse the parcel left (wh_…).")
    lines = ShipmentLineSerializer(many=True, read_only=True)
    allowed_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=ShipmentStatus.choices), read_only=True,
        help_text="Statuses the caller may move this shipment to now.",
    )

    class Meta:
        model = Shipment
        fields = ["id", "order_id", "warehouse_id", "status", "tracking_number", "carrier", "lines",
                  "allowed_statuses", "shipped_at", "delivered_at", "created_at", "updated_at"]
        read_only_fields = fields


class ShipmentLineInputSerializer(InputSerializer):
    product_id = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class ShipmentCreateInputSerializer(InputSerializer):
    warehouse_id = serializers.CharField(max_length=40, help_text="The warehouse the parcel leaves (wh_…).")
    lines = ShipmentLineInputSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=500,
        help_text="Each product of the order at most once, for at most what is allocated in the warehouse and "
                  "not shipped yet.")
    tracking_number = serializers.CharField(max_length=64)
    carrier = serializers.CharField(max_length=64)


class ShipmentStatusInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, help_text="Only 'delivered' is a move.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ShipmentEventSerializer(serializers.ModelSerializer):
    actor = ActorField()

    class Meta:
        model = ShipmentEvent
        fields = ["id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"]
        read_only_fields = fields
