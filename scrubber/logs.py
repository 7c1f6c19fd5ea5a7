"""Logging through structlog, without PHI.

:func:`configure_logging` sends log events to standard error (or ``stream``):
JSON lines when it is not a terminal, the console renderer when it is. The
default level is ``warning`` so that a normal run writes nothing but its own
messages; ``SCRUBBER_LOG_LEVEL`` (or the ``level`` argument) raises it.

Policy for every log call in the scrubber: log counts, segment positions,
rule codes, statuses and claim ordinals; never names, member ids, dates of
birth, diagnoses, claim ids / patient control numbers or message text quoted
from the input (a test asserts this).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
DEFAULT_LEVEL = "warning"
_configured_level = logging.WARNING


def configure_logging(
    stream: TextIO | None = None, level: str | None = None, json: bool | None = None
) -> None:
    """Configure structlog for the scrubber (idempotent; later calls win)."""
    out = stream or sys.stderr
    name = (level or os.environ.get("SCRUBBER_LOG_LEVEL") or DEFAULT_LEVEL).lower()
    numeric = LEVELS.get(name, logging.WARNING)
    global _configured_level
    _configured_level = numeric
    if json is None:
        json = not _is_tty(out)
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A structlog logger carrying ``component=name``. When the host application has
    not configured structlog, configures the scrubber's defaults first (structlog's
    own default would print every level to standard output)."""
    if not structlog.is_configured():
        configure_logging()
    return structlog.get_logger(component=name)


def debug_enabled() -> bool:
    """Whether debug events are logged (to skip building per-claim events)."""
    if not structlog.is_configured():
        configure_logging()
    return _configured_level <= logging.DEBUG


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:
        return False
