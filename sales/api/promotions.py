"""The API of promotion codes (``/api/v1/sales/promotion-codes``) and price lists (``/api/v1/sales/price-lists``):
finance and superusers create and change them, sales reads them. Views call ``sales.services.promotions``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from sales.exceptions import PromotionCodeTaken
from sales.pricing_representations import price_list_representation, promotion_code_representation
from sales.selectors import promotions as reads
from sales.services import promotions as writes
from synthesq.core.actors import acting_user
from synthesq.core.errors import ValidationFailed, field_error
from synthesq.core.etags import ETagMixin
from synthesq.core.money import AmountSerializerField, CurrencySerializerField, scale_error
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin
from synthesq.core.serializers import InputSerializer


class CodeDiscountSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["percent", "amount"])
    value = serializers.CharField(help_text="A percent, or an amount in `currency`.")
    currency = serializers.CharField(allow_null=True)


class PromotionCodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    code = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    discount = CodeDiscountSerializer()
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_to = serializers.DateTimeField(allow_null=True)
    min_subtotal = serializers.DictField(child=serializers.CharField(), help_text="Per currency.")
    products = serializers.ListField(child=serializers.CharField(), help_text="Empty: every product.")
    usage_limit = serializers.IntegerField(allow_null=True)
    usage_limit_per_customer = serializers.IntegerField(allow_null=True)
    times_used = serializers.IntegerField(help_text="Confirmed orders carrying it (cancelled ones give it back).")
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CodeDiscountInputSerializer(InputSerializer):
    type = serializers.ChoiceField(choices=["percent", "amount"])
    value = AmountSerializerField(min_value=0, help_text="A percent (above 0, at most 100) or an amount in "
                                                         "`currency`.")
    currency = CurrencySerializerField(required=False, allow_null=True, help_text="Required with an amount.")


class PromotionCodeInputSerializer(InputSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", max_length=64)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    discount = CodeDiscountInputSerializer()
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_to = serializers.DateTimeField(required=False, allow_null=True)
    min_subtotal = serializers.DictField(child=AmountSerializerField(min_value=0), required=False,
                                         help_text='Minimum subtotal per currency: {"USD": "50.00"}.')
    products = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=500)
    usage_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    usage_limit_per_customer = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    active = serializers.BooleanField(required=False)


def _code_data(values: dict[str, Any]) -> dict[str, Any]:
    """The service's fields from a request body (the discount's parts are fields of the code)."""
    data = dict(values)
    discount = data.pop("discount", None)
    if discount is not None:
        data.update(discount_type=discount["type"], discount_value=discount["value"],
                    currency=discount.get("currency") or "")
    return data


@extend_schema_view(
    list=extend_schema(summary="List promotion codes", tags=["promotion codes"]),
    retrieve=extend_schema(summary="Get a promotion code", tags=["promotion codes"]),
    create=extend_schema(summary="Create a promotion code", tags=["promotion codes"],
                         request=PromotionCodeInputSerializer, responses={201: PromotionCodeSerializer}),
    partial_update=extend_schema(summary="Change a promotion code", tags=["promotion codes"],
                                 request=PromotionCodeInputSerializer(partial=True),
                                 responses=PromotionCodeSerializer),
)
class PromotionCodeViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = PromotionCodeSerializer
    problem_responses = {"create": (PromotionCodeTaken,), "partial_update": (PromotionCodeTaken,)}
    ordering_fields = ["created_at", "code"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return reads.promotion_code_list()

    def represent(self, instance: Any) -> dict[str, Any]:
        return promotion_code_representation(instance)

    def create(self, request: Request) -> Response:
        data = PromotionCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = writes.promotion_code_create(actor=acting_user(request), data=_code_data(data.validated_data))
        return Response(self.represent(reads.promotion_code_list().get(pk=code.pk)), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        code = self.get_object()
        data = PromotionCodeInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        writes.promotion_code_update(code_id=code.pk, actor=acting_user(request), data=_code_data(data.validated_data))
        return Response(self.represent(reads.promotion_code_list().get(pk=code.pk)))


class PriceListEntrySerializer(serializers.Serializer):
    product_id = serializers.CharField(max_length=40)
    min_quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    unit_price = AmountSerializerField(min_value=0)


class PriceListEntryInputSerializer(InputSerializer):
    product_id = serializers.CharField(max_length=40)
    min_quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    unit_price = AmountSerializerField(min_value=0)


class PriceListSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    active = serializers.BooleanField()
    entries = PriceListEntrySerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PriceListInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    currency = CurrencySerializerField()
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False)
    entries = PriceListEntryInputSerializer(many=True, required=False, max_length=5000)  # type: ignore[call-arg]


# A unit price stays below this (14 whole digits are the columns' limit; a list's price is per unit, and SQLite
# keeps decimals as binary floats, which lose the cents of prices near that limit).
UNIT_PRICE_MAX_EXCLUSIVE = Decimal(10) ** 12


def _price_list_data(values: dict[str, Any], currency: str | None) -> dict[str, Any]:
    errors = []
    for index, entry in enumerate(values.get("entries") or []):
        entry.setdefault("min_quantity", 1)  # a PATCH's entries get no defaults from the serializer
        error = scale_error(entry["unit_price"], currency) if currency else None
        if not error and entry["unit_price"] >= UNIT_PRICE_MAX_EXCLUSIVE:
            error = f"Must be below {UNIT_PRICE_MAX_EXCLUSIVE:f}."
        if error:
            errors.append(field_error(f"entries[{index}].unit_price", error))
    keys = [(entry["product_id"], entry["min_quantity"]) for entry in values.get("entries") or []]
    if len(keys) != len(set(keys)):
        errors.append(field_error("entries", "One entry per product and min_quantity.", "unique"))
    if errors:
        raise ValidationFailed(errors=errors)
    return dict(values)


@extend_schema_view(
    list=extend_schema(summary="List price lists", tags=["price lists"]),
    retrieve=extend_schema(summary="Get a price list", tags=["price lists"]),
    create=extend_schema(summary="Create a price list", tags=["price lists"], request=PriceListInputSerializer,
                         responses={201: PriceListSerializer}),
    partial_update=extend_schema(summary="Change a price list (entries replace all)", tags=["price lists"],
                                 request=PriceListInputSerializer(partial=True), responses=PriceListSerializer),
)
class PriceListViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = PriceListSerializer
    ordering_fields = ["created_at", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return reads.price_list_list()

    def represent(self, instance: Any) -> dict[str, Any]:
        return price_list_representation(instance)

    def create(self, request: Request) -> Response:
        data = PriceListInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = _price_list_data(data.validated_data, data.validated_data["currency"])
        price_list = writes.price_list_save(actor=acting_user(request), data=values)
        return Response(self.represent(reads.price_list_list().get(pk=price_list.pk)),
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        price_list = self.get_object()
        data = PriceListInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = _price_list_data(data.validated_data, data.validated_data.get("currency", price_list.currency))
        writes.price_list_save(actor=acting_user(request), data=values, price_list_id=price_list.pk)
        return Response(self.represent(reads.price_list_list().get(pk=price_list.pk)))
