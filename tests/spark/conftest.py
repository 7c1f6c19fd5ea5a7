"""One local Spark session for all the Spark tests (starting one takes 30-100 s):
skipped with a reason when Java or pyspark is missing, a failure instead
under CI (``CI`` set): CI must run the Spark tests."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark import SparkContext


def _missing() -> str:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'scrubber[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java on PATH or JAVA_HOME) for Spark"
    return ""


@pytest.fixture(scope="session")
def spark_context() -> Iterator[SparkContext]:
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so the Spark tests must run", pytrace=False)
        pytest.skip(reason)
    from scrubber.spark.runner import start_session

    session = start_session("local[2]", {"spark.default.parallelism": "2"})
    try:
        yield session.sparkContext
    finally:
        session.stop()


# A real PostgreSQL for the history test (the history tests' fixtures).
from tests.history.conftest import postgres_server, postgres_url  # noqa: E402

__all__ = ["postgres_server", "postgres_url", "spark_context"]
