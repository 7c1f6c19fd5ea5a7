"""The course history store: the rules' facts of earlier batches, kept in SQL.

One code path (SQLAlchemy Core) for both back ends:

- ``sqlite:///path.db``: embedded, for one practice. WAL journal and a busy
  timeout: a second process waits for the writer instead of failing. Every
  transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time).
- ``postgresql://...`` (psycopg 3): shared by several scrubber processes.
  A batch's transaction locks the ``subjects`` row of every patient + entity
  it touches (``SELECT ... FOR UPDATE``, created first if missing), in one
  global order so two processes can never deadlock, before it reads that
  patient's history: two processes scrubbing the same patient serialise, and
  neither loses nor doubles a fact.

How a scrub uses it (see :meth:`HistoryStore.batch`)::

    with store.batch(batch_keys, source="week1.x12", registry=registry) as hist:
        context = batch facts + hist.facts, registry=hist.registry
        for claim in batch, in order:
            hist.add(BatchClaim(claim facts, REF*F8), decide(claim, context))
        hist.finish()

A store opened ``read_only`` (``scrub --no-record``, ``scrubber check``)
answers :meth:`HistoryStore.batch` the same way but records nothing: the
facts are loaded in one short read-only transaction (no subject row is
created or locked), ``hist.add`` only checks the order of the claims and
``hist.finish`` reports nothing recorded.

``batch_keys`` are :class:`BatchKey` (what locking and loading needs of a
claim), so the batch's claims and decisions need not be held at once: the
store writes them in chunks as they are added.

``hist.facts`` are the stored :class:`ClaimFacts` of the batch's patients and
entities, minus the claims this batch replaces (same CLM01, or REF*F8 naming
a stored claim's payer claim number) or voids: so a batch scrubbed twice
sees the same context both times and gets the same decisions. Facts come
back with the batch's own clear patient keys and sites (matched by keyed
hash); a stored site that the batch does not name comes back as a
pseudonym (``#`` + digest), which the rules only ever compare for equality.

Modules: :mod:`~scrubber.history.connect` (URLs, engines),
:mod:`~scrubber.history.batch` (one batch's transaction),
:mod:`~scrubber.history.writer` (the bulk writer),
:mod:`~scrubber.history.rows` (rows <-> facts, keyed hashes),
:mod:`~scrubber.history.queries` (shared SQL),
:mod:`~scrubber.history.records` (the value types). Their public names are
importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from scrubber.history import schema
from scrubber.history.batch import HistoryBatch
from scrubber.history.connect import create_engine, first_line, normalize_url, redact
from scrubber.history.errors import HistoryStoreError
from scrubber.history.keys import HistoryKey
from scrubber.history.migrations import check_current, migrate
from scrubber.history.queries import load_claims, select_in, upsert_registry
from scrubber.history.records import (
    HISTORY_SOURCE,
    PSEUDONYM_PREFIX,
    VOID_FREQUENCY,
    BatchClaim,
    BatchKey,
    LineOutcome,
    RecordSummary,
    Snapshot,
    StoredClaim,
    StoredLine,
    line_outcome,
)
from scrubber.history.rows import ClearKeys, pseudonym, pseudonymous_patient, registered_course
from scrubber.rules.radonc.registry import EMPTY_REGISTRY, CourseRegistry

SQLITE_BUSY_SECONDS = 120  # how long an SQLite writer waits for another

__all__ = [
    "HISTORY_SOURCE",
    "PSEUDONYM_PREFIX",
    "SQLITE_BUSY_SECONDS",
    "VOID_FREQUENCY",
    "BatchClaim",
    "BatchKey",
    "HistoryBatch",
    "HistoryStore",
    "LineOutcome",
    "RecordSummary",
    "Snapshot",
    "StoredClaim",
    "StoredLine",
    "line_outcome",
    "normalize_url",
    "redact",
]


class HistoryStore:
    """An open history store. Use :func:`open_store`; close with :meth:`close`
    (or ``with``)."""

    def __init__(
        self, engine: sa.Engine, key: HistoryKey, url: str, read_only: bool = False
    ) -> None:
        self._engine = engine
        self._key = key
        self.url = url  # redacted
        self.read_only = read_only
        self.schema_version_before = 0

    @classmethod
    def open(
        cls,
        url: str,
        key: HistoryKey | None = None,
        *,
        read_only: bool = False,
    ) -> HistoryStore:
        """Open (creating and migrating as needed) the store at ``url``.
        ``read_only``: open an existing, current store that records nothing
        (see the module docstring); nothing is created or migrated.

        ``key`` defaults to :meth:`HistoryKey.from_config`, which refuses to
        run without a configured key."""
        resolved_key = key if key is not None else HistoryKey.from_config()
        parsed = normalize_url(url)
        try:
            engine = create_engine(parsed, SQLITE_BUSY_SECONDS, read_only=read_only)
            store = cls(engine, resolved_key, redact(url), read_only)
            with engine.begin() as conn:
                check = check_current if read_only else migrate
                store.schema_version_before = check(conn, resolved_key.fingerprint())
        except sa.exc.DBAPIError as error:
            raise HistoryStoreError(
                f"cannot open history store {redact(url)}: {first_line(error.orig or error)}"
            ) from error
        return store

    @contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """A transaction; database errors (unreachable server, SQLite still
        locked after the busy timeout) become one-line :class:`HistoryStoreError`."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except sa.exc.DBAPIError as error:
            raise HistoryStoreError(
                f"history store {self.url}: {first_line(error.orig or error)}"
            ) from error

    def close(self) -> None:
        self._engine.dispose()

    def ping(self) -> None:
        """One round trip to the database (raises :class:`HistoryStoreError`)."""
        with self._transaction() as conn:
            conn.execute(sa.text("SELECT 1"))

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def key(self) -> HistoryKey:
        return self._key

    # ---------------------------------------------------------------- scrub

    @contextmanager
    def batch(
        self,
        claims: Sequence[BatchKey],
        *,
        source: str = "",
        registry: CourseRegistry = EMPTY_REGISTRY,
    ) -> Iterator[HistoryBatch]:
        """One transaction around deciding the batch ``claims`` (their keys, in
        batch order): their patients + entities are locked, their stored facts
        loaded; :meth:`HistoryBatch.add` and :meth:`HistoryBatch.finish` (or
        :meth:`HistoryBatch.record`) write the claims and decisions; leaving
        the block commits (an exception rolls back, recording nothing).

        On a ``read_only`` store the facts are loaded in a transaction that
        ends before the block runs, and nothing is recorded."""
        if self.read_only:
            with self._transaction() as conn:
                hist = HistoryBatch(self, conn, claims, source, registry, read_only=True)
                hist.lock_and_load()
            yield hist
            return
        with self._transaction() as conn:
            hist = HistoryBatch(self, conn, claims, source, registry)
            hist.lock_and_load()
            yield hist

    def add_registry(self, registry: CourseRegistry) -> int:
        """Store course registry rows (hashed); returns rows written."""
        if self.read_only:
            raise HistoryStoreError(f"history store {self.url} is open read-only")
        with self._transaction() as conn:
            return upsert_registry(conn, self._key, registry)

    # ---------------------------------------------------------------- retro

    def subject_ids(self) -> list[int]:
        """Every subject (patient + entity) with stored claims, in id order."""
        with self._transaction() as conn:
            rows = conn.execute(
                sa.select(schema.subjects.c.id)
                .where(sa.exists().where(schema.claims.c.subject_id == schema.subjects.c.id))
                .order_by(schema.subjects.c.id)
            )
            return [int(row.id) for row in rows]

    def snapshot(self, subject_ids: Sequence[int]) -> Snapshot:
        """Stored claims of ``subject_ids`` and their members' registry rows,
        with pseudonymous patient keys and sites (nothing in clear to map to)."""
        with self._transaction() as conn:
            subject_rows = select_in(conn, schema.subjects, schema.subjects.c.id, subject_ids)
            patients = {row.id: pseudonymous_patient(row) for row in subject_rows}
            stored = load_claims(conn, list(patients), ClearKeys(patients, {}))
            members = {row.member_hash for row in subject_rows}
            rows = select_in(conn, schema.registry, schema.registry.c.member_hash, members)
            courses = [
                registered_course(row, PSEUDONYM_PREFIX + row.member_hash, pseudonym(row.site_hash))
                for row in rows
            ]
        return Snapshot(tuple(stored), CourseRegistry.of(courses))

    def counts(self) -> dict[str, int]:
        """Row count of each table (for tests and ``retro --format json``)."""
        tables = (
            schema.batches,
            schema.subjects,
            schema.claims,
            schema.lines,
            schema.registry,
        )
        with self._transaction() as conn:
            return {
                table.name: int(
                    conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
                for table in tables
            }

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the data tables, ordered (for idempotency tests)."""
        tables = (schema.batches, schema.subjects, schema.claims, schema.lines, schema.registry)
        with self._transaction() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for table in tables
            }
