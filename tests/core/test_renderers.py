"""The API's JSON renderer writes what DRF's ``JSONRenderer`` writes, byte for byte, with orjson (issue 25)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers as drf_renderers
from rest_framework.exceptions import ErrorDetail
from rest_framework.test import APIClient

from synthesq.core.renderers import JSONRenderer
from tests.factories import OrderFactory

UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=1))

# Values API responses are made of, and the awkward ones: control characters, the line separators DRF escapes,
# astral characters, integers beyond 32 and 64 bits, decimals, aware and naive times, lazy text, DRF's error
# strings, ids.
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["\u2028", "a\u2029b", "\x00\x1f\x7f", "é😀", "</script>", ""])
_scalars = (
    st.none() | st.booleans() | _text
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9, max_value=10**9)
    | st.datetimes(timezones=st.sampled_from([None, UTC, PARIS]))
    | st.dates() | st.times() | st.uuids()
    | st.sampled_from([gettext_lazy("Draft"), ErrorDetail("This field is required.", code="required")])
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: json.dumps(f) == repr(f) and "e-" not in
                                                              repr(f))
)
_documents = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(_text, children, max_size=4),
    max_leaves=25,
)


def _drf(data: Any, media_type: str = "application/json") -> bytes:
    return drf_renderers.JSONRenderer().render(data, media_type, {})


@settings(max_examples=400, deadline=None)
@given(data=_documents)
def test_any_document_is_written_as_drf_writes_it(data: Any) -> None:
    # given a document of what responses are made of; when ours and DRF's renderers write it; then the same bytes
    assert JSONRenderer().render(data, "application/json", {}) == _drf(data)


@pytest.mark.parametrize("data", [
    {"big": 2**64, "negative": -(2**63) - 1},  # beyond orjson's 64 bits: DRF writes it
    {1: "a key that is not a string", None: "nor this"},  # DRF (json) turns keys into strings
    {"when": dt.datetime(2026, 12, 6, 19, 0, 0, 123456, tzinfo=UTC)},  # milliseconds and Z, as DRF writes them
    {"amount": Decimal("12.50"), "separators": "line\u2028paragraph\u2029"},
    [],
    {},
])
def test_what_orjson_refuses_or_writes_its_own_way_is_written_as_drf_does(data: Any) -> None:
    assert JSONRenderer().render(data, "application/json", {}) == _drf(data)


def test_an_indent_asked_for_is_drf_s_pretty_print() -> None:
    data = {"a": [1, {"b": "c"}]}
    assert JSONRenderer().render(data, "application/json; indent=2", {}) == _drf(data, "application/json; indent=2")
    assert b"\n  " in JSONRenderer().render(data, "application/json; indent=2", {})


def test_what_drf_cannot_write_fails_as_drf_fails() -> None:
    class Opaque:
        pass

    with pytest.raises(TypeError):
        _drf({"x": Opaque()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": Opaque()}, "application/json", {})


def test_no_data_is_an_empty_body() -> None:
    assert JSONRenderer().render(None, "application/json", {}) == b""


@pytest.mark.django_db
def test_the_api_answers_with_it(sales_api: APIClient) -> None:
    # given an order; when a client reads it and a page of orders
    order = OrderFactory()
    one = sales_api.get(f"/api/v1/sales/orders/{order.pk}")
    page = sales_api.get("/api/v1/sales/orders?limit=50")
    # then the bodies are what DRF's renderer writes of the same data, as JSON
    assert one.status_code == 200 and page.status_code == 200
    assert one["Content-Type"] == "application/json"
    assert one.content == _drf(one.data) and page.content == _drf(page.data)
    assert one.renderer_context["view"].get_renderers()[0].__class__ is JSONRenderer  # type: ignore[attr-defined]
