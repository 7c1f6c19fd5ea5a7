"""scrubber: a claim scrubber for radiation-oncology image-guidance billing.

``scrubber.scrub`` (the Python API, see :mod:`scrubber.api`) is imported on
first use, so that ``import scrubber`` stays cheap for the reader and tools.
Every error it raises is a :class:`ScrubberError` (the tree is drawn in
:mod:`scrubber.errors`); exit statuses are :class:`ExitStatus`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrubber.errors import (
    CodeTableError,
    ConfigurationError,
    DecisionError,
    HistoryError,
    HistoryKeyError,
    HistoryStoreError,
    InputError,
    PolicyError,
    RegistryError,
    RuleDefinitionError,
    RulePackError,
    ScrubberError,
    UsageError,
    X12InputError,
)
from scrubber.status import ExitStatus

if TYPE_CHECKING:
    from scrubber.api import ScrubResult, scrub

__version__ = "0.1.0"

__all__ = [
    "CodeTableError",
    "ConfigurationError",
    "DecisionError",
    "ExitStatus",
    "HistoryError",
    "HistoryKeyError",
    "HistoryStoreError",
    "InputError",
    "PolicyError",
    "RegistryError",
    "RuleDefinitionError",
    "RulePackError",
    "ScrubResult",
    "ScrubberError",
    "UsageError",
    "X12InputError",
    "__version__",
    "scrub",
]


def __getattr__(name: str) -> Any:
    if name in ("scrub", "ScrubResult"):
        from scrubber import api

        return getattr(api, name)
    raise AttributeError(f"module 'scrubber' has no attribute {name!r}")
