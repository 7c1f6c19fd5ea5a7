"""Each test here starts and ends with structlog unconfigured: an earlier test
that ran the CLI in-process (``SCRUBBER_LOG_LEVEL=info``, standard error
captured) leaves structlog writing to a stream pytest has closed since."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
