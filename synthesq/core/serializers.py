"""Base classes for request bodies."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import SkipField, empty

from .money import AmountSerializerField

# Type errors, with DRF's codes.
_NOT_A_STRING = serializers.ErrorDetail("Not a valid string.", code="invalid")
_NOT_A_BOOLEAN = serializers.ErrorDetail("Must be true or false.", code="invalid")
_NOT_AN_INTEGER = serializers.ErrorDetail("A valid integer is required.", code="invalid")
_NOT_A_NUMBER = serializers.ErrorDetail("A valid number is required.", code="invalid")


def _declared_type_error(field: serializers.Field, value: Any) -> serializers.ErrorDetail | None:
    """Whether ``value`` has the JSON type the schema declares for ``field`` (DRF itself would turn a number into a
    string, ``"yes"`` into true or ``"5"`` into 5: clients that trust the schema must meet the same rules)."""
    if value is None or value is empty:
        return None  # null and absence are DRF's own business (allow_null, required)
    if isinstance(field, (serializers.CharField, serializers.ChoiceField)):
        return None if isinstance(value, str) else _NOT_A_STRING
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _NOT_A_BOOLEAN
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else _NOT_AN_INTEGER
    if isinstance(field, AmountSerializerField):
        ok = isinstance(value, (str, int, Decimal)) and not isinstance(value, bool)
        return None if ok else _NOT_A_NUMBER
    if isinstance(field, serializers.RelatedField):
        pk_field = getattr(field, "pk_field", None)
        if isinstance(pk_field, serializers.CharField) and not isinstance(value, str):
            return _NOT_A_STRING
        if value == "":  # DRF takes "" for null: an empty id is not "no parent"
            return serializers.ErrorDetail("This field may not be blank.", code="blank")
    return None


def fresh_fields(prototypes: Mapping[str, serializers.Field]) -> dict[str, serializers.Field]:
    """Unbound fields for one serializer instance, copied from ``prototypes`` that are never bound themselves (a
    class's declared fields). DRF deep-copies every declared field per instance (each one instantiated again with
    its arguments deep-copied: half of validating an order's body). A field that holds no other field is state
    set once by its ``__init__`` and read afterwards, so a shallow copy is the same field (its validators list
    copied, so that adding one to a copy never reaches the others); a nested serializer, a field holding a child
    field (a list of them) or a mutable default is deep-copied as DRF does (its own fields then copied here)."""
    fields: dict[str, serializers.Field] = {}
    for name, field in prototypes.items():
        if _nests(field):
            fields[name] = copy.deepcopy(field)
            continue
        fresh = copy.copy(field)
        validators = vars(field).get("_validators")
        if validators is not None:
            fresh.validators = list(validators)
        fields[name] = fresh
    return fields


_NESTS: dict[serializers.Field, bool] = {}  # per prototype (they live as long as their classes)


def _nests(prototype: serializers.Field) -> bool:
    """Whether the field is a serializer, holds another field or a mutable default (told once per prototype)."""
    nests = _NESTS.get(prototype)
    if nests is None:
        state = vars(prototype)
        nests = _NESTS[prototype] = isinstance(prototype, serializers.BaseSerializer) or any(
            isinstance(value, serializers.Field) for value in state.values()) or isinstance(
            state.get("default"), (list, dict, set))  # a mutable default: each copy its own, as DRF does
    return nests


class ActorField(serializers.SlugRelatedField):
    """Who did it (history, ledger, payments): the user's username, or null for the system."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", read_only=True, allow_null=True, **kwargs)


class InputSerializer(serializers.Serializer):
    """A request body: unknown keys are refused (a typo such as ``unit_prce`` must not pass silently), and every
    value must have the type the schema declares (no number for a string, no ``""`` for an amount, no ``"true"``
    for a boolean). Strings are checked as sent: a string longer than ``max_length`` is refused even if trimming
    would shorten it, and a field with a pattern (a ``RegexField``) is matched untrimmed.

    ``put_defaults`` are the values a PUT (full replacement) gives to optional fields it omits.
    """

    put_defaults: dict[str, Any] = {}
    # The schema's minProperties: a body that must name at least this many fields.
    min_fields: int = 0
    # Its ``validate`` reads nothing but the values it is given (``validated``'s quick path may call it).
    pure_validate: ClassVar[bool] = False

    @classmethod
    def prototypes(cls) -> Mapping[str, serializers.Field]:
        """The fields each instance copies (never bound themselves): the declared ones."""
        return cls._declared_fields

    @classmethod
    def validated(cls, data: Any) -> Any:
        """``data`` validated as ``cls(data=data).is_valid(raise_exception=True)`` validates it: the same values
        or the same 400. A body of the usual shape (``_quick``) is validated without building a serializer and its
        fields for the request, each value by its (never bound) field's own ``run_validation``; anything the quick
        path cannot vouch for — an error of any kind, an absent field with a default, a null, an unusual field —
        goes to DRF, which words the errors."""
        try:
            return _quick(cls, data)
        except _Unsure:
            serializer = cls(data=data)
            serializer.is_valid(raise_exception=True)
            return serializer.validated_data

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = fresh_fields(self.prototypes())
        for field in fields.values():
            if isinstance(field, (serializers.RegexField, serializers.EmailField)):
                # The schema's pattern (or e-mail format) applies to the value as sent.
                field.trim_whitespace = False
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - set(writable))
            errors: dict[str, list[serializers.ErrorDetail]] = {
                key: [serializers.ErrorDetail("Unknown field.", code="invalid")] for key in unknown
            }
            for name, field in writable.items():
                value = data.get(name, empty)
                error = _declared_type_error(field, value)
                if error is None and isinstance(field, serializers.CharField) and isinstance(value, str) \
                        and field.max_length is not None and len(value) > field.max_length:
                    error = serializers.ErrorDetail(
                        f"Ensure this field has no more than {field.max_length} characters.", code="max_length"
                    )
                if error is not None:
                    errors[name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def replacement_data(self) -> dict[str, Any]:
        """Validated data for a PUT: omitted optional fields take their ``put_defaults``."""
        return {**self.put_defaults, **self.validated_data}


class _Unsure(Exception):
    """The quick path cannot vouch for a body: DRF validates it."""


def _quick(serializer: type[InputSerializer], data: Any) -> dict[str, Any]:
    """``InputSerializer.to_internal_value`` then DRF's ``Serializer.run_validation`` of a root that is not
    partial, for a dict whose every value its field validates without an error."""
    if (not isinstance(data, dict) or serializer.to_internal_value is not InputSerializer.to_internal_value
            or serializer.run_validation is not serializers.Serializer.run_validation
            or serializer.get_validators is not serializers.Serializer.get_validators
            or getattr(getattr(serializer, "Meta", None), "validators", None)
            or (serializer.validate is not serializers.Serializer.validate and not serializer.pure_validate)):
        raise _Unsure
    fields = serializer.prototypes()
    if not data.keys() <= fields.keys():
        raise _Unsure  # an unknown field (or a read-only one): DRF's error
    values: dict[str, Any] = {}
    for name, field in fields.items():
        value = data.get(name, empty)
        if (field.read_only or field.source not in (None, name) or hasattr(serializer, f"validate_{name}")
                or _declared_type_error(field, value) is not None):
            raise _Unsure
        if value is empty:
            if field.required or not isinstance(field.default, (str, int, Decimal, type(empty))):
                raise _Unsure  # DRF's "required", or a default made per request (a callable, a mutable value)
            if field.default is not empty:
                values[name] = field.default  # DRF's absent value: the default as it is
            continue
        values[name] = _quick_value(field, value)
    if serializer.validate is not serializers.Serializer.validate:
        try:
            values = serializer.validate(serializer.__new__(serializer), values)
        except (serializers.ValidationError, DjangoValidationError) as exc:
            raise _Unsure from exc
    return values


def _quick_value(field: serializers.Field, value: Any) -> Any:
    if value is None:
        raise _Unsure  # DRF's null handling
    if isinstance(field, serializers.ListSerializer):
        child, most, least = field.child, getattr(field, "max_length", None), getattr(field, "min_length", None)
        if (not isinstance(value, list) or not value or type(field).validate is not serializers.ListSerializer.validate
                or field.validators or not isinstance(child, InputSerializer)
                or (most is not None and len(value) > most) or (least is not None and len(value) < least)):
            raise _Unsure
        return [_quick(type(child), item) for item in value]
    if isinstance(field, serializers.BaseSerializer):
        if not isinstance(field, InputSerializer) or field.validators:
            raise _Unsure
        return _quick(type(field), value)
    if isinstance(field, serializers.CharField) and field.max_length is not None and len(value) > field.max_length:
        raise _Unsure
    if isinstance(field, (serializers.RegexField, serializers.EmailField)) and field.trim_whitespace:
        raise _Unsure  # an instance's copy matches it untrimmed (``InputSerializer.get_fields``)
    try:
        return field.run_validation(value)
    except (serializers.ValidationError, DjangoValidationError, SkipField) as exc:
        raise _Unsure from exc
