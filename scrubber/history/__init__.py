"""Course history across batches (``--history URL``): see :mod:`scrubber.history.store`.

The store classes are imported on first use, so that ``import scrubber``
(and every ``scrubber`` command) does not load SQLAlchemy unless a store is
actually opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from scrubber.history.errors import HistoryError, HistoryKeyError, HistoryStoreError
from scrubber.history.keys import ENV_KEY, ENV_KEY_FILE, HistoryKey

if TYPE_CHECKING:
    from scrubber.history.store import (
        BatchClaim,
        HistoryBatch,
        HistoryStore,
        LineOutcome,
        RecordSummary,
        StoredClaim,
        StoredLine,
    )

_LAZY = {
    "BatchClaim",
    "HistoryBatch",
    "HistoryStore",
    "LineOutcome",
    "RecordSummary",
    "StoredClaim",
    "StoredLine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("scrubber.history.store"), name)
    raise AttributeError(f"module 'scrubber.history' has no attribute {name!r}")


def open_store(url: str, key: HistoryKey | bytes | str | None = None) -> HistoryStore:
    """Open the history store at ``url`` (``sqlite:///path.db`` or
    ``postgresql://...``), creating and migrating it as needed.

    ``key`` is the HMAC key for patient identifiers; ``None`` reads it from
    ``SCRUBBER_HISTORY_KEY`` / ``SCRUBBER_HISTORY_KEY_FILE`` and fails when
    neither is set (there is no default key)."""
    from scrubber.history.store import HistoryStore

    if isinstance(key, str):
        key = key.encode("utf-8")
    if isinstance(key, bytes):
        key = HistoryKey(key)
    return HistoryStore.open(url, key)


__all__ = [
    "ENV_KEY",
    "ENV_KEY_FILE",
    "BatchClaim",
    "HistoryBatch",
    "HistoryError",
    "HistoryKey",
    "HistoryKeyError",
    "HistoryStore",
    "HistoryStoreError",
    "LineOutcome",
    "RecordSummary",
    "StoredClaim",
    "StoredLine",
    "open_store",
]
