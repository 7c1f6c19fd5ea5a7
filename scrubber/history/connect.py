"""History store URLs and engines: which database, and how to connect to it.

- ``sqlite:///path.db``: the file is created mode 0600 (it holds PHI); every
  connection uses a WAL journal and a busy timeout, and every transaction
  starts with ``BEGIN IMMEDIATE`` (one writer at a time, others wait).
- ``postgresql://...`` (``postgres://`` accepted): psycopg 3, with
  ``pool_pre_ping``.
- Read-only engines (``scrub --no-record``, ``check``): SQLite opens an
  existing file only, with ``PRAGMA query_only`` and deferred ``BEGIN`` (a
  reader takes no write lock and waits for no writer under WAL);
  PostgreSQL sessions default to read-only transactions. Either way the
  database itself refuses any write.

Passwords never appear in messages (:func:`redact`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from scrubber.history.errors import HistoryStoreError


def normalize_url(url: str) -> sa.URL:
    """``sqlite:///path`` or ``postgresql://...`` (``postgres://`` accepted),
    as an SQLAlchemy URL using psycopg 3 for PostgreSQL."""
    text = url.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        parsed = sa.make_url(text)
    except sa.exc.ArgumentError as error:
        raise HistoryStoreError(f"history URL is not a database URL: {redact(url)}") from error
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise HistoryStoreError("sqlite history URL needs a file: sqlite:///path/to/history.db")
        return parsed.set(drivername="sqlite")
    raise HistoryStoreError(
        f"history URL must be sqlite:///path.db or postgresql://...: {redact(url)}"
    )


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparsable URL>"


def create_engine(url: sa.URL, sqlite_busy_seconds: int, read_only: bool = False) -> sa.Engine:
    """An engine for ``url`` (as :func:`normalize_url` returns it); SQLite
    waits up to ``sqlite_busy_seconds`` for another writer. ``read_only``:
    the database refuses writes (see the module docstring)."""
    if url.get_backend_name() == "sqlite":
        if read_only:
            return sqlite_reader(url, sqlite_busy_seconds)
        return sqlite_engine(url, sqlite_busy_seconds)
    if read_only:
        options = {"options": "-c default_transaction_read_only=on"}
        return sa.create_engine(url, pool_pre_ping=True, connect_args=options)
    return sa.create_engine(url, pool_pre_ping=True)


def sqlite_engine(url: sa.URL, busy_seconds: int) -> sa.Engine:
    """An SQLite engine: the file created owner-only if missing, WAL,
    foreign keys on, ``BEGIN IMMEDIATE`` transactions."""
    path = Path(str(url.database))
    if not path.exists():
        if not path.parent.is_dir():
            raise HistoryStoreError(f"history store folder does not exist: {path.parent}")
        # PHI lives here: readable by its owner only.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = sa.create_engine(url, connect_args={"timeout": busy_seconds})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
        # implicit BEGIN is deferred and would fail on upgrade to a write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_seconds * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def sqlite_reader(url: sa.URL, busy_seconds: int) -> sa.Engine:
    """A read-only SQLite engine on an existing file: ``PRAGMA query_only``,
    deferred ``BEGIN`` (no write lock is taken)."""
    path = Path(str(url.database))
    if not path.is_file():
        raise HistoryStoreError(f"history store does not exist: {path}")
    engine = sa.create_engine(url, connect_args={"timeout": busy_seconds})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_seconds * 1000}")
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def first_line(error: BaseException) -> str:
    """The first line of ``error``'s message (its type name when empty)."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
