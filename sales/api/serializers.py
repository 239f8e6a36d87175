from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from sales.models import Customer

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class AddressSerializer(serializers.Serializer):
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US")

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if not _COUNTRY.match(value):
            raise serializers.ValidationError("Use an ISO 3166-1 alpha-2 country code, e.g. US.")
        return value

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown address field."] for key in unknown})
        return dict(super().to_internal_value(data))


class CustomerSerializer(serializers.ModelSerializer):
    default_shipping_address = AddressSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "default_shipping_address", "created_at", "updated_at"]
        read_only_fields = fields


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    default_shipping_address = AddressSerializer(required=False, allow_null=True)
