"""``synthesq.core.serializers.fresh_fields``: each request body's serializer gets fields of its own, copied from
its class's unbound prototypes (shallowly for a plain field, deeply for a nested serializer, a field holding a
field or a mutable default), and validates as DRF's deep copies would."""

from __future__ import annotations

from rest_framework import serializers

from sales.api.serializers import OrderCreateInputSerializer
from synthesq.core.serializers import InputSerializer, fresh_fields


class _Body(InputSerializer):
    name = serializers.CharField(max_length=5)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    extra = serializers.JSONField(required=False, default={"a": 1})


def test_each_instance_has_its_own_bound_fields() -> None:
    # given two bodies of one class
    first, second = _Body(data={"name": "ab"}), _Body(data={"name": "abcdefg"})
    # when their fields are built, then no field, validators list or default is shared, and the prototypes stay
    # unbound
    for name in ("name", "tags", "extra"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
        assert _Body._declared_fields[name].parent is None
    assert first.fields["name"].validators is not second.fields["name"].validators
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["extra"].default is not second.fields["extra"].default
    # and each validates as DRF does
    assert first.is_valid() and not second.is_valid()
    assert second.errors["name"][0].code == "max_length"


def test_nested_serializers_are_copied_whole() -> None:
    one, other = OrderCreateInputSerializer(), OrderCreateInputSerializer()
    line_items = one.fields["line_items"]
    assert line_items is not other.fields["line_items"]
    assert line_items.child is not other.fields["line_items"].child  # type: ignore[attr-defined]
    assert fresh_fields(_Body._declared_fields).keys() == _Body._declared_fields.keys()
