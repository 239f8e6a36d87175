"""Model instances from a compiled query's rows, as Django's ``ModelIterable`` makes them (``compiled`` takes the
compiler's column map once and calls the maker on every run's rows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.db.models.query import get_related_populators


def model_maker(compiler: Any, using: str, *, shared_related: bool = False) -> Callable[..., list[Any]]:
    """Model instances as ``ModelIterable`` makes them, from the compiler's column map taken once (with
    ``shared_related``, each forward relation's row made once per call: ``_SharedPopulator``)."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls: type[Model] = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)  # type: ignore[call-arg]  # the stubs: Django 6
    related = klass_info.get("related_klass_infos", [])
    shared = [(index, info["field"], _key_position(info, select)) for index, info in enumerate(related)
              if shared_related and not info["reverse"]]
    annotations = list(annotation_col_map.items()) if annotation_col_map else []

    def make(connection: BaseDatabaseWrapper, rows: list[list[Any]]) -> list[Any]:
        objects = []
        row_populators: list[Any] = list(populators)
        for index, field_, key_at in shared:
            row_populators[index] = _SharedPopulator(populators[index], field_, key_at)
        for row in rows:
            obj = model_cls.from_db(using, init_list, row[start:end])
            for populator in row_populators:
                populator.populate(row, obj)
            for attr_name, position in annotations:
                setattr(obj, attr_name, row[position])
            objects.append(obj)
        return objects

    return make


def _key_position(klass_info: dict[str, Any], select: Sequence[Any]) -> int:
    """Where a related model's primary key stands in the compiled row."""
    key = klass_info["model"]._meta.pk.attname
    return next(index for index in klass_info["select_fields"] if select[index][0].target.attname == key)


class _SharedPopulator:
    """A forward relation's populator (Django's ``RelatedPopulator``) that makes each related row once: a row
    pointing at one already made gets that instance, set as the populator sets it (the rows it reaches in turn
    came with it)."""

    def __init__(self, populator: Any, field_: Any, position: int) -> None:
        self.populator, self.field, self.position = populator, field_, position
        self.made: dict[Any, Any] = {}

    def populate(self, row: Sequence[Any], from_obj: Model) -> None:
        key = row[self.position]
        obj = self.made.get(key) if key is not None else None
        if obj is None:
            self.populator.populate(row, from_obj)
            if key is not None:
                self.made[key] = self.field.get_cached_value(from_obj)
            return
        self.populator.local_setter(from_obj, obj)
        self.populator.remote_setter(obj, from_obj)
