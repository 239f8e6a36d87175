"""Address rules (``sales.addresses``): one statement used by the API's serializers and the admin's forms."""

from __future__ import annotations

import pytest

from sales.addresses import address_clean, address_errors
from synthesq.core.errors import ValidationFailed

GUIDE_ADDRESS = {"line1": "123 Commerce St", "city": "Austin", "state": "TX", "postal_code": "78701",
                 "country": "US"}


def test_a_complete_address_is_kept_with_the_country_upper_cased() -> None:
    assert address_clean({**GUIDE_ADDRESS, "country": "us"}) == GUIDE_ADDRESS


def test_unknown_parts_are_dropped_and_optional_parts_may_be_blank() -> None:
    cleaned = address_clean({**GUIDE_ADDRESS, "line2": "", "planet": "Earth"})
    assert cleaned == {**GUIDE_ADDRESS, "line2": ""}


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"line1": None}, "line1", "required"),
    ({"city": ""}, "city", "required"),
    ({"country": "USA"}, "country", "invalid"),
    ({"country": "1X"}, "country", "invalid"),
    ({"postal_code": "9" * 21}, "postal_code", "max_length"),
    ({"city": 42}, "city", "invalid"),
])
def test_each_broken_part_is_named(change: dict, field: str, code: str) -> None:
    address = {**GUIDE_ADDRESS, **change}
    assert [(e["field"], e["code"]) for e in address_errors(address)] == [(field, code)]
    with pytest.raises(ValidationFailed) as refused:
        address_clean(address)
    assert refused.value.extra["errors"][0]["field"] == field


def test_every_missing_required_part_is_reported_at_once() -> None:
    assert [e["field"] for e in address_errors({"state": "TX"})] == ["line1", "city", "country"]
