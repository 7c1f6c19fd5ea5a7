"""Course history across batches (``--history URL``).

The rules decide a claim in the context of every claim of the same patient
and billing entity; a history store supplies the facts of earlier batches so
that a course billed week by week is judged as if billed in one file.

Using it::

    export SCRUBBER_HISTORY_KEY=...   # or SCRUBBER_HISTORY_KEY_FILE=/path/key
    scrubber scrub week12.x12 --history sqlite:///var/lib/scrubber/history.db
    scrubber scrub week12.x12 --history postgresql://scrubber@db/scrubber
    scrubber retro --history URL [--courses courses.csv] [--as-of 2026-11-26]

``scrub(source, history=URL_or_store)`` in Python. SQLite is the embedded
store for one practice (one writer at a time, others wait); PostgreSQL is
shared by several scrubber processes (per-patient row locks). The schema is
created and migrated on open (:mod:`scrubber.history.migrations`).

Operations: keep the key as secret as the database and back it up with it;
without the key the store is useless (patients are matched by keyed hash)
and the store refuses any other key. The store still holds PHI (dates of
service, claim numbers): protect it like the claim files (the SQLite file is
created mode 0600). Key rotation is not supported yet: a new key needs a new
store.

Modules: :mod:`~scrubber.history.store` (the store; its parts are
:mod:`~scrubber.history.connect`, :mod:`~scrubber.history.batch`,
:mod:`~scrubber.history.writer`, :mod:`~scrubber.history.rows`,
:mod:`~scrubber.history.queries` and :mod:`~scrubber.history.records`),
:mod:`~scrubber.history.retro` (``scrubber retro``),
:mod:`~scrubber.history.keys` (HMAC), :mod:`~scrubber.history.schema`.
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
        BatchKey,
        HistoryBatch,
        HistoryStore,
        LineOutcome,
        RecordSummary,
        StoredClaim,
        StoredLine,
    )

_LAZY = {
    "BatchClaim",
    "BatchKey",
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


def open_store(
    url: str, key: HistoryKey | bytes | str | None = None, *, read_only: bool = False
) -> HistoryStore:
    """Open the history store at ``url`` (``sqlite:///path.db`` or
    ``postgresql://...``), creating and migrating it as needed; with
    ``read_only``, an existing store that supplies context and records
    nothing (the database refuses writes; nothing is created or migrated).

    ``key`` is the HMAC key for patient identifiers; ``None`` reads it from
    ``SCRUBBER_HISTORY_KEY`` / ``SCRUBBER_HISTORY_KEY_FILE`` and fails when
    neither is set (there is no default key)."""
    from scrubber.history.store import HistoryStore

    if isinstance(key, str):
        key = key.encode("utf-8")
    if isinstance(key, bytes):
        key = HistoryKey(key)
    return HistoryStore.open(url, key, read_only=read_only)


__all__ = [
    "ENV_KEY",
    "ENV_KEY_FILE",
    "BatchClaim",
    "BatchKey",
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
