"""The shipments API: list (filters ``order_id``, ``warehouse_id``, ``status``, ``tracking_number``), one
shipment, its delivery (``PATCH …/status``) and its history. Shipments are made on their order:
``POST /api/v1/sales/orders/{id}/shipments`` (``OrderViewSet.shipments``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from sales import selectors, services
from sales.models import Shipment
from sales.representations import shipment_representation
from synthesq.core.actors import acting_user
from synthesq.core.errors import InvalidTransition
from synthesq.core.etags import ETagMixin
from synthesq.core.pagination import OldestFirstCursorPage
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin
from synthesq.core.representation import history_representation

from .filters import ShipmentFilter
from .shipment_serializers import ShipmentEventSerializer, ShipmentSerializer, ShipmentStatusInputSerializer

_SHIPMENT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Shipment id (shp_…)")


@extend_schema_view(
    list=extend_schema(summary="List shipments", tags=["shipments"]),
    retrieve=extend_schema(summary="Get a shipment", tags=["shipments"], parameters=[_SHIPMENT_ID]),
    change_status=extend_schema(summary="Mark a shipment delivered (the order with its last one)",
                                tags=["shipments"], request=ShipmentStatusInputSerializer,
                                responses=ShipmentSerializer, parameters=[_SHIPMENT_ID]),
    history=extend_schema(summary="The shipment's history, oldest first", tags=["shipments"],
                          responses=ShipmentEventSerializer(many=True), parameters=[_SHIPMENT_ID], filters=False),
)
class ShipmentViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    ordering_fields = ["created_at", "shipped_at", "delivered_at"]
    http_method_names = ["get", "patch", "head", "options"]
    action_permissions = {
        "change_status": ("sales.view_shipment",),  # the move's own permission is checked by the service
        "history": ("sales.view_shipment",),
    }
    problem_responses = {"change_status": (InvalidTransition,)}
    if_match_actions = ("change_status",)

    def get_queryset(self):
        return selectors.shipment_list()

    def represent(self, instance: Shipment) -> dict[str, Any]:
        return shipment_representation(instance, user=self.request.user)

    @action(detail=True, methods=["patch"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        shipment = self.get_object()
        data = ShipmentStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # With If-Match: the order then the shipment locked (the service's order), and the shipment as GET shows it
        with self.conditional_change(request, lock=lambda: selectors.shipment_get_for_update(shipment.pk),
                                     current=lambda: self._read(shipment.pk)):
            services.shipment_change_status(shipment_id=shipment.pk, actor=acting_user(request),
                                            **data.validated_data)
        return Response(self._read(shipment.pk))

    def _read(self, shipment_id: str) -> dict[str, Any]:
        return self.represent(selectors.shipment_get(shipment_id))

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=OldestFirstCursorPage)
    def history(self, request: Request, pk: str | None = None) -> Response:
        shipment: Shipment = self.get_object()
        page = self.paginate_queryset(selectors.shipment_event_list(shipment_id=shipment.pk))
        assert page is not None  # the history is paginated (OldestFirstCursorPage)
        return self.get_paginated_response([history_representation(row) for row in page])
