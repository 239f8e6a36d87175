from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from sales.models import Customer
from synthesq.core.serializers import InputSerializer

_COUNTRY = re.compile(r"^[A-Z]{2}$")


class AddressSerializer(InputSerializer):
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
        value = dict(super().to_internal_value(data))
        # An address is always replaced whole, so a PATCH of the customer (root ``partial=True``, which
        # DRF passes down to nested fields) must not let an incomplete address through.
        missing = [name for name, field in self.fields.items() if field.required and name not in value]
        if missing:
            raise serializers.ValidationError(
                {name: [serializers.ErrorDetail("This field is required.", code="required")] for name in missing}
            )
        return value


class CustomerSerializer(serializers.ModelSerializer):
    default_shipping_address = AddressSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "default_shipping_address", "created_at", "updated_at"]
        read_only_fields = fields


class CustomerInputSerializer(InputSerializer):
    put_defaults = {"phone": "", "default_shipping_address": None}

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    default_shipping_address = AddressSerializer(required=False, allow_null=True)
