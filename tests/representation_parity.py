"""The parity between the schema and the rendering: a resource's representation (``<app>/representations.py``)
has exactly the keys its serializer declares (``<app>/api/serializers.py``, which drf-spectacular reads), in the
declared order, and each value has the declared field's JSON type (null only where the field allows it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from synthesq.core.money import AmountSerializerField


def assert_renders_as_declared(serializer: type[serializers.Serializer] | serializers.Serializer,
                               data: dict[str, Any]) -> None:
    """``data`` is what ``serializer`` declares, key for key (nested serializers and lists included)."""
    declared = serializer() if isinstance(serializer, type) else serializer
    _check_object(declared, data, path="", partial=False)


def _check_object(declared: serializers.Serializer, data: Any, *, path: str, partial: bool) -> None:
    assert isinstance(data, dict), f"{path or 'the resource'}: an object, not {data!r}"
    fields = declared.fields
    if partial:  # an address: its known parts, in order, the required ones always
        assert list(data) == [name for name in fields if name in data], f"{path}: keys {list(data)}"
        missing = [name for name, field in fields.items() if field.required and name not in data]
        assert not missing, f"{path}: missing {missing}"
    else:
        assert list(data) == list(fields), f"{path or 'the resource'}: keys {list(data)}, declared {list(fields)}"
    for name, value in data.items():
        _check_value(fields[name], value, path=f"{path}.{name}" if path else name)


def _check_value(field: serializers.Field, value: Any, *, path: str) -> None:
    if value is None:
        assert field.allow_null, f"{path}: null, which the schema does not allow"
        return
    if isinstance(field, serializers.ListSerializer):
        assert isinstance(value, list), f"{path}: a list, not {value!r}"
        for index, item in enumerate(value):
            _check_object(field.child, item, path=f"{path}[{index}]", partial=False)  # type: ignore[arg-type]
        return
    if isinstance(field, serializers.Serializer):
        # A serializer declaring its fields in get_fields (an address) renders only the parts it has.
        _check_object(field, value, path=path, partial="get_fields" in type(field).__dict__)
        return
    if isinstance(field, serializers.ListField):
        assert isinstance(value, list), f"{path}: a list, not {value!r}"
        for index, item in enumerate(value):
            _check_value(field.child, item, path=f"{path}[{index}]")
        return
    if isinstance(field, AmountSerializerField):
        assert isinstance(value, str) and Decimal(value).is_finite(), f"{path}: a decimal string, not {value!r}"
        return
    if isinstance(field, serializers.DateTimeField):
        assert isinstance(value, str), f"{path}: a date-time string, not {value!r}"
        assert datetime.fromisoformat(value).tzinfo is not None, f"{path}: {value!r} without its offset"
        return
    if isinstance(field, serializers.DateField):
        assert isinstance(value, str) and date.fromisoformat(value), f"{path}: a date string, not {value!r}"
        return
    if isinstance(field, serializers.BooleanField):
        assert isinstance(value, bool), f"{path}: a boolean, not {value!r}"
        return
    if isinstance(field, serializers.IntegerField):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: an integer, not {value!r}"
        return
    if isinstance(field, serializers.ChoiceField):
        assert type(value) is str and value in field.choices, f"{path}: one of {list(field.choices)}, not {value!r}"
        return
    if isinstance(field, (serializers.CharField, serializers.SlugRelatedField)):
        assert type(value) is str, f"{path}: a string, not {value!r}"
        return
    if isinstance(field, serializers.JSONField):
        assert isinstance(value, (dict, list)), f"{path}: JSON, not {value!r}"
        return
    raise AssertionError(f"{path}: no rule for {type(field).__name__}")
