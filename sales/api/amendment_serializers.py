"""The amendment's input: ``POST /api/v1/sales/orders/{id}/amendments``."""

from __future__ import annotations

from rest_framework import serializers

from synthesq.core.money import AmountSerializerField
from synthesq.core.serializers import InputSerializer


class AmendmentLineInputSerializer(InputSerializer):
    product_id = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000,
                                        help_text="The line's new quantity; 0 removes it.")
    unit_price = AmountSerializerField(
        min_value=0, required=False, allow_null=True,
        help_text="Only for a product not on the order yet: its price per unit in the order's currency; omitted: "
                  "the customer's price list today, else the product's price.",
    )


class OrderAmendmentInputSerializer(InputSerializer):
    lines = AmendmentLineInputSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=500,
        help_text="Each product at most once; lines not named stay as they are.")
    reason = serializers.CharField(max_length=255, help_text="Why the order is amended (kept in its history).")
