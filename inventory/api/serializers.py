from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inventory.models import Product, StockMovement
from synthesq.core.money import AmountSerializerField, CurrencySerializerField, check_amount
from synthesq.core.serializers import ActorField, InputSerializer
from taxes.models import TaxClass


class ProductSerializer(serializers.ModelSerializer):
    price = AmountSerializerField()
    parent_id = serializers.CharField(allow_null=True, read_only=True)
    has_variants = serializers.BooleanField(read_only=True, help_text="Products with variants are not sold.")
    active = serializers.BooleanField(source="is_active", read_only=True)
    tax_class = serializers.CharField(source="tax_class_id", read_only=True, help_text="Its tax class's code.")

    class Meta:
        model = Product
        fields = [
            "id", "sku", "name", "description", "price", "currency", "stock_quantity",
            "parent_id", "has_variants", "active", "tax_class", "created_at", "updated_at",
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
    tax_class = serializers.SlugRelatedField(slug_field="code", queryset=TaxClass.objects.all(), required=False,
                                             help_text="A tax class code (default standard).")

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
    actor = ActorField()

    class Meta:
        model = StockMovement
        fields = ["id", "product_id", "kind", "quantity_delta", "balance_after", "reason", "reference",
                  "actor", "created_at"]
        read_only_fields = fields


class StockAdjustmentInputSerializer(InputSerializer):
    quantity_delta = serializers.IntegerField(
        min_value=-2_000_000_000, max_value=2_000_000_000,
        help_text="Positive adds stock, negative removes it; never 0 (0 is no adjustment: a 400)."
    )
    reason = serializers.CharField(max_length=255, help_text="Why, e.g. 'cycle count'.")

    def validate_quantity_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Must not be zero.")
        return value
