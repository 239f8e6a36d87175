"""Reading settings from the process environment: the small parsers every settings module uses."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name) or ""
    return value.strip().lower() in {"1", "true", "yes", "on"} if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate such as ``1200/min`` (requests per s, min, hour or day); ``off`` for none."""
    value = (os.environ.get(name) or default).strip()
    if value.lower() == "off":
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name} must look like 1200/min or 20/s (or off), got {value!r}")
    return value


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc
