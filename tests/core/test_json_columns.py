"""JSON columns parsed in one step give what Django's ``JSONField`` converter gives, on both databases."""

from __future__ import annotations

import json

import pytest
from django.db.models import JSONField

from sales.models import Order
from synthesq.core.json_columns import json_text, json_value
from tests.factories import OrderFactory

TEXTS = ['[]', '{}', 'null', '0', '"x"', '[{"a": "1.50", "b": [1, 2.5, null, true]}]', ' [1] ', '[1] x', 'not json',
         '{"é": "ü\\u00e9"}', '']


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_parses_as_the_converter_parses_it(text: str) -> None:
    assert json_value(text) == JSONField().from_db_value(text, None, None)
    assert json_value(None) is None


@pytest.mark.django_db
def test_a_column_read_as_text_parses_to_what_the_field_reads() -> None:
    order = OrderFactory(shipping_address={"line1": "1 Rue", "city": "Paris", "country": "FR"}, line_count=2)
    row = Order.objects.filter(pk=order.pk).values("charges", "taxes", "shipping_address",
                                                   charges_text=json_text("charges"), taxes_text=json_text("taxes"),
                                                   address_text=json_text("shipping_address")).get()
    assert json_value(row["charges_text"]) == row["charges"]
    assert json_value(row["taxes_text"]) == row["taxes"]
    assert json_value(row["address_text"]) == row["shipping_address"]
    assert json.dumps(json_value(row["address_text"])) == json.dumps(row["shipping_address"])
