"""The floor: the least a DRF endpoint behind the product's bearer-token authentication can do.

- ``GET /api/v1/floor/read/{id}``: one SELECT of one order row (by primary key, a few columns; compiled once, as
  the product's hot reads are), rendered by a plain ``Serializer``.
- ``PATCH /api/v1/floor/write/{id}`` with ``{"carrier": "…"}``: the body validated by a plain ``Serializer``,
  one ``UPDATE`` of that order's ``carrier`` and ``updated_at`` inside ``transaction.atomic``, the result
  rendered by a plain ``Serializer``.

Both authenticate as the product does (``BearerTokenAuthentication``: the token row and its user in one query,
``last_used_at`` written at most once per resolution window) and keep the product's defaults for everything
else (parser, renderer, throttle, exception handler); the permission is only "authenticated".
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sales.models import Order
from synthesq.core.authentication import BearerTokenAuthentication
from synthesq.core.compiled import CompiledQuery, Text
from synthesq.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

_READ_FIELDS = ("id", "order_number", "status", "currency", "total", "updated_at")
# Compiled once, as the product's hot reads are (``synthesq.core.compiled``): the row's statement is not built
# and compiled by the ORM on every request.
_ORDER_ROW = CompiledQuery(
    "bench.floor_order", lambda order_id: Order.objects.only(*_READ_FIELDS).filter(pk=order_id)[:1], order_id=Text()
)


class FloorOrderSerializer(serializers.Serializer):
    id = serializers.CharField()
    order_number = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    updated_at = serializers.DateTimeField()


class FloorWriteInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=64, allow_blank=True)


class FloorWriteOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    carrier = serializers.CharField()
    updated_at = serializers.DateTimeField()


class FloorReadView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, order_id: str) -> Response:
        rows = _ORDER_ROW(order_id=order_id)
        order = rows[0] if rows else None
        if order is None:
            raise NotFound("No such order.")
        return Response(FloorOrderSerializer(order).data)


class FloorWriteView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def patch(self, request: Request, order_id: str) -> Response:
        data = FloorWriteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        carrier = data.validated_data["carrier"]
        now = timezone.now()
        with transaction.atomic():
            updated = Order.objects.filter(pk=order_id).update(carrier=carrier, updated_at=now)
        if not updated:
            raise NotFound("No such order.")
        return Response(FloorWriteOutputSerializer({"id": order_id, "carrier": carrier, "updated_at": now}).data)
