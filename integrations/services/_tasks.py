"""The tasks module, imported when first needed (it imports the services)."""

from __future__ import annotations

from types import ModuleType


def tasks_module() -> ModuleType:
    from .. import tasks

    return tasks
