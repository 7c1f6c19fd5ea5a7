"""Errors of the history store (defined in :mod:`scrubber.errors`, the one
error tree). Messages never contain patient data."""

from __future__ import annotations

from scrubber.errors import HistoryError, HistoryKeyError, HistoryStoreError

__all__ = ["HistoryError", "HistoryKeyError", "HistoryStoreError"]
