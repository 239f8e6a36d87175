from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from synthesq.core.actors import acting_user
from synthesq.core.etags import ETagMixin
from synthesq.core.pagination import CursorPage, OldestFirstCursorPage
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin
from taxes import selectors, services
from taxes.exceptions import TaxClassInUse
from taxes.models import TaxClass, TaxRate, TaxSettings
from taxes.representations import tax_class_representation, tax_rate_representation, tax_settings_representation

from . import (
    problems,  # noqa: F401  (declares the problems of the errors in problem_responses)
    schema,  # noqa: F401  (states percents in the schema)
)
from .filters import TaxRateFilter
from .serializers import (
    TaxClassInputSerializer,
    TaxClassSerializer,
    TaxClassUpdateSerializer,
    TaxRateInputSerializer,
    TaxRateSerializer,
    TaxRateUpdateSerializer,
    TaxSettingsSerializer,
)

_TAGS = ["taxes"]


class ByCodePage(CursorPage):
    ordering = "code"


@extend_schema_view(
    list=extend_schema(summary="List tax classes", tags=_TAGS),
    retrieve=extend_schema(summary="Get a tax class", tags=_TAGS),
    create=extend_schema(summary="Create a tax class", tags=_TAGS, request=TaxClassInputSerializer,
                         responses={201: TaxClassSerializer}),
    partial_update=extend_schema(summary="Rename a tax class", tags=_TAGS, request=TaxClassUpdateSerializer,
                                 responses=TaxClassSerializer),
    destroy=extend_schema(summary="Delete an unused tax class", tags=_TAGS, responses={204: None}),
)
class TaxClassViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = TaxClassSerializer
    lookup_field = "code"
    pagination_class = ByCodePage
    filter_backends: list[Any] = []  # listed by code; nothing to filter or sort
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    problem_responses = {"destroy": (TaxClassInUse,)}

    def get_queryset(self) -> QuerySet[TaxClass]:
        return selectors.tax_class_list()

    def represent(self, instance: TaxClass) -> dict[str, Any]:
        return tax_class_representation(instance)

    def create(self, request: Request) -> Response:
        data = TaxClassInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tax_class = services.tax_class_create(actor=acting_user(request), **data.validated_data)
        return Response(self.represent(tax_class), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, code: str | None = None) -> Response:
        tax_class = self.get_object()
        data = TaxClassUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        tax_class = services.tax_class_update(actor=acting_user(request), code=tax_class.pk,
                                              data=dict(data.validated_data))
        return Response(self.represent(tax_class))

    def destroy(self, request: Request, code: str | None = None) -> Response:
        services.tax_class_delete(actor=acting_user(request), code=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List tax rates", tags=_TAGS),
    retrieve=extend_schema(summary="Get a tax rate", tags=_TAGS),
    create=extend_schema(summary="Create a tax rate", tags=_TAGS, request=TaxRateInputSerializer,
                         responses={201: TaxRateSerializer}),
    partial_update=extend_schema(summary="Change a tax rate (orders keep the rates they copied)", tags=_TAGS,
                                 request=TaxRateUpdateSerializer, responses=TaxRateSerializer),
    destroy=extend_schema(summary="Delete a tax rate (orders keep the rates they copied)", tags=_TAGS,
                          responses={204: None}),
)
class TaxRateViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = TaxRateSerializer
    filterset_class = TaxRateFilter
    pagination_class = OldestFirstCursorPage
    ordering_fields = ["valid_from", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[TaxRate]:
        return selectors.tax_rate_list()

    def represent(self, instance: TaxRate) -> dict[str, Any]:
        return tax_rate_representation(instance)

    def create(self, request: Request) -> Response:
        data = TaxRateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rate = services.tax_rate_create(actor=acting_user(request), **data.validated_data)
        return Response(self.represent(rate), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        rate = self.get_object()
        data = TaxRateUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rate = services.tax_rate_update(actor=acting_user(request), rate_id=rate.pk, data=dict(data.validated_data))
        return Response(self.represent(rate))

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.tax_rate_delete(actor=acting_user(request), rate_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    retrieve=extend_schema(summary="Get the tax settings", tags=_TAGS, responses=TaxSettingsSerializer),
    update=extend_schema(summary="Replace the tax settings (new orders take them)", tags=_TAGS,
                         request=TaxSettingsSerializer, responses=TaxSettingsSerializer),
)
class TaxSettingsViewSet(ETagMixin, viewsets.GenericViewSet):
    """The one settings resource: ``GET`` and ``PUT /api/v1/taxes/settings``."""

    serializer_class = TaxSettingsSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    action_permissions = {"retrieve": ("taxes.view_taxsettings",), "update": ("taxes.change_taxsettings",)}

    def get_queryset(self) -> QuerySet[TaxSettings]:
        return TaxSettings.objects.all()

    def get_object(self) -> TaxSettings:
        return selectors.tax_settings_get()

    def retrieve(self, request: Request) -> Response:
        return Response(tax_settings_representation(selectors.tax_settings_get()))

    def update(self, request: Request) -> Response:
        data = TaxSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = services.tax_settings_update(actor=acting_user(request), **data.validated_data)
        return Response(tax_settings_representation(settings))
