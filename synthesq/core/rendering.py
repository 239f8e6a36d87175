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
        return self.get_paginated_response(self.represent_page(page))


class RepresentedRetrieveMixin(Represented, mixins.RetrieveModelMixin):
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.represent(self.get_object()))
