"""A field's values as PostgreSQL parameters, by a converter worked out once per field (``postgres_rows`` sends
every row's values through it).

``field.get_db_prep_save(value, connection)`` walks four to six methods for every value (``get_db_prep_save``,
``get_db_prep_value``, ``get_prep_value``, ``to_python``, the backend's ``adapt_*``), and on PostgreSQL each of
them gives a plain value of the field's own type back unchanged: a ``str`` to a ``CharField``, a finite
``Decimal`` to a ``DecimalField``, an aware ``datetime`` to a ``DateTimeField``, a ``bool`` to a ``BooleanField``,
an ``int`` to an auto key; an ``int`` to an integer field only goes through the backend's
``adapt_integerfield_value`` (which sizes it: ``Int2``, ``Int4``…). The converter does just that to such a value,
and hands every other value (None, a lazy string, a naive datetime, an expression…) to ``get_db_prep_save``. Only
fields whose class converts exactly as one of those Django classes does (none of these methods overridden) take
the shortcut; a foreign key takes its target's, as ``ForeignKey.get_db_prep_save`` does for a value that is
neither None nor empty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    Field,
    ForeignKey,
    IntegerField,
    SmallAutoField,
    TextField,
)

Converter = Callable[[Any, BaseDatabaseWrapper], Any]

_METHODS = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


def _finite(value: Decimal) -> bool:
    return value.is_finite()


def _aware(value: datetime) -> bool:
    return value.utcoffset() is not None


# The Django classes whose conversion keeps a value of this exact type, with the check it must pass (the rest of
# the conversion refuses a non-finite Decimal and warns about a naive datetime). An auto key's conversion keeps an
# int as it is; an integer field's adapts it at the end (``adapt_integerfield_value``: psycopg's ``Int2``…).
_KEPT: tuple[tuple[type[Field[Any, Any]], type, Callable[[Any], bool] | None], ...] = (
    (CharField, str, None), (TextField, str, None), (BooleanField, bool, None),
    (DecimalField, Decimal, _finite), (DateTimeField, datetime, _aware),
    (AutoField, int, None), (BigAutoField, int, None), (SmallAutoField, int, None), (IntegerField, int, None),
)


def _kept(field: Field[Any, Any]) -> tuple[type, Callable[[Any], bool] | None, bool] | None:
    """The type (and check) of the values the field's conversion keeps as they are, if it converts as a known
    Django class does, and whether the backend adapts them as integers at the end."""
    for base, kind, check in _KEPT:
        if isinstance(field, base) and all(getattr(type(field), name) is getattr(base, name) for name in _METHODS):
            return kind, check, base is IntegerField
    return None


def converter_of(field: Field[Any, Any]) -> Converter:
    """``field.get_db_prep_save`` on PostgreSQL, with the shortcut the module describes."""
    slow = field.get_db_prep_save
    target = field
    if isinstance(field, ForeignKey):
        if type(field).get_db_prep_save is not ForeignKey.get_db_prep_save:
            return slow
        target = field.target_field
    kept = _kept(target)
    if kept is None:
        return slow
    kind, check, integer = kept
    internal_type = target.get_internal_type()
    # a foreign key's empty string may stand for None (``ForeignKey.get_db_prep_save``): it takes the long way
    empty = "" if target is not field else None

    def convert(value: Any, connection: BaseDatabaseWrapper) -> Any:
        if type(value) is not kind or value == empty or (check is not None and not check(value)):
            return slow(value, connection)
        return connection.ops.adapt_integerfield_value(value, internal_type) if integer else value

    return convert
