"""Shared fixtures; the helpers behind them live in :mod:`tests.corpus`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import scrubber
from scrubber import build
from tests.corpus import require_corpus

# pytest's own pytester fixture, for tests/plugin (the pytest plugin's tests). It must be
# enabled here: pytest refuses ``pytest_plugins`` in a conftest below the top level.
pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    """With SCRUBBER_EXPECT_COMPILED=1 (CI's second run, see .ci/run), refuse
    to test anything but the compiled build: run from the project's folder,
    pytest could import the sources beside the tests instead."""
    if os.environ.get("SCRUBBER_EXPECT_COMPILED", "") == "1" and not build.compiled():
        raise pytest.UsageError(
            f"SCRUBBER_EXPECT_COMPILED=1, but the scrubber imported ({scrubber.__file__}) "
            f"is {build.describe()}"
        )


@pytest.fixture
def corpus_dir() -> Path:
    """The public EDI corpus; skips outside the workspace, fails under CI."""
    return require_corpus()
