"""Prefixed, sortable identifiers: ``cust_01JM5XQVZ3K7...`` (a ULID after the prefix).

The prefix tells a reader what an id points at; the ULID sorts by creation time, so ordering by id is
ordering by creation. Ids are stored whole (prefix included) in a ``CharField`` primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils.deconstruct import deconstructible
from ulid import ULID

ID_MAX_LENGTH = 40


@deconstructible
class PrefixedULID:
    """A callable default that makes a new ``<prefix>_<ULID>`` id."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self) -> str:
        return f"{self.prefix}_{ULID()}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrefixedULID) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)


class PrefixedIdField(models.CharField):
    """Primary key of the form ``<prefix>_<ULID>``, generated on creation."""

    def __init__(self, prefix: str, *args: Any, **kwargs: Any) -> None:
        self.prefix = prefix
        kwargs.setdefault("max_length", ID_MAX_LENGTH)
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        kwargs["default"] = PrefixedULID(prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)
        kwargs["prefix"] = self.prefix
        return name, path, args, kwargs
