"""Money rules shared by services, serializers and admin forms (``synthesq.core.money``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from synthesq.core.money import format_amount, scale_error


@pytest.mark.parametrize(("amount", "currency", "fits"), [
    ("129.99", "USD", True), ("129.990", "USD", True), ("129.995", "USD", False),
    ("1300", "JPY", True), ("1300.5", "JPY", False),
    ("1.500", "BHD", True), ("1.5005", "BHD", False),
])
def test_scale_error_names_the_currency_minor_unit(amount: str, currency: str, fits: bool) -> None:
    message = scale_error(Decimal(amount), currency)
    if fits:
        assert message is None
    else:
        assert message is not None and message.startswith(f"{currency} amounts have at most")


def test_an_unknown_currency_is_left_to_the_currency_check() -> None:
    assert scale_error(Decimal("1.23456"), "XXX") is None


def test_amounts_are_formatted_in_the_minor_unit() -> None:
    assert [format_amount(Decimal("1300"), "JPY"), format_amount(Decimal("1.5"), "BHD"),
            format_amount(Decimal("129.9"), "USD")] == ["1300", "1.500", "129.90"]
