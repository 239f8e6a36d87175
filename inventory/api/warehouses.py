"""Warehouses (``/api/v1/inventory/warehouses``) and transfers between them (``/api/v1/inventory/transfers``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import selectors, services
from inventory.exceptions import InsufficientStock, ProductHasVariants
from inventory.models import StockMovement, Warehouse
from inventory.representations import stock_transfer_representation, warehouse_representation
from synthesq.core.actors import acting_user
from synthesq.core.etags import ETagMixin
from synthesq.core.pagination import OldestFirstCursorPage
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin

from .serializers import (
    StockTransferInputSerializer,
    StockTransferSerializer,
    WarehouseInputSerializer,
    WarehouseSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List warehouses (in allocation order: priority, then code)", tags=["warehouses"]),
    retrieve=extend_schema(summary="Get a warehouse", tags=["warehouses"]),
    create=extend_schema(summary="Create a warehouse", tags=["warehouses"], request=WarehouseInputSerializer,
                         responses={201: WarehouseSerializer}),
    update=extend_schema(summary="Replace a warehouse's fields", tags=["warehouses"],
                         request=WarehouseInputSerializer, responses=WarehouseSerializer),
    partial_update=extend_schema(summary="Update a warehouse's fields", tags=["warehouses"],
                                 request=WarehouseInputSerializer(partial=True), responses=WarehouseSerializer),
)
class WarehouseViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = WarehouseSerializer
    pagination_class = OldestFirstCursorPage
    filter_backends: list[Any] = []

    def get_queryset(self):
        return Warehouse.objects.all()

    def represent(self, instance: Warehouse) -> dict[str, Any]:
        return warehouse_representation(instance)

    def create(self, request: Request) -> Response:
        data = WarehouseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        warehouse = services.warehouse_create(actor=acting_user(request), **data.validated_data)
        return Response(self.represent(warehouse), status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        warehouse = self.get_object()
        data = WarehouseInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data) if partial else data.replacement_data()
        warehouse = services.warehouse_update(warehouse=warehouse, actor=acting_user(request), data=changes)
        return Response(self.represent(selectors.warehouse_get(warehouse_id=warehouse.pk)))


@extend_schema_view(
    create=extend_schema(summary="Transfer stock between warehouses (two ledger rows, one transaction)",
                         tags=["stock"], request=StockTransferInputSerializer,
                         responses={201: StockTransferSerializer}),
)
class StockTransferViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = StockTransferSerializer
    action_permissions = {"create": ("inventory.transfer_stock",)}
    problem_responses = {"create": (InsufficientStock, ProductHasVariants)}

    def get_queryset(self):
        return StockMovement.objects.filter(kind=StockMovement.Kind.TRANSFER)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = StockTransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movements = services.stock_transfer(actor=acting_user(request), **data.validated_data)
        return Response(stock_transfer_representation(movements), status=status.HTTP_201_CREATED)
