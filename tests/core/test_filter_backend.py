"""The list filter backend builds a filter set only when a query parameter names one of its filters: a page
asked for by ``limit``, ``sort`` or ``cursor`` alone is the unfiltered list, and every spelling of a filter
(``status``, ``status[]``, ``created_at_after``) still filters and still refuses bad values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from rest_framework.test import APIClient

from sales.api.filters import OrderFilter
from sales.models import OrderStatus
from synthesq.core.permissions import _model_of
from tests.factories import OrderFactory
from tests.sales.helpers import ORDERS_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client_for: Callable[..., APIClient]) -> APIClient:
    return client_for("sales")


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_page_without_filters_builds_no_filter_set(api: APIClient) -> None:
    # given a draft and a confirmed order
    draft, confirmed = OrderFactory(), OrderFactory(status=OrderStatus.CONFIRMED)
    # when the list is asked for with paging and sorting only, then: no filter set is built, and both are listed
    with mock.patch.object(OrderFilter, "__init__", side_effect=AssertionError("filter set built")):
        assert ids(api.get(f"{ORDERS_URL}?limit=5&sort=-created_at")) == {draft.pk, confirmed.pk}
        # and a parameter that no filter is named by is ignored, as before
        assert ids(api.get(f"{ORDERS_URL}?limit=5&colour=red")) == {draft.pk, confirmed.pk}


@pytest.mark.parametrize("query", ["status=confirmed", "status[]=confirmed", "status=confirmed,"])
def test_every_spelling_of_a_filter_still_filters_or_refuses(api: APIClient, query: str) -> None:
    # given a draft and a confirmed order
    OrderFactory()
    confirmed = OrderFactory(status=OrderStatus.CONFIRMED)
    # when the list is filtered by status, then: only the confirmed one (or a 400 for the empty part)
    response = api.get(f"{ORDERS_URL}?{query}")
    if query.endswith(","):
        assert response.status_code == 400 and response.json()["code"] == "validation_error"
    else:
        assert ids(response) == {confirmed.pk}


def test_a_bad_value_is_refused_with_or_without_other_parameters(api: APIClient) -> None:
    for query in ("status[]=bogus", "limit=5&created_at_after=yesterday", "on_hold="):
        response = api.get(f"{ORDERS_URL}?{query}")
        assert response.status_code == 400, query
        assert response.json()["code"] == "validation_error"


def test_a_viewset_model_is_asked_of_its_queryset_once(api: APIClient) -> None:
    # given the orders list asked for once (its model known from then on)
    from sales.api.views import OrderViewSet

    assert ids(api.get(ORDERS_URL)) == set()
    assert _model_of(OrderViewSet()).__name__ == "Order"
    # when it is asked for again, then: the permission check does not build the list's queryset
    with mock.patch.object(OrderViewSet, "get_queryset", wraps=OrderViewSet().get_queryset) as built:
        api.get(f"{ORDERS_URL}/ord_unknown")
    assert built.call_count == 1  # the read's own get_object, not the permission
