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

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
DEFAULT_LEVEL = "warning"
_configured_level = logging.WARNING
#: What :func:`configure_logging` last asked for, applied to structlog when
#: structlog is imported (at the first event the level lets through).
_pending: tuple[TextIO | None, int, bool | None] | None = None


def configure_logging(
    stream: TextIO | None = None, level: str | None = None, json: bool | None = None
) -> None:
    """Configure structlog for the scrubber (idempotent; later calls win).

    structlog itself (with its console renderer's dependencies, a tenth of a
    second to import) is imported only when an event at or above ``level``
    is logged, or right away when it is imported already."""
    name = (level or os.environ.get("SCRUBBER_LOG_LEVEL") or DEFAULT_LEVEL).lower()
    numeric = LEVELS.get(name, logging.WARNING)
    global _configured_level, _pending
    _configured_level = numeric
    structlog = sys.modules.get("structlog")
    if structlog is None:
        _pending = (stream, numeric, json)
    else:
        _pending = None
        _apply(structlog, stream or sys.stderr, numeric, json)


def _structlog() -> Any:
    """structlog, configured as :func:`configure_logging` last asked (its
    defaults when it never was and the host application did not)."""
    import structlog

    global _pending
    if _pending is not None and structlog.is_configured():
        _pending = None  # configured since configure_logging last ran (it was not imported then)
    elif _pending is None and not structlog.is_configured():
        _pending = (None, _configured_level, None)
    if _pending is not None:
        stream, numeric, json = _pending
        _pending = None
        _apply(structlog, stream or sys.stderr, numeric, json)
    return structlog


def _apply(structlog: Any, out: TextIO, numeric: int, json: bool | None) -> None:
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


class Logger:
    """A structlog logger carrying ``component=name``, made at its first
    event that the configured level lets through (or that structlog, once
    imported, decides on: a host application's configuration wins)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def debug(self, event: str, **values: Any) -> None:
        self._log(logging.DEBUG, "debug", event, values)

    def info(self, event: str, **values: Any) -> None:
        self._log(logging.INFO, "info", event, values)

    def warning(self, event: str, **values: Any) -> None:
        self._log(logging.WARNING, "warning", event, values)

    def error(self, event: str, **values: Any) -> None:
        self._log(logging.ERROR, "error", event, values)

    def _log(self, level: int, method: str, event: str, values: dict[str, Any]) -> None:
        if level < _configured_level and "structlog" not in sys.modules:
            return  # (structlog would drop it too: its level is the configured one)
        if self._logger is None or _pending is not None:
            self._logger = _structlog().get_logger(component=self._name)
        getattr(self._logger, method)(event, **values)


def get_logger(name: str) -> Logger:
    """A logger carrying ``component=name`` (see :class:`Logger`). When the
    host application has not configured structlog, the scrubber's defaults
    apply (structlog's own default would print every level to standard output)."""
    return Logger(name)


def debug_enabled() -> bool:
    """Whether debug events are logged (to skip building per-claim events)."""
    if "structlog" in sys.modules:
        _structlog()
    return _configured_level <= logging.DEBUG


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:
        return False
