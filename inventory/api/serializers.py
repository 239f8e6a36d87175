from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inventory.models import Product, StockMovement, Warehouse
from synthesq.core.money import AmountSerializerField, CurrencySerializerField, check_amount
from synthesq.core.serializers import ActorField, InputSerializer


class WarehouseStockSerializer(serializers.Serializer):
    warehouse_id = serializers.CharField(read_only=True)
    code = serializers.CharField(source="warehouse.code", read_only=True, help_text="The warehouse's code.")
    quantity = serializers.IntegerField(read_only=True)


class ProductSerializer(serializers.ModelSerializer):
    price = AmountSerializerField()
    stock_by_warehouse = WarehouseStockSerializer(
        source="warehouse_stocks", many=True, read_only=True,
        help_text="What each warehouse holds, in allocation order; they sum to stock_quantity.")
    parent_id = serializers.CharField(allow_null=True, read_only=True)
    has_variants = serializers.BooleanField(read_only=True, help_text="Products with variants are not sold.")
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Product
        fields = [
            "id", "sku", "name", "description", "price", "currency", "stock_quantity", "stock_by_warehouse",
            "parent_id", "has_variants", "active", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ProductInputSerializer(InputSerializer):
    put_defaults = {"description": "", "parent": None, "is_active": True}

    sku = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$", max_length=64,
                                 help_text="Letters, digits and . _ - /")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    price = AmountSerializerField(min_value=0)
    currency = CurrencySerializerField()
    stock_quantity = serializers.IntegerField(
        min_value=0, max_value=2_000_000_000, required=False, default=0,
        help_text="Initial stock, on creation only; later changes go through adjustments.",
    )
    parent_id = serializers.PrimaryKeyRelatedField(
        source="parent", queryset=Product.objects.all(), required=False, allow_null=True,
        pk_field=serializers.CharField(max_length=40),
    )
    active = serializers.BooleanField(source="is_active", required=False, default=True)

    def validate_sku(self, value: str) -> str:
        existing = Product.objects.filter(sku__iexact=value)
        instance = self.context.get("instance")
        if instance is not None:
            existing = existing.exclude(pk=instance.pk)
        if existing.exists():
            raise serializers.ValidationError("A product with this SKU already exists.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.context.get("instance")
        if instance is not None and "stock_quantity" in self.initial_data:
            raise serializers.ValidationError(
                {"stock_quantity": ["Read-only after creation: POST an adjustment to change stock."]}
            )
        price = attrs.get("price", instance.price if instance else None)
        currency = attrs.get("currency", instance.currency if instance else None)
        if price is not None and currency:
            check_amount(price, currency, "price")
        return attrs


class ProductUpdateSerializer(ProductInputSerializer):
    stock_quantity = None  # type: ignore[assignment]


class StockMovementSerializer(serializers.ModelSerializer):
    product_id = serializers.CharField(read_only=True)
    warehouse_id = serializers.CharField(read_only=True)
    actor = ActorField()

    class Meta:
        model = StockMovement
        fields = ["id", "product_id", "warehouse_id", "kind", "quantity_delta", "balance_after", "reason", "reference",
                  "actor", "created_at"]
        read_only_fields = fields


class StockAdjustmentInputSerializer(InputSerializer):
    quantity_delta = serializers.IntegerField(
        min_value=-2_000_000_000, max_value=2_000_000_000,
        help_text="Positive adds stock, negative removes it; never 0 (0 is no adjustment: a 400)."
    )
    reason = serializers.CharField(max_length=255, help_text="Why, e.g. 'cycle count'.")
    warehouse_id = serializers.PrimaryKeyRelatedField(
        source="warehouse", queryset=Warehouse.objects.all(), required=False,
        pk_field=serializers.CharField(max_length=40), help_text="Where; the default warehouse if left out.",
    )

    def validate_quantity_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Must not be zero.")
        return value


def _warehouse_field(source: str, help_text: str) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(source=source, queryset=Warehouse.objects.all(), help_text=help_text,
                                              pk_field=serializers.CharField(max_length=40))


class StockTransferInputSerializer(InputSerializer):
    product_id = serializers.PrimaryKeyRelatedField(source="product", queryset=Product.objects.all(),
                                                    pk_field=serializers.CharField(max_length=40))
    from_warehouse_id = _warehouse_field("from_warehouse", "The warehouse the units leave.")
    to_warehouse_id = _warehouse_field("to_warehouse", "The warehouse they go to.")
    quantity = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    reason = serializers.CharField(max_length=255, help_text="Why, e.g. 'rebalancing'.")


class StockTransferSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True, help_text="The transfer's reference (trf_…), on both ledger rows.")
    product_id = serializers.CharField(read_only=True)
    from_warehouse_id = serializers.CharField(read_only=True)
    to_warehouse_id = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True)
    movements = StockMovementSerializer(many=True, read_only=True, help_text="Out of one warehouse, into the other.")
    created_at = serializers.DateTimeField(read_only=True)


class WarehouseSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    default = serializers.BooleanField(source="is_default", read_only=True,
                                       help_text="Adjustments without a warehouse_id go here.")

    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "priority", "active", "default", "created_at", "updated_at"]
        read_only_fields = fields


class WarehouseInputSerializer(InputSerializer):
    put_defaults = {"address": "", "priority": 100, "is_active": True}

    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$", max_length=32,
                                  help_text="Letters, digits and . _ - /")
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    priority = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000,
                                        help_text="Allocation order: smaller numbers first.")
    active = serializers.BooleanField(source="is_active", required=False)
