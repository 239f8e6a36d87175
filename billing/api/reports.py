"""Billing's reports in the API: the tax report (finance), under /api/v1/sales/reports/ with the other sales
resources that billing serves."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from billing.representations import tax_report_representation
from billing.tax_report import tax_report
from synthesq.core.schema import ProblemAutoSchema

from .serializers import TaxReportQuerySerializer, TaxReportSerializer


class OneReportSchema(ProblemAutoSchema):
    """The report is served on the collection route (``list``) but is one object, not an array of reports."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


@extend_schema_view(
    list=extend_schema(
        summary="The tax report of a period", tags=["reports"], filters=False, responses=TaxReportSerializer,
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True,
                                     description="The first day, YYYY-MM-DD (active time zone)."),
                    OpenApiParameter("to", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True,
                                     description="The last day, YYYY-MM-DD (included).")],
        description="Per currency, country, region, rate name and percent: the taxable amount and the tax of the "
                    "invoices issued in the period less the credit notes issued in it (void invoices are not "
                    "counted), as the documents stored them; a total per currency. Finance role. A missing or "
                    "malformed day, or to before from, is a 400 naming it.",
    ),
)
class TaxReportViewSet(viewsets.ViewSet):
    schema = OneReportSchema()
    action_permissions = {"list": ("billing.view_tax_report",)}

    def list(self, request: Request) -> Response:
        query = TaxReportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        report = tax_report(first_day=query.validated_data["from"], last_day=query.validated_data["to"])
        return Response(tax_report_representation(report))
