"""Shared fixtures; the helpers behind them live in :mod:`tests.corpus`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus import require_corpus

# pytest's own pytester fixture, for tests/plugin (the pytest plugin's tests). It must be
# enabled here: pytest refuses ``pytest_plugins`` in a conftest below the top level.
pytest_plugins = ["pytester"]


@pytest.fixture
def corpus_dir() -> Path:
    """The public EDI corpus; skips outside the workspace, fails under CI."""
    return require_corpus()
