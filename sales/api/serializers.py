from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Warehouse
from sales.addresses import ADDRESS_PARTS, COUNTRY_MESSAGE, AddressPart, address_clean, country_pattern
from sales.models import (
    Customer,
    FulfilmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Return,
    ReturnEvent,
    ReturnLine,
    ReturnStatus,
)
from synthesq.core.errors import ValidationFailed
from synthesq.core.money import AmountSerializerField, CurrencySerializerField
from synthesq.core.serializers import ActorField, InputSerializer, fresh_fields
from taxes.api.serializers import (
    ChargeInputSerializer,
    ChargeSerializer,
    ItemTaxSerializer,
    PercentSerializerField,
    TaxRowSerializer,
)


def _address_field(part: AddressPart) -> serializers.Field:
    if part.name == "country":
        # Declared as exactly what address_clean accepts: an ISO 3166-1 alpha-2 code, any case.
        return serializers.RegexField(country_pattern(), trim_whitespace=False, help_text=part.help_text or None,
                                      error_messages={"invalid": COUNTRY_MESSAGE})
    return serializers.CharField(max_length=part.max_length, required=part.required, allow_blank=not part.required,
                                 help_text=part.help_text or None)


_ADDRESS_FIELDS = {part.name: _address_field(part) for part in ADDRESS_PARTS}  # prototypes, never bound


class AddressSerializer(InputSerializer):
    """A postal address; its parts and rules are ``sales.addresses``'s (the admin's forms use the same)."""

    pure_validate = True

    @classmethod
    def prototypes(cls) -> Mapping[str, serializers.Field]:
        return _ADDRESS_FIELDS

    def get_fields(self) -> dict[str, serializers.Field]:
        return fresh_fields(_ADDRESS_FIELDS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        # Also on a PATCH of the customer (root ``partial=True``, which DRF passes down to nested fields):
        # an address is always replaced whole, so an incomplete one must not get through.
        try:
            return address_clean(attrs)
        except ValidationFailed as exc:
            raise serializers.ValidationError({
                error["field"]: [serializers.ErrorDetail(error["message"], code=error["code"])]
                for error in exc.extra["errors"]
            }) from exc


class CustomerSerializer(serializers.ModelSerializer):
    default_shipping_address = AddressSerializer(allow_null=True, read_only=True)
    price_list_id = serializers.CharField(allow_null=True, read_only=True, help_text="Its price list (prl_…).")

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "default_shipping_address", "tax_id", "tax_exempt",
                  "tax_exempt_reason", "price_list_id", "created_at", "updated_at"]
        read_only_fields = fields


class CustomerInputSerializer(InputSerializer):
    put_defaults = {"phone": "", "default_shipping_address": None, "tax_id": "", "tax_exempt": False,
                    "tax_exempt_reason": ""}

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    default_shipping_address = AddressSerializer(required=False, allow_null=True)
    tax_id = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="VAT number or the like.")
    tax_exempt = serializers.BooleanField(required=False, help_text="Pays no tax on new orders.")
    tax_exempt_reason = serializers.CharField(max_length=255, required=False, allow_blank=True,
                                              help_text="Required when exempt (printed on invoices).")
    price_list_id = serializers.CharField(max_length=40, required=False, allow_null=True,
                                          help_text="Its price list (finance); null: none.")


# --- orders ------------------------------------------------------------------------------------------


class OrderLineAllocationSerializer(serializers.Serializer):
    warehouse_id = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)


class DiscountSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["percent", "amount"])
    value = serializers.CharField(help_text="A percent (\"10\") or an amount in the order's currency.")
    reason = serializers.CharField(allow_blank=True)
    amount = AmountSerializerField(help_text="What it takes off.")


class DiscountInputSerializer(InputSerializer):
    type = serializers.ChoiceField(choices=["percent", "amount"])
    value = AmountSerializerField(min_value=0, help_text="A percent (0-100) or an amount in the order's currency.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OrderLineSerializer(serializers.ModelSerializer):
    product_id = serializers.CharField(read_only=True)
    unit_price = AmountSerializerField(currency_source="order.currency")
    line_total = AmountSerializerField(currency_source="order.currency")
    returned_quantity = serializers.IntegerField(
        read_only=True, help_text="Quantity on returns requested, received or credited (rejected ones do not count)."
    )
    tax_rate = PercentSerializerField(read_only=True, help_text="The summed percent of its rates.")
    net_amount = AmountSerializerField(currency_source="order.currency")
    tax_amount = AmountSerializerField(currency_source="order.currency")
    gross_amount = AmountSerializerField(currency_source="order.currency")
    taxes = ItemTaxSerializer(many=True, read_only=True, help_text="The tax per rate.")
    allocations = OrderLineAllocationSerializer(
        many=True, read_only=True,
        help_text="Where the line's stock is reserved, from confirmation on (empty for drafts and cancelled orders).")
    list_price = AmountSerializerField(currency_source="order.currency", allow_null=True,
                                       help_text="The product's price (null: priced in another currency).")
    price_list_id = serializers.CharField(allow_null=True, help_text="The price list the unit price came from.")
    discount = DiscountSerializer(allow_null=True, help_text="The line's own discount.")
    order_discount_amount = AmountSerializerField(currency_source="order.currency",
                                                  help_text="Its share of the order's discounts.")

    class Meta:
        model = OrderLine
        fields = ["product_id", "sku", "name", "quantity", "unit_price", "line_total", "returned_quantity",
                  "tax_class", "tax_rate", "net_amount", "tax_amount", "gross_amount", "taxes", "allocations",
                  "list_price", "price_list_id", "discount", "order_discount_amount"]
        read_only_fields = fields


class OrderReturnSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    return_number = serializers.CharField()
    status = serializers.ChoiceField(choices=ReturnStatus.choices)


@extend_schema_field(serializers.DateTimeField(allow_null=True))
class ComputedDateTimeField(serializers.DateTimeField):
    """A date-time the model computes (its schema states "nullable" before "readOnly", as the contract has it)."""


class OrderSerializer(serializers.ModelSerializer):
    customer_id = serializers.CharField(read_only=True)
    line_items = OrderLineSerializer(source="lines", many=True, read_only=True)
    charges = ChargeSerializer(many=True, read_only=True)
    shipping_address = AddressSerializer(read_only=True)
    subtotal = AmountSerializerField(help_text="Net of the lines.")
    charges_total = AmountSerializerField(help_text="Net of the charges.")
    tax_total = AmountSerializerField()
    total = AmountSerializerField(help_text="Gross: what a payment of the whole must be.")
    taxes = TaxRowSerializer(many=True, read_only=True, help_text="The breakdown: one row per rate.")
    allowed_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=OrderStatus.choices), read_only=True,
        help_text="Statuses the caller may move this order to now.",
    )
    return_window_ends_at = ComputedDateTimeField(
        read_only=True, allow_null=True,
        help_text="When a delivered order's return window ends (it can be closed from then on).",
    )
    returns = OrderReturnSummarySerializer(many=True, read_only=True, help_text="The order's returns, oldest first.")
    fulfilment_status = serializers.ChoiceField(
        choices=FulfilmentStatus.choices, read_only=True,
        help_text="unfulfilled: nothing shipped; partially_shipped: some units shipped (the order stays processing); "
                  "shipped: every unit shipped, a parcel still on its way; delivered: every parcel delivered.",
    )
    discount = DiscountSerializer(allow_null=True, read_only=True, help_text="The order's own discount.")
    promotion_code = serializers.CharField(allow_null=True, read_only=True)
    promotion_discount = AmountSerializerField(help_text="The promotion code's discount.")
    discount_total = AmountSerializerField(help_text="Every discount: the lines', the order's and the code's.")

    class Meta:
        model = Order
        fields = [
            "id", "order_number", "status", "fulfilment_status", "customer_id", "currency", "line_items", "charges",
            "subtotal", "charges_total", "tax_total", "total", "prices_include_tax", "tax_rounding", "taxes",
            "tax_exempt_reason", "shipping_address", "tracking_number", "carrier", "cancellation_reason", "on_hold",
            "hold_reason",
            "held_at", "return_window_ends_at", "allowed_statuses",
            "created_at", "updated_at", "confirmed_at", "processing_at", "shipped_at", "delivered_at",
            "closed_at", "cancelled_at", "returns", "discount", "promotion_code", "promotion_discount",
            "discount_total",
        ]
        read_only_fields = fields


class LineItemInputSerializer(InputSerializer):
    product_id = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = AmountSerializerField(
        min_value=0, required=False, allow_null=True,
        help_text="Price per unit in the order's currency; omitted: the customer's price list, else the product's.",
    )
    discount = DiscountInputSerializer(required=False, allow_null=True,
                                       help_text="Of the line total; the sales role up to MAX_SALES_DISCOUNT_PERCENT.")


class OrderCreateInputSerializer(InputSerializer):
    customer_id = serializers.CharField(max_length=40)
    currency = CurrencySerializerField()
    # many=True hands max_length to the ListSerializer (DRF does; its stubs do not know).
    line_items = LineItemInputSerializer(many=True, allow_empty=False, max_length=500)  # type: ignore[call-arg]
    shipping_address = AddressSerializer(required=False, allow_null=True,
                                         help_text="Omitted: the customer's default shipping address.")
    charges = ChargeInputSerializer(many=True, required=False, max_length=50,  # type: ignore[call-arg]
                                    help_text="Shipping, handling and other charges.")
    discount = DiscountInputSerializer(required=False, allow_null=True,
                                       help_text="The order's discount, spread over the lines before tax.")
    promotion_code = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)


class OrderUpdateInputSerializer(InputSerializer):
    min_fields = 1

    line_items = LineItemInputSerializer(many=True, allow_empty=False, max_length=500, required=False,  # type: ignore[call-arg]
                                         help_text="Replaces all lines.")
    shipping_address = AddressSerializer(required=False)
    charges = ChargeInputSerializer(many=True, required=False, max_length=50,  # type: ignore[call-arg]
                                    help_text="Replaces all charges ([] removes them).")

    discount = DiscountInputSerializer(required=False, allow_null=True, help_text="null removes it.")
    promotion_code = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True,
                                           help_text="null or empty removes it.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                "Send line_items, charges, shipping_address, discount and/or promotion_code.")
        return attrs


class OrderStatusInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                            help_text="Required with status 'shipped'.")
    carrier = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                    help_text="Required with status 'shipped'.")
    waive_return_window = serializers.BooleanField(
        required=False, default=False,
        help_text="With status 'closed': close before the return window has passed (finance role).",
    )


class OrderHoldInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=255, help_text="Why the order is on hold (the dispute).")


class OrderHoldReleaseInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OrderEventSerializer(serializers.ModelSerializer):
    actor = ActorField()

    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"]
        read_only_fields = fields


# --- returns -----------------------------------------------------------------------------------------


class ReturnLineSerializer(serializers.ModelSerializer):
    product_id = serializers.CharField(read_only=True)
    sku = serializers.CharField(source="order_line.sku", read_only=True)
    name = serializers.CharField(source="order_line.name", read_only=True)
    unit_price = AmountSerializerField(currency_source="sales_return.currency",
                                       help_text="The order line's unit price.")
    line_total = AmountSerializerField(currency_source="sales_return.currency")

    class Meta:
        model = ReturnLine
        fields = ["product_id", "sku", "name", "quantity", "unit_price", "line_total", "restock"]
        read_only_fields = fields


class ReturnSerializer(serializers.ModelSerializer):
    order_id = serializers.CharField(read_only=True)
    customer_id = serializers.CharField(source="order.customer_id", read_only=True)
    value = AmountSerializerField(help_text="Sum of the line totals.")
    lines = ReturnLineSerializer(many=True, read_only=True)
    allowed_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=ReturnStatus.choices), read_only=True,
        help_text="Statuses the caller may move this return to now.",
    )

    class Meta:
        model = Return
        fields = [
            "id", "return_number", "order_id", "customer_id", "status", "reason", "rejection_reason",
            "return_window_waived", "currency", "value", "lines", "allowed_statuses",
            "requested_at", "received_at", "credited_at", "rejected_at", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ReturnLineInputSerializer(InputSerializer):
    product_id = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    restock = serializers.BooleanField(required=False, default=True,
                                       help_text="Put the goods back into stock when received (default true).")


class ReturnCreateInputSerializer(InputSerializer):
    lines = ReturnLineInputSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=500,
        help_text="Each product of the order at most once (a product named twice is a 400 naming "
                  "lines[n].product_id), for at most its quantity delivered and not yet returned.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    waive_return_window = serializers.BooleanField(
        required=False, default=False,
        help_text="Accept the return after the return window has passed (finance role; recorded).",
    )


class ReturnStatusInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="",
                                   help_text="Required with status 'rejected'.")
    warehouse_id = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, pk_field=serializers.CharField(max_length=40),
        help_text="With status 'received': the warehouse the goods go back into (default: the one each line was "
                  "allocated from).")

    def validate_warehouse_id(self, value: Warehouse) -> str:
        return str(value.pk)


class ReturnEventSerializer(serializers.ModelSerializer):
    actor = ActorField()

    class Meta:
        model = ReturnEvent
        fields = ["id", "kind", "from_status", "to_status", "actor", "reason", "data", "created_at"]
        read_only_fields = fields


# --- shipments ---------------------------------------------------------------------------------------
