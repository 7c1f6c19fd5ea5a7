"""Errors of the history store. Messages never contain patient data."""

from __future__ import annotations


class HistoryError(RuntimeError):
    """The history store cannot be used."""


class HistoryKeyError(HistoryError):
    """No usable hashing key, or the store was created with another key."""


class HistoryStoreError(HistoryError):
    """Bad URL, unsupported or newer schema, unreachable database."""
