"""Shared fixtures; the helpers behind them live in :mod:`tests.corpus`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import require_corpus


@pytest.fixture
def corpus_dir() -> Path:
    """The public EDI corpus; skips outside the workspace, fails under CI."""
    return require_corpus()
