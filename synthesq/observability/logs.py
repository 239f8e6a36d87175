"""Logs: one JSON object per line in production, readable console lines in development.

Everything goes through the standard library's logging and structlog's ``ProcessorFormatter``, so Django's
own records, the app's ``logging.getLogger(__name__)`` records and structlog events come out in the same
format, and all of them carry the context bound for the request (``request_id``, ``user_id``, ``ip``) by
django-structlog's middleware. The request's closing line (``request_finished``) also says the route, the
view, the status (``code``) and the duration (added in ``receivers`` through django-structlog's signals).

No secret is written (issue 20, item 16): tracebacks are rendered without their frames' local variables (a
bearer token sits in the authentication frames' locals), and every line passes ``redaction``'s nets (values
under secret-naming keys, credential-shaped text) before and after it is rendered.

This module is imported by the settings, so it imports nothing from Django.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from .redaction import redact_event_dict, redact_rendered

LOG_FORMATS = ("json", "console")

# Run on every record, structlog's and the standard library's alike, before it is rendered.
_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
]


def logging_settings(*, log_format: str, level: str) -> dict[str, Any]:
    """Configure structlog and return Django's ``LOGGING`` for ``log_format`` (``json`` or ``console``)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {"()": "synthesq.observability.logs.structured_formatter", "log_format": log_format},
        },
        "handlers": {
            # Logs go to stderr in every process: stdout is a program's output (a command's report, its --json).
            "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-structlog's request_finished replaces Django's own request log lines.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }


def structured_formatter(log_format: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every log line: JSON (one object per line, tracebacks as data) or console; tracebacks
    without local variables, secrets redacted."""
    renderer: list[Any] = (
        [structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
         redact_event_dict, structlog.processors.JSONRenderer()]
        if log_format == "json"
        else [redact_event_dict, _console_renderer(colors=_colors_wanted())]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer, redact_rendered],
    )


def _colors_wanted() -> bool:
    """Colours on a terminal, none in a file or a pipe; ``NO_COLOR`` and ``FORCE_COLOR`` say otherwise."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stderr.isatty()


def _console_renderer(*, colors: bool) -> structlog.dev.ConsoleRenderer:
    """Readable lines; tracebacks by rich when it is installed (development), the plain ones otherwise: without
    local variables either way."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=structlog.dev.plain_traceback)
    traceback = structlog.dev.RichTracebackFormatter(show_locals=False, color_system="truecolor" if colors else None)
    return structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=traceback)


# Business events (an order moved, a payment recorded, a batch close run): each app logs its own here.
business_log = structlog.get_logger("synthesq.events")
