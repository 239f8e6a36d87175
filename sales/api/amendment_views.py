"""``POST /api/v1/sales/orders/{id}/amendments``: amend a confirmed (or processing) order, on ``OrderViewSet``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sales import services
from sales.models import with_lines
from sales.representations import order_representation
from synthesq.core.actors import acting_user

from .amendment_serializers import OrderAmendmentInputSerializer
from .serializers import OrderSerializer

_ORDER_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Order id (ord_…)")


class OrderAmendmentMixin:
    """The amendment action of the orders' viewset."""

    @extend_schema(summary="Amend a confirmed order (or what of a processing one is not shipped yet)",
                   tags=["orders"], request=OrderAmendmentInputSerializer, responses=OrderSerializer,
                   parameters=[_ORDER_ID])
    @action(detail=True, methods=["post"], filter_backends=[])
    def amendments(self, request: Request, pk: str | None = None) -> Response:
        # The service locks the order with its lines (404 if there is none): no read of it before.
        data = OrderAmendmentInputSerializer(data=request.data)
        if not data.is_valid():
            self.get_object()  # type: ignore[attr-defined]  # an unknown order is 404 before its body is judged
            data.is_valid(raise_exception=True)
        values = data.validated_data
        order = services.order_amend(
            order_id=str(pk), actor=acting_user(request), reason=values["reason"],
            lines=[services.AmendmentLineInput(product_id=line["product_id"], quantity=line["quantity"],
                                               unit_price=line.get("unit_price")) for line in values["lines"]])
        return Response(order_representation(with_lines(order), user=request.user))
