"""Fixtures for the history store tests: SQLite files and real PostgreSQL.

``store_url`` is parametrized over both back ends. PostgreSQL comes from
``SCRUBBER_TEST_POSTGRES_URL`` (``.ci/run`` sets it) or, when that is unset
and the server binaries exist, from a throwaway cluster started for the test
session. Without either, PostgreSQL tests skip, except under CI (``CI`` set),
where they fail: CI must test against a real server.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.history.pgcluster import ENV_URL, find_bindir, start_cluster

TEST_KEY = b"scrubber-tests-only-history-key-0123456789"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database."""
    url = os.environ.get(ENV_URL, "")
    if url:
        yield url
        return
    bindir = find_bindir()
    if bindir is None:
        reason = f"no PostgreSQL: set {ENV_URL} or install the server binaries"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so PostgreSQL tests must run", pytrace=False)
        pytest.skip(reason)
    try:
        cluster = start_cluster(bindir)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        reason = f"cannot start a throwaway PostgreSQL cluster: {error}"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _fresh_database(server_url: str) -> str:
    name = f"scrubber_test_{uuid.uuid4().hex[:12]}"
    url = sa.make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return url.set(database=name).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty PostgreSQL database for one test."""
    return _fresh_database(postgres_server)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store URL, once per back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    server: str = request.getfixturevalue("postgres_server")
    return _fresh_database(server)
