from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from billing import selectors, services
from synthesq.core.actors import acting_user
from synthesq.core.etags import ETagMixin
from synthesq.core.idempotency import idempotency_key_parameter, idempotent
from synthesq.core.pagination import OldestFirstCursorPage
from synthesq.core.renderers import PDFRenderer

from ..documents import invoice_pdf, invoice_pdf_filename
from . import problems  # noqa: F401  (declares the problems named in problem_responses)
from .filters import InvoiceFilter, InvoiceOrderingFilter, PaymentFilter
from .serializers import (
    InvoiceEventSerializer,
    InvoiceSerializer,
    InvoiceStatusInputSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
)

_INVOICE_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Invoice id (inv_…)")
_PAYMENT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Payment id (pay_…)")


@extend_schema_view(
    list=extend_schema(summary="List invoices", tags=["invoices"]),
    retrieve=extend_schema(summary="Get an invoice", tags=["invoices"], parameters=[_INVOICE_ID]),
    change_status=extend_schema(summary="Issue or void an invoice", tags=["invoices"],
                                request=InvoiceStatusInputSerializer, responses=InvoiceSerializer,
                                parameters=[_INVOICE_ID]),
    history=extend_schema(summary="The invoice's history, oldest first", tags=["invoices"],
                          responses=InvoiceEventSerializer(many=True), parameters=[_INVOICE_ID], filters=False),
    pdf=extend_schema(
        summary="The invoice as a PDF", tags=["invoices"], parameters=[_INVOICE_ID], filters=False,
        description="The same document as the back-office's printable invoice: issuer, number, dates, lines, "
                    "tax if any, totals, payments and amount due. Sales and finance roles.",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF file")},
    ),
)
class InvoiceViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    filter_backends = [DjangoFilterBackend, InvoiceOrderingFilter]
    ordering_fields = ["created_at", "issued_at", "due_at", "total", "number"]
    action_permissions = {
        "change_status": ("billing.view_invoice",),  # issue/void permissions are checked by the services
        "history": ("billing.view_invoice",),
        "pdf": ("billing.view_invoice",),
    }
    problem_responses = {"change_status": ("InvalidTransition", "InvoiceHasPayments")}
    if_match_actions = ("change_status",)

    def get_queryset(self):
        return selectors.invoice_list()

    @action(detail=True, methods=["patch"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        data = InvoiceStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with self.conditional_change(request, lock=lambda: selectors.invoice_get_for_update(invoice.pk),
                                     current=lambda: self._read(invoice.pk)):
            services.invoice_transition(invoice_id=invoice.pk, actor=acting_user(request), **data.validated_data)
        return Response(self._read(invoice.pk))

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=OldestFirstCursorPage)
    def history(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        page = self.paginate_queryset(selectors.invoice_event_list(invoice_id=invoice.pk))
        return self.get_paginated_response(InvoiceEventSerializer(page, many=True).data)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None, renderer_classes=[PDFRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        return Response(invoice_pdf(invoice), content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{invoice_pdf_filename(invoice)}"'})

    def _read(self, invoice_id: str) -> dict:
        return InvoiceSerializer(selectors.invoice_list().get(pk=invoice_id),
                                 context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(summary="List payments", tags=["payments"]),
    retrieve=extend_schema(summary="Get a payment", tags=["payments"], parameters=[_PAYMENT_ID]),
    create=extend_schema(
        summary="Record a payment against an invoice", tags=["payments"], request=PaymentInputSerializer,
        responses={201: PaymentSerializer}, parameters=[idempotency_key_parameter("recording")],
    ),
)
class PaymentViewSet(ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["created_at", "amount"]
    problem_responses = {
        "create": ("InvoiceNotPayable", "DuplicatePaymentReference", "PaymentCurrencyMismatch", "Overpayment",
                   "IdempotencyKeyReused"),
    }

    def get_queryset(self):
        return selectors.payment_list()

    def create(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_record(actor=acting_user(request), **data.validated_data)
        body = PaymentSerializer(payment).data  # the service's payment, its invoice and actor in memory
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/sales/payments/{payment.pk}"})
