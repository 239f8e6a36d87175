"""One way for a viewset to answer: with its app's representations (``<app>/representations.py``), never through a
serializer, which only declares the schema (drf-spectacular reads it). A viewset names its rendering in
``represent`` (and ``represent_page`` where a page is rendered together) and takes ``list`` and ``retrieve``
from here in place of DRF's mixins."""

from __future__ import annotations

from typing import Any

from rest_framework import generics, mixins
from rest_framework.request import Request
from rest_framework.response import Response


class Represented(generics.GenericAPIView):
    def represent(self, instance: Any) -> dict[str, Any]:
        """The object as the API renders it."""
        raise NotImplementedError

    def represent_page(self, page: list[Any]) -> list[dict[str, Any]]:
        """A page of objects as the API renders them."""
        return [self.represent(instance) for instance in page]


class RepresentedListMixin(Represented, mixins.ListModelMixin):
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # every list is paginated (DEFAULT_PAGINATION_CLASS)
        response = self.get_paginated_response(self.represent_page(page))
        response.add_post_render_callback(self._let_go)
        return response

    def _let_go(self, response: Response) -> None:
        """Once the page is rendered, the response leaves the cycles DRF puts it in: its ``renderer_context``
        names the view and the response itself, the view names it (``response``) and is in a cycle with its
        request. In them, the response and its data (a page of orders is some 2,000 lists and dicts) were freed by
        the garbage collector only, which walked them over and over until then (issue 25); out of them, the
        response goes when the server has written it."""
        response.renderer_context = None  # type: ignore[attr-defined]  # set by the view (finalize_response)
        if getattr(self, "response", None) is response:
            del self.response


class RepresentedRetrieveMixin(Represented, mixins.RetrieveModelMixin):
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.represent(self.get_object()))
