from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from sales import selectors, services

from .filters import CustomerFilter
from .serializers import CustomerInputSerializer, CustomerSerializer


@extend_schema_view(
    list=extend_schema(summary="List customers", tags=["customers"]),
    retrieve=extend_schema(summary="Get a customer", tags=["customers"]),
    create=extend_schema(summary="Create a customer", tags=["customers"],
                         request=CustomerInputSerializer, responses={201: CustomerSerializer}),
    update=extend_schema(summary="Replace a customer", tags=["customers"],
                         request=CustomerInputSerializer, responses=CustomerSerializer),
    partial_update=extend_schema(summary="Update a customer", tags=["customers"],
                                 request=CustomerInputSerializer(partial=True), responses=CustomerSerializer),
)
class CustomerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["created_at", "name", "email"]

    def get_queryset(self):
        return selectors.customer_list()

    def create(self, request: Request) -> Response:
        data = CustomerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(**data.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        customer = self.get_object()
        data = CustomerInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data) if partial else data.replacement_data()
        customer = services.customer_update(customer=customer, data=changes)
        return Response(CustomerSerializer(customer).data)
