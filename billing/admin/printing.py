"""The printable page and the PDF of a billing document (an invoice, a credit note), as detail actions for the
roles that may view the document. Each admin names its own "Printable …" button (``print_<document>``, calling
``print_view``) and says how its document is drawn; "Download PDF" is the same for every document."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from unfold.decorators import action

from synthesq.core.admin_tools import admin_object


class PrintableDocumentMixin:
    """For the admin of a document: ``print_template`` and ``document_context`` draw its printable page,
    ``document_pdf`` its PDF (the file's content and name)."""

    model: type[models.Model]
    print_template: str

    def document_context(self, document: Any) -> dict[str, Any]:
        raise NotImplementedError

    def document_pdf(self, document: Any) -> tuple[bytes, str]:
        raise NotImplementedError

    def has_print_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}")

    def print_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        document = admin_object(self, request, object_id)
        return TemplateResponse(request, self.print_template, self.document_context(document))

    @action(description="Download PDF", url_path="pdf", permissions=["print"], icon="picture_as_pdf",
            attrs={"data-action": "pdf"})
    def download_pdf(self, request: HttpRequest, object_id: str) -> HttpResponse:
        content, filename = self.document_pdf(admin_object(self, request, object_id))
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
