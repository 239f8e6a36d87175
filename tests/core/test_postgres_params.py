"""A field's converter (``synthesq.core.postgres_params``) gives what ``get_db_prep_save`` gives on PostgreSQL, for
every column of every model and values of every kind, and takes the shortcut only where the conversion is known."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Field
from django.utils.functional import lazy

from sales.models import Order, OrderLine
from synthesq.core.postgres_params import converter_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SAMPLES: list[Any] = [
    None, "", "text", "ord_01", lazy(lambda: "lazy", str)(), 0, 7, -3, True, False, Decimal("12.3400"),
    Decimal("0"), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), date(2026, 1, 2), [1, 2], {"a": 1}, 40_000, 2**40,
]


def _columns() -> list[Field[Any, Any]]:
    return [field for model in apps.get_models() for field in model._meta.concrete_fields]


def _prepared(convert: Any, value: Any) -> tuple[str, type, str]:
    """What a conversion gives, comparable: its type and its text (an adapter such as ``Jsonb`` has no equality;
    ``Decimal("1.0")`` equals ``Decimal("1.00")`` but is not sent alike)."""
    try:
        prepared = convert(value, connection)
    except Exception as error:
        return "refused", type(error), ""
    return "value", type(prepared), repr(getattr(prepared, "obj", prepared))


# The samples include a date where a datetime column expects a datetime: both conversions warn, as they should.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
def test_every_columns_converter_gives_what_get_db_prep_save_gives() -> None:
    for field in _columns():
        convert = converter_of(field)
        for value in SAMPLES:
            # when a value goes through the converter and through Django's own conversion
            fast, slow = _prepared(convert, value), _prepared(field.get_db_prep_save, value)
            # then both give the same value of the same type, or the same refusal
            assert fast == slow, (field, value)


def test_the_shortcut_is_taken_for_plain_fields_and_keys_to_text_keys() -> None:
    # given a field of each kind the shortcut knows, and a foreign key to a text key
    fields = [OrderLine._meta.get_field(name) for name in ("sku", "unit_price", "order", "quantity", "id")]
    fields.append(Order._meta.get_field("confirmed_at"))
    for field in fields:
        # then its converter is not its get_db_prep_save
        assert converter_of(field) != field.get_db_prep_save, field  # type: ignore[arg-type]
    # and a naive datetime still goes through Django's conversion (its warning, made aware)
    with pytest.warns(RuntimeWarning):
        converter_of(fields[-1])(datetime(2026, 1, 2, 3, 4, 5), connection)  # type: ignore[arg-type]
