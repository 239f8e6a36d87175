from __future__ import annotations

from typing import Any

from rest_framework import serializers

from synthesq.core.money import AmountSerializerField
from synthesq.core.serializers import InputSerializer
from taxes.models import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS, ChargeKind, TaxClass, TaxRate, TaxRounding


class PercentSerializerField(AmountSerializerField):
    """A percent sent as a JSON number or a decimal string with at most 4 decimals, returned as "19.0000"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", RATE_MAX_DIGITS - RATE_DECIMAL_PLACES + 4)
        kwargs.setdefault("decimal_places", RATE_DECIMAL_PLACES)
        super().__init__(currency_source="", **kwargs)

    def to_representation(self, value: Any) -> Any:
        return None if value is None else f"{value:.4f}"


class TaxClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxClass
        fields = ["code", "name", "created_at", "updated_at"]
        read_only_fields = fields


class TaxClassInputSerializer(InputSerializer):
    code = serializers.RegexField(r"^[a-z0-9][a-z0-9_-]*$", max_length=32,
                                  help_text="Lower-case letters, digits, - and _ (the key: not changeable).")
    name = serializers.CharField(max_length=100)


class TaxClassUpdateSerializer(InputSerializer):
    min_fields = 1

    name = serializers.CharField(max_length=100)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send name.")
        return attrs


class TaxRateSerializer(serializers.ModelSerializer):
    tax_class = serializers.CharField(source="tax_class_id", read_only=True)
    rate = PercentSerializerField(read_only=True, help_text="Percent, 4 decimals.")

    class Meta:
        model = TaxRate
        fields = ["id", "tax_class", "country", "region", "name", "rate", "valid_from", "valid_to",
                  "created_at", "updated_at"]
        read_only_fields = fields


class TaxRateInputSerializer(InputSerializer):
    tax_class = serializers.CharField(max_length=32, help_text="A tax class code.")
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. DE.")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text="Empty: the whole country; else the address's state (TX). A region's "
                                   "rates add to the country's.")
    name = serializers.CharField(max_length=100)
    rate = PercentSerializerField(min_value=0, help_text="Percent with up to 4 decimals, e.g. \"8.2500\".")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None,
                                     help_text="Last day valid (included); null: open-ended.")


class TaxRateUpdateSerializer(TaxRateInputSerializer):
    min_fields = 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field.")
        return attrs


class TaxSettingsSerializer(InputSerializer):
    prices_include_tax = serializers.BooleanField(help_text="Prices and charges are entered gross.")
    rounding = serializers.ChoiceField(choices=TaxRounding.choices, help_text="line: round each line's tax; "
                                       "document: once per rate, the cents given to lines by largest remainder.")


# --- what documents (orders, invoices) show of their taxes -----------------------------------------------


class ItemTaxSerializer(serializers.Serializer):
    """A line's or charge's tax under one rate (the rate copied when it was priced)."""

    name = serializers.CharField(read_only=True)
    rate = PercentSerializerField(read_only=True)
    country = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True)
    tax_amount = AmountSerializerField(read_only=True)


class TaxRowSerializer(serializers.Serializer):
    """One row of a document's breakdown per rate; the untaxed amounts are the row with no name and rate 0."""

    name = serializers.CharField(read_only=True)
    rate = PercentSerializerField(read_only=True)
    country = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True)
    taxable_amount = AmountSerializerField(read_only=True)
    tax_amount = AmountSerializerField(read_only=True)


class ChargeSerializer(serializers.Serializer):
    """A charge priced: ``amount`` as entered (gross when prices include tax), then its net, tax and gross."""

    kind = serializers.ChoiceField(choices=ChargeKind.choices, read_only=True)
    description = serializers.CharField(read_only=True)
    amount = AmountSerializerField(read_only=True)
    tax_class = serializers.CharField(read_only=True)
    tax_rate = PercentSerializerField(read_only=True, help_text="The summed percent of its rates.")
    net_amount = AmountSerializerField(read_only=True)
    tax_amount = AmountSerializerField(read_only=True)
    gross_amount = AmountSerializerField(read_only=True)
    taxes = ItemTaxSerializer(many=True, read_only=True)


class ChargeInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=ChargeKind.choices)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    amount = AmountSerializerField(min_value=0, help_text="As prices are entered: gross when they include tax.")
    tax_class = serializers.CharField(max_length=32, required=False, default="standard",
                                      help_text="A tax class code (default standard).")
