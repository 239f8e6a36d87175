from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.exceptions import InsufficientStock, ProductHasVariants
from sales import exceptions, selectors, services
from sales.discounts import DiscountInput
from sales.models import Customer, Order, Return, return_with_lines, with_lines
from sales.representations import (
    customer_representation,
    order_representation,
    order_representations,
    return_representation,
    shipment_representation,
)
from synthesq.core.actors import acting_user
from synthesq.core.errors import InvalidTransition
from synthesq.core.etags import ETagMixin
from synthesq.core.idempotency import IdempotencyKeyReused, idempotency_key_parameter, idempotent
from synthesq.core.pagination import OldestFirstCursorPage
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin
from synthesq.core.representation import history_representation

from . import problems
from .amendment_views import OrderAmendmentMixin
from .filters import CustomerFilter, OrderFilter, ReturnFilter
from .serializers import (
    CustomerInputSerializer,
    CustomerSerializer,
    OrderCreateInputSerializer,
    OrderEventSerializer,
    OrderHoldInputSerializer,
    OrderHoldReleaseInputSerializer,
    OrderSerializer,
    OrderStatusInputSerializer,
    OrderUpdateInputSerializer,
    ReturnCreateInputSerializer,
    ReturnEventSerializer,
    ReturnSerializer,
    ReturnStatusInputSerializer,
)
from .shipment_serializers import ShipmentCreateInputSerializer, ShipmentSerializer


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
class CustomerViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = ["created_at", "name", "email"]
    if_match_actions = ("update", "partial_update")
    action_permissions = {  # adding and changing: the services check them (customer_create, customer_update)
        "create": ("sales.view_customer",),
        "update": ("sales.view_customer",),
        "partial_update": ("sales.view_customer",),
    }

    def get_queryset(self):
        return selectors.customer_list()

    def represent(self, instance: Customer) -> dict[str, Any]:
        return customer_representation(instance)

    def create(self, request: Request) -> Response:
        data = CustomerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(actor=acting_user(request), **data.validated_data)
        return Response(self.represent(customer), status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        customer = self.get_object()
        data = CustomerInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data) if partial else data.replacement_data()
        with self.conditional_change(
            request, lock=lambda: selectors.customer_lock(customer_id=customer.pk),
            current=lambda: self.represent(selectors.customer_list().get(pk=customer.pk)),
        ):
            customer = services.customer_update(customer=customer, actor=acting_user(request), data=changes)
        return Response(self.represent(customer))


_ORDER_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Order id (ord_…)")


@extend_schema_view(
    list=extend_schema(summary="List orders", tags=["orders"]),
    retrieve=extend_schema(summary="Get an order", tags=["orders"], parameters=[_ORDER_ID]),
    create=extend_schema(
        summary="Create a draft order", tags=["orders"], request=OrderCreateInputSerializer,
        responses={201: OrderSerializer}, parameters=[idempotency_key_parameter("creation")],
    ),
    partial_update=extend_schema(summary="Edit a draft (line items, shipping address)", tags=["orders"],
                                 request=OrderUpdateInputSerializer, responses=OrderSerializer,
                                 parameters=[_ORDER_ID]),
    change_status=extend_schema(summary="Move an order to another status", tags=["orders"],
                         request=OrderStatusInputSerializer, responses=OrderSerializer, parameters=[_ORDER_ID]),
    history=extend_schema(summary="The order's history, oldest first", tags=["orders"],
                          responses=OrderEventSerializer(many=True), parameters=[_ORDER_ID], filters=False),
)
class OrderViewSet(OrderAmendmentMixin, ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin,
                   viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering_fields = ["created_at", "order_number", "total"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        # the services check what each write needs: a move's own permission, add/change (order_create,
        # order_update_draft), hold (order_hold, order_release_hold), add_return (return_request)
        "create": ("sales.view_order",),
        "partial_update": ("sales.view_order",),
        "change_status": ("sales.view_order",),
        "history": ("sales.view_order",),
        "hold": ("sales.view_order",),
        "returns": ("sales.view_order",),
        "shipments": ("sales.view_order",),  # the service checks sales.ship_order
        "amendments": ("sales.view_order",),  # the service checks sales.amend_order
    }
    problem_responses = {
        "create": (exceptions.CurrencyMismatch, IdempotencyKeyReused, *problems.PROMOTION_CODE_REFUSALS,
                   exceptions.DiscountLimitExceeded),
        "partial_update": (exceptions.OrderNotEditable, exceptions.CurrencyMismatch,
                           *problems.PROMOTION_CODE_REFUSALS, exceptions.DiscountLimitExceeded),
        "change_status": (InvalidTransition, exceptions.OrderOnHold, exceptions.ReturnOpen,
                          exceptions.ReturnWindowOpen, InsufficientStock, ProductHasVariants,
                          *problems.PROMOTION_CODE_CONFIRM_REFUSALS),
        "returns": (exceptions.OrderNotReturnable, exceptions.ReturnWindowClosed, exceptions.ReturnQuantityExceeded,
                    IdempotencyKeyReused),
        "shipments": (exceptions.OrderNotShippable, exceptions.ShipmentQuantityExceeded),
        "amendments": (problems.ORDER_NOT_AMENDABLE, problems.AMENDMENT_BELOW_SHIPPED, InsufficientStock),
        # HoldConflict carries one of three codes: the problem of each
        "hold.post": (problems.ALREADY_ON_HOLD, problems.ORDER_NOT_HOLDABLE),
        "hold.delete": (problems.NOT_ON_HOLD,),
    }
    if_match_actions = ("partial_update", "change_status")

    def get_queryset(self):
        # The list pages rows (the columns its representation shows), not model instances; a list that only pages
        # (no filter, no sort: the paginator's parameters alone) each shape of page compiled once.
        if getattr(self, "action", None) != "list":
            return selectors.order_list()
        paged = self.request.query_params.keys() <= {"limit", "cursor"}
        return selectors.order_rows_paged() if paged else selectors.order_rows()

    def represent(self, instance: Order) -> dict[str, Any]:
        """One order read: its lines and returns in one statement (``order_lines_read``)."""
        return order_representation(instance, user=self.request.user,
                                    lines=selectors.order_lines_read([instance.pk])[instance.pk])

    def represent_page(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return order_representations(map(selectors.order_read_of_row, page), user=self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # One order read as a row and its lines, each statement compiled once. With query parameters the list's
        # filters apply to the read, and an unknown order answers its 404: DRF's retrieve does both.
        order = None if request.query_params else selectors.order_row(str(kwargs[self.lookup_url_kwarg or "pk"]))
        if order is None:
            return super().retrieve(request, *args, **kwargs)
        self.check_object_permissions(request, order)
        return Response(order_representation(order, user=request.user,
                                             lines=selectors.order_lines_read([order.id])[order.id]))

    def create(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = OrderCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = services.order_create(
            actor=acting_user(request),
            customer_id=values["customer_id"],
            currency=values["currency"],
            line_items=_line_inputs(values["line_items"]),
            shipping_address=values.get("shipping_address"),
            charges=_charge_inputs(values.get("charges") or []),
            discount=_discount_input(values.get("discount")),
            promotion_code=values.get("promotion_code") or None,
        )
        return Response(self._render(order), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("order-detail", args=[order.pk])})

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        data = OrderUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with self._conditional_change(request, order.pk):
            order = services.order_update_draft(
                order_id=order.pk, actor=acting_user(request),
                line_items=_line_inputs(values["line_items"]) if "line_items" in values else None,
                shipping_address=values.get("shipping_address"),
                charges=_charge_inputs(values["charges"]) if "charges" in values else None,
                **_discount_changes(values),
            )
        return Response(self._render(order))

    @action(detail=True, methods=["patch"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        # The service locks the order with its lines (404 if there is none): no read of it before.
        data = OrderStatusInputSerializer(data=request.data)
        if not data.is_valid():
            self.get_object()  # an unknown order is 404 before its body is judged
            data.is_valid(raise_exception=True)
        order_id = str(pk)
        with self._conditional_change(request, order_id):
            order = services.order_transition(order_id=order_id, actor=acting_user(request),
                                              **data.validated_data)
        return Response(self._render(order))

    @extend_schema(methods=["POST"], summary="Put an order on hold (it cannot be closed while held)",
                   tags=["orders"], request=OrderHoldInputSerializer, responses=OrderSerializer,
                   parameters=[_ORDER_ID])
    @extend_schema(methods=["DELETE"], summary="Release an order's hold", tags=["orders"],
                   request=OrderHoldReleaseInputSerializer, responses={200: OrderSerializer}, parameters=[_ORDER_ID])
    @action(detail=True, methods=["post", "delete"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        if request.method == "DELETE":
            release = OrderHoldReleaseInputSerializer(data=request.data or {})
            release.is_valid(raise_exception=True)
            order = services.order_release_hold(order_id=order.pk, actor=acting_user(request),
                                                **release.validated_data)
        else:
            hold = OrderHoldInputSerializer(data=request.data)
            hold.is_valid(raise_exception=True)
            order = services.order_hold(order_id=order.pk, actor=acting_user(request), **hold.validated_data)
        return Response(self._render(order))

    @extend_schema(summary="Request a return of a delivered order", tags=["returns"],
                   request=ReturnCreateInputSerializer, responses={201: ReturnSerializer},
                   parameters=[_ORDER_ID, idempotency_key_parameter("return request")])
    @action(detail=True, methods=["post"], filter_backends=[])
    def returns(self, request: Request, pk: str | None = None) -> Response:
        return idempotent(request, lambda: self._request_return(request, pk))

    def _request_return(self, request: Request, pk: str | None) -> Response:
        order = self.get_object()
        data = ReturnCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return_ = services.return_request(
            order_id=order.pk, actor=acting_user(request), reason=values["reason"],
            waive_return_window=values["waive_return_window"],
            lines=[services.ReturnLineInput(product_id=line["product_id"], quantity=line["quantity"],
                                            restock=line["restock"]) for line in values["lines"]],
        )
        return Response(return_representation(return_with_lines(return_), user=request.user),
                        status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("return-detail", args=[return_.pk])})

    @extend_schema(summary="Ship part of a processing order from one warehouse", tags=["shipments"],
                   request=ShipmentCreateInputSerializer, responses={201: ShipmentSerializer}, parameters=[_ORDER_ID])
    @action(detail=True, methods=["post"], filter_backends=[])
    def shipments(self, request: Request, pk: str | None = None) -> Response:
        # The service locks the order with its lines (404 if there is none): no read of it before.
        data = ShipmentCreateInputSerializer(data=request.data)
        if not data.is_valid():
            self.get_object()  # an unknown order is 404 before its body is judged
            data.is_valid(raise_exception=True)
        values = data.validated_data
        shipment = services.shipment_create(
            order_id=str(pk), actor=acting_user(request), warehouse_id=values["warehouse_id"],
            tracking_number=values["tracking_number"], carrier=values["carrier"],
            lines=[services.ShipmentLineInput(product_id=line["product_id"], quantity=line["quantity"])
                   for line in values["lines"]])
        return Response(shipment_representation(shipment, user=request.user), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("shipment-detail", args=[shipment.pk])})

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=OldestFirstCursorPage)
    def history(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        page = self.paginate_queryset(selectors.order_event_list(order_id=order.pk))
        assert page is not None  # the history is paginated (OldestFirstCursorPage)
        return self.get_paginated_response([history_representation(row) for row in page])

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # One order read without query parameters: neither the list's filters nor its ordering apply to it
        # (the filter backend would skip its filter set; the ordering would still be worked out for nothing).
        if self.action == "retrieve" and not self.request.query_params:
            return queryset
        return super().filter_queryset(queryset)

    def _render(self, order: Order) -> dict:
        """The order a service returned, as it now stands (its lines read once in the request), built by
        ``sales.representations``."""
        return order_representation(with_lines(order), user=self.request.user)

    def _read(self, order_id: str) -> dict:
        order, lines = selectors.order_read(order_id)
        return order_representation(order, user=self.request.user, lines=lines)

    def _conditional_change(self, request: Request, order_id: str) -> AbstractContextManager[None]:
        return self.conditional_change(request, lock=lambda: selectors.order_get_for_update(order_id),
                                       current=lambda: self._read(order_id))


_RETURN_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Return id (ret_…)")


@extend_schema_view(
    list=extend_schema(summary="List returns", tags=["returns"]),
    retrieve=extend_schema(summary="Get a return", tags=["returns"], parameters=[_RETURN_ID]),
    change_status=extend_schema(summary="Move a return to another status (received, credited, rejected)",
                                tags=["returns"], request=ReturnStatusInputSerializer, responses=ReturnSerializer,
                                parameters=[_RETURN_ID]),
    history=extend_schema(summary="The return's history, oldest first", tags=["returns"],
                          responses=ReturnEventSerializer(many=True), parameters=[_RETURN_ID], filters=False),
)
class ReturnViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = ReturnSerializer
    filterset_class = ReturnFilter
    ordering_fields = ["created_at", "return_number", "value"]
    http_method_names = ["get", "patch", "head", "options"]
    action_permissions = {
        "change_status": ("sales.view_return",),  # each move's own permission is checked by the service
        "history": ("sales.view_return",),
    }
    problem_responses = {
        # credited: billing's receiver issues the credit note and may refuse (its problems, named by billing)
        "change_status": (InvalidTransition, InsufficientStock, ProductHasVariants),
    }
    if_match_actions = ("change_status",)

    def get_queryset(self):
        return selectors.return_list()

    def represent(self, instance: Return) -> dict[str, Any]:
        return return_representation(instance, user=self.request.user)

    @action(detail=True, methods=["patch"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        return_ = self.get_object()
        data = ReturnStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # With If-Match: the order then the return locked (the service's order), and the return as GET shows it
        with self.conditional_change(request, lock=lambda: selectors.return_get_for_update(return_.pk),
                                     current=lambda: self._read(return_.pk)):
            services.return_change_status(return_id=return_.pk, actor=acting_user(request), **data.validated_data)
        return Response(self._read(return_.pk))

    def _read(self, return_id: str) -> dict:
        return self.represent(selectors.return_get(return_id))

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=OldestFirstCursorPage)
    def history(self, request: Request, pk: str | None = None) -> Response:
        return_: Return = self.get_object()
        page = self.paginate_queryset(selectors.return_event_list(return_id=return_.pk))
        assert page is not None  # the history is paginated (OldestFirstCursorPage)
        return self.get_paginated_response([history_representation(row) for row in page])


def _line_inputs(items: list[dict]) -> list[services.LineInput]:
    return [
        services.LineInput(product_id=item["product_id"], quantity=item["quantity"],
                           unit_price=item.get("unit_price"), discount=_discount_input(item.get("discount")))
        for item in items
    ]


def _charge_inputs(items: list[dict]) -> list[services.ChargeInput]:
    return [services.ChargeInput(kind=item["kind"], amount=item["amount"], description=item.get("description", ""),
                                 tax_class=item.get("tax_class") or "standard") for item in items]
def _discount_input(value: dict | None) -> DiscountInput | None:
    return DiscountInput(value["type"], value["value"], value.get("reason", "")) if value else None


def _discount_changes(values: dict[str, Any]) -> dict[str, Any]:
    """A PATCH's discount and promotion code, only when it names them (null: removed)."""
    changes: dict[str, Any] = {}
    if "discount" in values:
        changes["discount"] = _discount_input(values["discount"])
    if "promotion_code" in values:
        changes["promotion_code"] = values["promotion_code"] or None
    return changes
