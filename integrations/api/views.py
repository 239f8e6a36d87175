from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from integrations import selectors, services
from integrations.exceptions import DeliveryInProgress
from integrations.models import Event, WebhookDelivery, WebhookEndpoint
from integrations.representations import (
    delivery_representation,
    endpoint_representation,
    endpoint_with_secret_representation,
    event_representation,
)
from synthesq.core.actors import acting_user
from synthesq.core.etags import ETagMixin
from synthesq.core.filters import FilterBackend
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin

from . import problems  # noqa: F401  (declares the problems of the errors in problem_responses)
from .filters import DELIVERY_STATUS_HELP, DeliveryFilter, EventFilter, EventOrderingFilter
from .serializers import (
    EventSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)

_EVENT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Event id (evt_…)")
_ENDPOINT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Webhook endpoint id (we_…)")
_DELIVERY_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Webhook delivery id (whd_…)")
_DELIVERY_STATUS = OpenApiParameter(
    "status", {"type": "array", "items": {"type": "string", "enum": [value for value, _label in
                                                                        WebhookDelivery.Status.choices]}},
    OpenApiParameter.QUERY, style="form", explode=True, description=DELIVERY_STATUS_HELP)
_LIMIT = OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 200}, OpenApiParameter.QUERY,
                          description="Results per page (default 50).")
_CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY,
                           description="Where the page starts: take it from `next` or `previous` (opaque).")


@extend_schema_view(
    list=extend_schema(summary="List events (newest first; oldest first with sort=created_at or after=)",
                       tags=["events"]),
    retrieve=extend_schema(summary="Get an event", tags=["events"], parameters=[_EVENT_ID]),
)
class EventViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    """Every committed change, in the order it was committed: catch up from the last event you saw."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    filter_backends = [FilterBackend, EventOrderingFilter]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.event_list()

    def represent(self, instance: Event) -> dict[str, Any]:
        return event_representation(instance)


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints", tags=["webhooks"]),
    retrieve=extend_schema(summary="Get a webhook endpoint", tags=["webhooks"], parameters=[_ENDPOINT_ID]),
    create=extend_schema(summary="Register a webhook endpoint (the answer carries its secret, once)",
                         tags=["webhooks"], request=WebhookEndpointInputSerializer,
                         responses={201: WebhookEndpointWithSecretSerializer}),
    partial_update=extend_schema(summary="Change a webhook endpoint (url, events, description, active)",
                                 tags=["webhooks"], request=WebhookEndpointUpdateSerializer,
                                 responses=WebhookEndpointSerializer, parameters=[_ENDPOINT_ID]),
    destroy=extend_schema(summary="Delete a webhook endpoint", tags=["webhooks"], parameters=[_ENDPOINT_ID]),
    rotate_secret=extend_schema(summary="Rotate the signing secret (the old one signs too for 24 hours)",
                                tags=["webhooks"], request=None, responses=WebhookEndpointWithSecretSerializer,
                                parameters=[_ENDPOINT_ID]),
    test=extend_schema(summary="Send a ping event to this endpoint (the answer is its delivery, to follow)",
                       description="The ping's delivery is created at once and attempted by a worker: follow it at "
                                   "the `Location` (GET /api/v1/webhook-deliveries/{id}) to see its attempts.",
                       tags=["webhooks"], request=None, responses={202: WebhookDeliverySerializer},
                       parameters=[_ENDPOINT_ID]),
    deliveries=extend_schema(summary="The endpoint's deliveries with every attempt, newest first",
                             tags=["webhooks"], responses=WebhookDeliverySerializer(many=True),
                             parameters=[_ENDPOINT_ID, _DELIVERY_STATUS, _CURSOR, _LIMIT], filters=False),
)
class WebhookEndpointViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = WebhookEndpointSerializer
    if_match_actions = ("partial_update",)
    ordering_fields = ["created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        # the services check the writes (add, change, delete): webhook_endpoint_create … _test
        "create": ("integrations.view_webhookendpoint",),
        "partial_update": ("integrations.view_webhookendpoint",),
        "destroy": ("integrations.view_webhookendpoint",),
        "rotate_secret": ("integrations.view_webhookendpoint",),
        "test": ("integrations.view_webhookendpoint",),
        "deliveries": ("integrations.view_webhookdelivery",),
    }

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return selectors.endpoint_list()

    def represent(self, instance: WebhookEndpoint) -> dict[str, Any]:
        return endpoint_representation(instance)

    def create(self, request: Request) -> Response:
        data = WebhookEndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(actor=acting_user(request), **data.validated_data)
        return Response(endpoint_with_secret_representation(endpoint, secret), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("webhook-endpoint-detail", args=[endpoint.pk])})

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        data = WebhookEndpointUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with self.conditional_change(request, lock=lambda: services.webhook_endpoint_lock(endpoint.pk),
                                     current=lambda: self.represent(self.get_object())):
            endpoint = services.webhook_endpoint_update(endpoint_id=endpoint.pk, data=dict(data.validated_data),
                                                        actor=acting_user(request))
        return Response(self.represent(endpoint))

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.webhook_endpoint_delete(endpoint_id=self.get_object().pk, actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint, secret = services.webhook_endpoint_rotate_secret(endpoint_id=self.get_object().pk,
                                                                   actor=acting_user(request))
        return Response(endpoint_with_secret_representation(endpoint, secret))

    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        item = services.webhook_endpoint_test(endpoint_id=self.get_object().pk, actor=acting_user(request))
        return Response(delivery_representation(selectors.delivery_list().get(pk=item.pk)),
                        status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("webhook-delivery-detail", args=[item.pk])})

    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        DeliveryFilter.refuse_unknown_parameters(request.query_params)
        filterset = DeliveryFilter(request.query_params, queryset=selectors.delivery_list().filter(endpoint=endpoint))
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        assert page is not None  # every list is paginated (DEFAULT_PAGINATION_CLASS)
        return self.get_paginated_response([delivery_representation(delivery) for delivery in page])


@extend_schema_view(
    retrieve=extend_schema(summary="Get a webhook delivery with its attempts", tags=["webhooks"],
                           parameters=[_DELIVERY_ID]),
    retry=extend_schema(summary="Send a delivery again now", tags=["webhooks"], request=None,
                        responses={202: WebhookDeliverySerializer}, parameters=[_DELIVERY_ID]),
)
class WebhookDeliveryViewSet(ETagMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliverySerializer
    action_permissions = {"retry": ("integrations.view_webhookdelivery",)}  # webhook_delivery_retry checks change
    problem_responses = {"retry": (DeliveryInProgress,)}

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return selectors.delivery_list()

    def represent(self, instance: WebhookDelivery) -> dict[str, Any]:
        return delivery_representation(instance)

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        item = services.webhook_delivery_retry(delivery_id=self.get_object().pk, actor=acting_user(request))
        return Response(self.represent(selectors.delivery_list().get(pk=item.pk)), status=status.HTTP_202_ACCEPTED)


