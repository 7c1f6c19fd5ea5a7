"""Schema versions of the history store, applied in order on open.

A small table ``schema_migrations`` records every applied version; opening a
store applies the missing ones in one transaction, under a lock (a
PostgreSQL advisory transaction lock; SQLite's ``BEGIN IMMEDIATE``), so
several scrubber processes opening a new store at once migrate it once.
A store whose version is newer than this code refuses to open.

Why not Alembic: the store migrates itself when a command line tool opens it,
concurrently, with no ``alembic.ini``/``env.py`` to ship or configure, and
the whole history is a few DDL steps. An ordered tuple of functions with a
version table does that in one page; Alembic would add a dependency (and
Mako) for machinery the store does not use (autogenerate, branches, offline
SQL). Should the schema grow branches or offline DBA review, switch then:
the ``schema_migrations`` table maps onto an Alembic base revision.

Rule for new versions: never edit an applied migration; append one. The test
suite checks that the migrated database has exactly the tables and columns
of :mod:`scrubber.history.schema`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from scrubber.history import schema
from scrubber.history.errors import HistoryKeyError, HistoryStoreError

MIGRATION_LOCK_ID = 0x5C0B_4157  # pg advisory lock id for migrations ("scrub hist")


def _v1_initial(conn: sa.Connection) -> None:
    # Version 1 is the schema module as first released. When schema.py changes,
    # freeze this step's tables here first, then append a migration.
    tables = [
        schema.batches,
        schema.subjects,
        schema.claims,
        schema.lines,
        schema.registry,
    ]
    schema.metadata.create_all(conn, tables=tables)


Migration = tuple[int, str, Callable[[sa.Connection], None]]

MIGRATIONS: tuple[Migration, ...] = ((1, "initial schema", _v1_initial),)
LATEST = MIGRATIONS[-1][0]


def migrate(conn: sa.Connection, key_fingerprint: str) -> int:
    """Bring the store to :data:`LATEST` inside the caller's transaction and
    check (or record) the key fingerprint. Returns the version found before."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
    schema.metadata.create_all(conn, tables=[schema.schema_migrations, schema.store_meta])
    found = conn.execute(sa.select(sa.func.max(schema.schema_migrations.c.version))).scalar()
    before = int(found or 0)
    if before > LATEST:
        raise HistoryStoreError(
            f"history store schema version {before} is newer than this scrubber "
            f"understands ({LATEST}): upgrade the scrubber"
        )
    for version, name, step in MIGRATIONS:
        if version <= before:
            continue
        step(conn)
        conn.execute(
            schema.schema_migrations.insert().values(version=version, name=name, applied_at=_now())
        )
    _check_key(conn, key_fingerprint)
    return before


def check_current(conn: sa.Connection, key_fingerprint: str) -> int:
    """For a read-only store: its version, which must be :data:`LATEST`,
    and its key fingerprint, which must be ``key_fingerprint`` (nothing is
    created or recorded). Returns the version."""
    if not sa.inspect(conn).has_table(schema.schema_migrations.name):
        raise HistoryStoreError(
            "history store has no schema yet: nothing to read (scrub a batch into it first)"
        )
    found = conn.execute(sa.select(sa.func.max(schema.schema_migrations.c.version))).scalar()
    version = int(found or 0)
    if version != LATEST:
        raise HistoryStoreError(
            f"history store schema version {version} is not this scrubber's ({LATEST}): "
            "open it once without --no-record to migrate it, or upgrade the scrubber"
        )
    meta = schema.store_meta
    stored = conn.execute(sa.select(meta.c.value).where(meta.c.name == "key_fingerprint")).scalar()
    if stored is not None and stored != key_fingerprint:
        raise HistoryKeyError(
            "history store was created with another key (SCRUBBER_HISTORY_KEY): "
            "with this key it would match no patient"
        )
    return version


def _check_key(conn: sa.Connection, fingerprint: str) -> None:
    meta = schema.store_meta
    stored = conn.execute(sa.select(meta.c.value).where(meta.c.name == "key_fingerprint")).scalar()
    if stored is None:
        conn.execute(meta.insert().values(name="key_fingerprint", value=fingerprint))
    elif stored != fingerprint:
        raise HistoryKeyError(
            "history store was created with another key (SCRUBBER_HISTORY_KEY): "
            "with this key it would match no patient"
        )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
