"""Fixtures of the service tests: one real server for the module's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.server import Server, require_service


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``scrubber serve`` with 2 workers, a queue of 2 and the default limits."""
    require_service()
    folder = tmp_path_factory.mktemp("service")
    with Server(folder / "spool", ["--workers", "2", "--queue", "2"]) as running:
        yield running


@pytest.fixture
def samples_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "edi_samples"
