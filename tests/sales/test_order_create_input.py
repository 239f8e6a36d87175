"""The create body's validation (issue 25): ``InputSerializer.validated`` gives exactly what DRF's ``is_valid`` gives
— the same values, or the same errors with the same codes — whether its quick path vouches for the body or DRF
validates it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from sales.api.serializers import AddressSerializer, OrderCreateInputSerializer
from synthesq.core.serializers import _quick, _Unsure

ADDRESS = {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
BODY: dict[str, Any] = {
    "customer_id": "cust_1", "currency": "USD",
    "line_items": [{"product_id": "prod_1", "quantity": 2}, {"product_id": "prod_2", "quantity": 3}],
    "shipping_address": ADDRESS,
    "charges": [{"kind": "shipping", "description": "Ground", "amount": "9.90", "tax_class": "standard"}],
    "promotion_code": "BENCH10",
}


def by_drf(body: Any) -> tuple[str, Any]:
    serializer = OrderCreateInputSerializer(data=body)
    return ("valid", serializer.validated_data) if serializer.is_valid() else ("invalid", serializer.errors)


def by_validated(body: Any) -> tuple[str, Any]:
    try:
        return "valid", OrderCreateInputSerializer.validated(body)
    except serializers.ValidationError as exc:
        return "invalid", exc.detail


def with_(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``BODY`` with the value at ``path`` replaced (``...``: removed)."""
    body: Any = {**BODY, "line_items": [dict(line) for line in BODY["line_items"]],
                 "shipping_address": dict(ADDRESS), "charges": [dict(charge) for charge in BODY["charges"]]}
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return dict(body)


def test_the_guides_body_takes_the_quick_path_to_drfs_values() -> None:
    # given the guide's body, when it is validated, then the quick path vouches for it, with DRF's values
    assert _quick(OrderCreateInputSerializer, BODY) == by_drf(BODY)[1]
    assert by_validated(BODY) == by_drf(BODY)
    assert by_validated(BODY)[1]["charges"][0]["amount"] == Decimal("9.9000")


@pytest.mark.parametrize(("path", "value"), [
    (("customer_id",), "  cust_1  "),  # trimmed by DRF's CharField
    (("customer_id",), ""),
    (("customer_id",), "x" * 41),
    (("customer_id",), 5),
    (("customer_id",), ...),
    (("currency",), "usd"),
    (("currency",), "XXX"),
    (("line_items",), []),
    (("line_items",), {}),
    (("line_items", 0, "quantity"), 0),
    (("line_items", 0, "quantity"), True),
    (("line_items", 0, "quantity"), "2"),
    (("line_items", 0, "unit_price"), "12.50"),
    (("line_items", 0, "unit_price"), None),
    (("line_items", 0, "unit_price"), ""),
    (("line_items", 0, "unit_price"), "1e3"),
    (("line_items", 0, "discount"), {"type": "percent", "value": "10"}),
    (("line_items", 0, "unknown"), 1),
    (("line_items", 1), "prod_2"),
    (("shipping_address",), None),
    (("shipping_address",), ...),
    (("shipping_address", "country"), "us"),
    (("shipping_address", "country"), " US"),
    (("shipping_address", "country"), "ZZ"),
    (("shipping_address", "city"), ...),
    (("shipping_address", "line2"), ""),
    (("shipping_address", "state"), " TX "),
    (("shipping_address", "line1"), "\x00"),
    (("charges",), []),
    (("charges", 0, "tax_class"), ...),
    (("charges", 0, "description"), ...),
    (("charges", 0, "amount"), 9.9),
    (("charges", 0, "amount"), "-1"),
    (("charges", 0, "kind"), "freight"),
    (("discount",), None),
    (("discount",), {"type": "amount", "value": 5}),
    (("promotion_code",), None),
    (("promotion_code",), ""),
    (("promotion_code",), " BENCH10 "),
    (("promotion_code",), ...),
    (("extra",), True),
])
def test_any_body_validates_as_drf_validates_it(path: tuple[Any, ...], value: Any) -> None:
    # given the guide's body with one value changed, when it is validated, then as DRF validates it
    body = with_(path, value)
    assert by_validated(body) == by_drf(body)


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=5), st.sampled_from(
    ["USD", " TX", "US", "9.90", "1.005", "shipping", "standard", "prod_1", "", " "]),
    st.lists(st.integers(), max_size=1), st.dictionaries(st.sampled_from(["quantity", "x"]), st.integers(1, 3)))
_PATHS = st.sampled_from([("customer_id",), ("currency",), ("line_items", 0, "product_id"),
                          ("line_items", 1, "quantity"), ("line_items", 0, "unit_price"), ("shipping_address", "state"),
                          ("shipping_address", "country"), ("charges", 0, "amount"), ("charges", 0, "kind"),
                          ("charges", 0, "tax_class"), ("promotion_code",), ("discount",)])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(_PATHS, _VALUES), max_size=3))
def test_random_bodies_validate_as_drf_validates_them(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    # given the guide's body with a few values replaced by anything JSON can carry
    body = BODY
    for path, value in changes:
        body = with_(path, value) if body is BODY else _replaced(body, path, value)
    # when it is validated, then exactly as DRF validates it
    assert by_validated(body) == by_drf(body)


def _replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target: Any = body
    for key in path[:-1]:
        if not isinstance(target, (dict, list)) or (isinstance(target, list) and len(target) <= key) or (
                isinstance(target, dict) and key not in target):
            return body
        target = target[key]
    if isinstance(target, dict):
        target[path[-1]] = value
    return body


def test_a_body_the_quick_path_cannot_vouch_for_goes_to_drf() -> None:
    # given bodies with an error, a null, or a default to give, then the quick path leaves them to DRF
    for body in (with_(("customer_id",), ""), with_(("promotion_code",), None), with_(("charges", 0, "kind"), 1),
                 with_(("shipping_address", "city"), ...)):
        with pytest.raises(_Unsure):
            _quick(OrderCreateInputSerializer, body)


def test_an_address_is_cleaned_by_its_serializers_validate() -> None:
    # given an address with a lower-case country, when validated alone, then it is stored upper-cased, as DRF does
    address = {**ADDRESS, "country": "us"}
    serializer = AddressSerializer(data=address)
    assert serializer.is_valid()
    assert AddressSerializer.validated(address) == serializer.validated_data == {**ADDRESS, "country": "US"}
