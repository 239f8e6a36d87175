from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from billing import exceptions, selectors, services
from billing.models import CreditNote, Invoice, Payment, Refund
from billing.representations import (
    credit_note_representation,
    invoice_representation,
    payment_representation,
    refund_representation,
)
from synthesq.core.actors import acting_user
from synthesq.core.errors import InvalidTransition
from synthesq.core.etags import ETagMixin
from synthesq.core.filters import FilterBackend
from synthesq.core.idempotency import IdempotencyKeyReused, idempotency_key_parameter, idempotent
from synthesq.core.pagination import OldestFirstCursorPage
from synthesq.core.renderers import PDFRenderer
from synthesq.core.rendering import RepresentedListMixin, RepresentedRetrieveMixin
from synthesq.core.representation import history_representation

from ..documents import credit_note_pdf, credit_note_pdf_filename, invoice_pdf, invoice_pdf_filename
from . import problems  # noqa: F401  (declares the problems of the errors in problem_responses)
from .filters import CreditNoteFilter, InvoiceFilter, InvoiceOrderingFilter, PaymentFilter, RefundFilter
from .serializers import (
    CreditNoteInputSerializer,
    CreditNoteSerializer,
    InvoiceEventSerializer,
    InvoiceSerializer,
    InvoiceStatusInputSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    RefundInputSerializer,
    RefundSerializer,
)

_INVOICE_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Invoice id (inv_…)")
_PAYMENT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Payment id (pay_…)")
_CREDIT_NOTE_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Credit note id (cn_…)")
_REFUND_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="Refund id (ref_…)")


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
class InvoiceViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    filter_backends = [FilterBackend, InvoiceOrderingFilter]
    ordering_fields = ["created_at", "issued_at", "due_at", "total", "number"]
    action_permissions = {
        "change_status": ("billing.view_invoice",),  # issue/void permissions are checked by the services
        "history": ("billing.view_invoice",),
        "pdf": ("billing.view_invoice",),
    }
    problem_responses = {
        "change_status": (InvalidTransition, exceptions.InvoiceHasPayments, exceptions.InvoiceHasCredit),
    }
    if_match_actions = ("change_status",)

    def get_queryset(self):
        return selectors.invoice_list()

    def represent(self, instance: Invoice) -> dict[str, Any]:
        return invoice_representation(instance, user=self.request.user)

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
        assert page is not None  # the history is paginated (OldestFirstCursorPage)
        return self.get_paginated_response([history_representation(row) for row in page])

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None, renderer_classes=[PDFRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        return Response(invoice_pdf(invoice), content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{invoice_pdf_filename(invoice)}"'})

    def _read(self, invoice_id: str) -> dict:
        return self.represent(selectors.invoice_list().get(pk=invoice_id))


@extend_schema_view(
    list=extend_schema(summary="List payments", tags=["payments"]),
    retrieve=extend_schema(summary="Get a payment", tags=["payments"], parameters=[_PAYMENT_ID]),
    create=extend_schema(
        summary="Record a payment against an invoice", tags=["payments"], request=PaymentInputSerializer,
        responses={201: PaymentSerializer}, parameters=[idempotency_key_parameter("recording")],
    ),
)
class PaymentViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["created_at", "amount"]
    action_permissions = {"create": ("billing.view_payment",)}  # payment_record checks add_payment
    problem_responses = {
        "create": (exceptions.InvoiceNotPayable, exceptions.DuplicatePaymentReference,
                   exceptions.PaymentCurrencyMismatch, exceptions.Overpayment, IdempotencyKeyReused),
    }

    def get_queryset(self):
        return selectors.payment_list()

    def represent(self, instance: Payment) -> dict[str, Any]:
        return payment_representation(instance)

    def create(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_record(actor=acting_user(request), **data.validated_data)
        body = self.represent(payment)  # the service's payment, its invoice and actor in memory
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("payment-detail", args=[payment.pk])})


@extend_schema_view(
    list=extend_schema(summary="List credit notes", tags=["credit notes"]),
    retrieve=extend_schema(summary="Get a credit note", tags=["credit notes"], parameters=[_CREDIT_NOTE_ID]),
    create=extend_schema(
        summary="Issue a credit note against an invoice", tags=["credit notes"], request=CreditNoteInputSerializer,
        responses={201: CreditNoteSerializer}, parameters=[idempotency_key_parameter("issuing")],
        description="Lines (description, quantity, unit_price) or one amount, with a reason. An issued or paid "
                    "invoice (a draft is issued first); the credit notes of an invoice never exceed its total. "
                    "The gross credited is split over the invoice's rates in proportion to their gross (net, tax "
                    "and the breakdown per rate on the credit note); no rate's tax is ever credited beyond what was "
                    "invoiced (422 credit_exceeds_invoice). An invoice left with nothing due becomes paid. "
                    "Finance role.",
    ),
    pdf=extend_schema(
        summary="The credit note as a PDF", tags=["credit notes"], parameters=[_CREDIT_NOTE_ID], filters=False,
        description="The same document as the back-office's printable credit note. Sales and finance roles.",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF file")},
    ),
)
class CreditNoteViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = CreditNoteSerializer
    filterset_class = CreditNoteFilter
    ordering_fields = ["issued_at", "total", "number"]
    # credit_note_issue checks add_creditnote
    action_permissions = {"pdf": ("billing.view_creditnote",), "create": ("billing.view_creditnote",)}
    problem_responses = {
        "create": (exceptions.InvoiceNotCreditable, exceptions.CreditExceedsInvoice, IdempotencyKeyReused),
    }

    def get_queryset(self):
        return selectors.credit_note_list()

    def represent(self, instance: CreditNote) -> dict[str, Any]:
        return credit_note_representation(instance)

    def create(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = CreditNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credit_note = services.credit_note_issue(actor=acting_user(request), **data.validated_data)
        body = self.represent(selectors.credit_note_list().get(pk=credit_note.pk))
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("credit-note-detail", args=[credit_note.pk])})

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None, renderer_classes=[PDFRenderer])
    def pdf(self, request: Request, pk: str | None = None) -> Response:
        credit_note = self.get_object()
        return Response(credit_note_pdf(credit_note), content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{credit_note_pdf_filename(credit_note)}"'})


@extend_schema_view(
    list=extend_schema(summary="List refunds", tags=["refunds"]),
    retrieve=extend_schema(summary="Get a refund", tags=["refunds"], parameters=[_REFUND_ID]),
    create=extend_schema(
        summary="Record a refund on a payment", tags=["refunds"], request=RefundInputSerializer,
        responses={201: RefundSerializer}, parameters=[idempotency_key_parameter("recording")],
        description="At most the payment less its earlier refunds, and at most the invoice's amount_refundable "
                    "(money goes back only when a credit note makes it owed). Finance role.",
    ),
)
class RefundViewSet(ETagMixin, RepresentedListMixin, RepresentedRetrieveMixin, viewsets.GenericViewSet):
    serializer_class = RefundSerializer
    filterset_class = RefundFilter
    ordering_fields = ["recorded_at", "amount"]
    action_permissions = {"create": ("billing.view_refund",)}  # refund_record checks add_refund
    problem_responses = {
        "create": (exceptions.RefundExceedsPayment, exceptions.RefundExceedsCredit, exceptions.RefundCurrencyMismatch,
                   IdempotencyKeyReused),
    }

    def get_queryset(self):
        return selectors.refund_list()

    def represent(self, instance: Refund) -> dict[str, Any]:
        return refund_representation(instance)

    def create(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = services.refund_record(actor=acting_user(request), **data.validated_data)
        body = self.represent(selectors.refund_list().get(pk=refund.pk))
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("refund-detail", args=[refund.pk])})
