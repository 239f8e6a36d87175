from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import selectors, services
from inventory.exceptions import InsufficientStock, ProductHasStock, ProductHasVariants
from inventory.models import Product
from inventory.representations import product_representation, stock_movement_representation
from synthesq.core.actors import acting_user
from synthesq.core.etags import ETagMixin
from synthesq.core.pagination import OldestFirstCursorPage
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin

from . import problems  # noqa: F401  (declares the problems of the errors in problem_responses)
from .filters import ProductFilter
from .serializers import (
    ProductInputSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    StockAdjustmentInputSerializer,
    StockMovementSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List products", tags=["products"]),
    retrieve=extend_schema(summary="Get a product", tags=["products"]),
    create=extend_schema(summary="Create a product (with initial stock)", tags=["products"],
                         request=ProductInputSerializer, responses={201: ProductSerializer}),
    update=extend_schema(summary="Replace a product's catalogue fields", tags=["products"],
                         request=ProductUpdateSerializer, responses=ProductSerializer),
    partial_update=extend_schema(summary="Update a product's catalogue fields", tags=["products"],
                                 request=ProductUpdateSerializer(partial=True), responses=ProductSerializer),
    adjustments=extend_schema(summary="Adjust stock (writes a ledger row)", tags=["stock"],
                              request=StockAdjustmentInputSerializer, responses={201: StockMovementSerializer}),
    movements=extend_schema(summary="The product's stock ledger, oldest first", tags=["stock"],
                            responses=StockMovementSerializer(many=True), filters=False),
)
class ProductViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["created_at", "sku", "name", "price", "stock_quantity"]
    action_permissions = {
        # the services check the writes: product_create (add), product_update (change), stock_adjust
        "create": ("inventory.view_product",),
        "update": ("inventory.view_product",),
        "partial_update": ("inventory.view_product",),
        "adjustments": ("inventory.view_product",),
        "movements": ("inventory.view_stockmovement",),
    }
    problem_responses = {
        "create": (ProductHasStock,),
        "update": (ProductHasStock,),
        "partial_update": (ProductHasStock,),
        "adjustments": (InsufficientStock, ProductHasVariants),
    }
    if_match_actions = ("update", "partial_update")

    def get_queryset(self):
        return selectors.product_list()

    def represent(self, instance: Product) -> dict[str, Any]:
        return product_representation(instance)

    def create(self, request: Request) -> Response:
        data = ProductInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(actor=acting_user(request), **data.validated_data)
        return Response(self._read(product.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        product = self.get_object()
        data = ProductUpdateSerializer(data=request.data, partial=partial, context={"instance": product})
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data) if partial else data.replacement_data()
        parent = changes.get("parent")
        with self.conditional_change(
            request,
            lock=lambda: selectors.products_lock(product_ids=[product.pk, *([parent.pk] if parent else [])]),
            current=lambda: self._read(product.pk),
        ):
            services.product_update(product=product, actor=acting_user(request), data=changes)
        return Response(self._read(product.pk))

    @action(detail=True, methods=["post"])
    def adjustments(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        data = StockAdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movement = services.stock_adjust(product=product, actor=acting_user(request), **data.validated_data)
        return Response(stock_movement_representation(movement), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=OldestFirstCursorPage)
    def movements(self, request: Request, pk: str | None = None) -> Response:
        product = self.get_object()
        page = self.paginate_queryset(selectors.stock_movement_list(product_id=product.pk))
        assert page is not None  # the ledger is paginated (OldestFirstCursorPage)
        return self.get_paginated_response([stock_movement_representation(row) for row in page])

    def _read(self, product_id: str) -> dict:
        return self.represent(selectors.product_get(product_id=product_id))
