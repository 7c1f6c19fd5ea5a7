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

    with store.batch(batch_claims, source="week1.x12", registry=registry) as hist:
        decisions = decide(batch facts + hist.facts, registry=hist.registry)
        hist.record(decisions)

``hist.facts`` are the stored :class:`ClaimFacts` of the batch's patients and
entities, minus the claims this batch replaces (same CLM01, or REF*F8 naming
a stored claim's payer claim number) or voids: so a batch scrubbed twice
sees the same context both times and gets the same decisions. Facts come
back with the batch's own clear patient keys and sites (matched by keyed
hash); a stored site that the batch does not name comes back as a
pseudonym (``#`` + digest), which the rules only ever compare for equality.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from scrubber.findings import ClaimDecision, ClaimStatus
from scrubber.history import schema
from scrubber.history.errors import HistoryStoreError
from scrubber.history.keys import HistoryKey
from scrubber.history.migrations import migrate
from scrubber.model import Claim, ClaimKind, DateRange
from scrubber.rules.facts import (
    ClaimFacts,
    ClaimRef,
    Component,
    LineFact,
    PatientKey,
)
from scrubber.rules.facts import (
    Setting as LineSetting,
)
from scrubber.rules.registry import EMPTY_REGISTRY, CourseRegistry, RegisteredCourse

SQLITE_BUSY_SECONDS = 120
HISTORY_SOURCE = "history"  # ClaimRef.source of facts that come from the store
PSEUDONYM_PREFIX = "#"  # a hashed value the caller cannot name in clear
VOID_FREQUENCY = "8"
_CHUNK = 500


class LineOutcome(StrEnum):
    """What a batch finally did with a stored line."""

    BILLED = "billed"  # passed (possibly with warnings)
    REPAIRED = "repaired"  # passed with units repaired
    REMOVED = "removed"  # removed from the cleaned claim
    REJECTED = "rejected"  # its claim was rejected


@dataclass(frozen=True, slots=True)
class BatchClaim:
    """A claim of the batch being scrubbed: its facts and its REF*F8."""

    facts: ClaimFacts
    payer_claim_number: str = ""

    @classmethod
    def of(cls, claim: Claim, facts: ClaimFacts) -> BatchClaim:
        return cls(facts, claim.payer_claim_number.strip())


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What :meth:`HistoryBatch.record` changed. ``batch_id`` is ``None``
    when nothing changed (the batch was already recorded as it is)."""

    batch_id: int | None
    recorded: int  # claims inserted or updated
    unchanged: int  # claims already stored exactly so
    replaced: int  # stored claims deleted because this batch replaces them
    voided: int  # stored claims deleted by a void (CLM05-3 = 8)
    lines: int  # line rows written
    registry_rows: int  # registry rows written (inserted or updated)


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A stored line: its fact and what its batch decided."""

    fact: LineFact
    outcome: LineOutcome
    findings: tuple[tuple[str, str], ...]  # (rule, action) of findings on the line


@dataclass(frozen=True, slots=True)
class StoredClaim:
    facts: ClaimFacts
    status: ClaimStatus
    payer_claim_number: str
    lines: tuple[StoredLine, ...]
    batch_id: int
    subject_id: int
    digest: str  # keyed hash of what the claim contributed (see _Writer.digest)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Stored claims of some subjects, with pseudonymous keys, and the
    registry rows of their members (for :mod:`scrubber.history.retro`)."""

    claims: tuple[StoredClaim, ...]
    registry: CourseRegistry


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


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    path = Path(str(url.database))
    if not path.exists():
        if not path.parent.is_dir():
            raise HistoryStoreError(f"history store folder does not exist: {path.parent}")
        # PHI lives here: readable by its owner only.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
        # implicit BEGIN is deferred and would fail on upgrade to a write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class HistoryStore:
    """An open history store. Use :func:`open_store`; close with :meth:`close`
    (or ``with``)."""

    def __init__(self, engine: sa.Engine, key: HistoryKey, url: str) -> None:
        self._engine = engine
        self._key = key
        self.url = url  # redacted
        self.schema_version_before = 0

    @classmethod
    def open(
        cls,
        url: str,
        key: HistoryKey | None = None,
    ) -> HistoryStore:
        """Open (creating and migrating as needed) the store at ``url``.

        ``key`` defaults to :meth:`HistoryKey.from_config`, which refuses to
        run without a configured key."""
        resolved_key = key if key is not None else HistoryKey.from_config()
        parsed = normalize_url(url)
        try:
            if parsed.get_backend_name() == "sqlite":
                engine = _sqlite_engine(parsed)
            else:
                engine = sa.create_engine(parsed, pool_pre_ping=True)
            store = cls(engine, resolved_key, redact(url))
            with engine.begin() as conn:
                store.schema_version_before = migrate(conn, resolved_key.fingerprint())
        except sa.exc.DBAPIError as error:
            raise HistoryStoreError(
                f"cannot open history store {redact(url)}: {_first_line(error.orig or error)}"
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
                f"history store {self.url}: {_first_line(error.orig or error)}"
            ) from error

    def close(self) -> None:
        self._engine.dispose()

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
        claims: Sequence[BatchClaim],
        *,
        source: str = "",
        registry: CourseRegistry = EMPTY_REGISTRY,
    ) -> Iterator[HistoryBatch]:
        """One transaction around deciding ``claims``: the patients + entities
        of ``claims`` are locked, their stored facts loaded; :meth:`HistoryBatch.record`
        writes the decisions; leaving the block commits (an exception rolls
        back, recording nothing)."""
        with self._transaction() as conn:
            hist = HistoryBatch(self, conn, claims, source, registry)
            hist.lock_and_load()
            yield hist

    def add_registry(self, registry: CourseRegistry) -> int:
        """Store course registry rows (hashed); returns rows written."""
        with self._transaction() as conn:
            return _upsert_registry(conn, self._key, registry)

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
            subject_rows = _select_in(conn, schema.subjects, schema.subjects.c.id, subject_ids)
            patients = {row.id: _pseudonymous_patient(row) for row in subject_rows}
            stored = _load_claims(conn, list(patients), _Keys(patients, {}))
            members = {row.member_hash for row in subject_rows}
            rows = _select_in(conn, schema.registry, schema.registry.c.member_hash, members)
            courses = [
                RegisteredCourse(
                    member_id=PSEUDONYM_PREFIX + row.member_hash,
                    billing_npi=row.entity,
                    site=_pseudonym(row.site_hash),
                    first_dos=row.first_dos,
                    planned_fractions=row.planned_fractions,
                )
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


class HistoryBatch:
    """The history side of one batch's transaction (see :meth:`HistoryStore.batch`)."""

    def __init__(
        self,
        store: HistoryStore,
        conn: sa.Connection,
        claims: Sequence[BatchClaim],
        source: str,
        registry: CourseRegistry,
    ) -> None:
        self._store = store
        self._conn = conn
        self._claims = tuple(claims)
        self._source = Path(source).name if source else ""
        self._file_registry = registry
        self._recorded = False
        self._subject_ids: dict[str, int] = {}
        self._stored: list[StoredClaim] = []
        self.facts: tuple[ClaimFacts, ...] = ()
        self.registry: CourseRegistry = registry

    def lock_and_load(self) -> None:
        """Lock the batch's subjects (patient + entity rows) and load their facts.

        Subject rows are first created if missing, then locked with
        ``SELECT ... FOR UPDATE``, both in subject-hash order: every process
        takes row locks in one global order, so two batches touching the same
        patients serialise and can never deadlock. Row locks cost no shared
        lock-table slots (a batch may hold thousands). SQLite has no row locks
        (SQLAlchemy renders no FOR UPDATE there): its ``BEGIN IMMEDIATE``
        already serialises writers."""
        key = self._store.key
        conn = self._conn
        batch_patients: dict[str, PatientKey] = {}
        subjects: dict[str, dict[str, Any]] = {}
        for claim in self._claims:
            facts = claim.facts
            batch_patients[key.patient(facts.patient)] = facts.patient
            subject = key.subject(facts.patient, facts.entity)
            subjects[subject] = {
                "subject_hash": subject,
                "patient_hash": key.patient(facts.patient),
                "payer_id": facts.patient.payer_id,
                "member_hash": key.member(facts.patient.member_id),
                "person_hash": key.person(facts.patient),
                "entity": facts.entity,
            }
        ordered = [subjects[s] for s in sorted(subjects)]
        if ordered:
            conn.execute(_insert_ignore(conn, schema.subjects, ["subject_hash"]), ordered)
        table = schema.subjects
        subject_rows: list[Any] = []
        for start in range(0, len(ordered), _CHUNK):
            chunk = [row["subject_hash"] for row in ordered[start : start + _CHUNK]]
            subject_rows.extend(
                conn.execute(
                    sa.select(table)
                    .where(table.c.subject_hash.in_(chunk))
                    .order_by(table.c.subject_hash)
                    .with_for_update()
                )
            )
        self._subject_ids = {row.subject_hash: int(row.id) for row in subject_rows}
        sites = _site_names(key, self._claims, self._file_registry)
        patients = {row.id: batch_patients[row.patient_hash] for row in subject_rows}
        stored = _load_claims(conn, list(patients), _Keys(patients, sites))
        self._stored = stored
        superseded = self._superseded_keys()
        hash_of_subject = {row.id: row.subject_hash for row in subject_rows}
        self.facts = tuple(
            claim.facts
            for claim in stored
            if not _is_superseded(claim, hash_of_subject, superseded)
        )
        self.registry = self._merged_registry(sites)

    def record(self, decisions: Sequence[ClaimDecision]) -> RecordSummary:
        """Write the batch's facts and decisions (``decisions[i]`` is that of
        the batch's claim ``i``). Claims already stored exactly so are left
        alone; replacements and voids delete what they replace."""
        if len(decisions) != len(self._claims):
            raise ValueError(f"{len(decisions)} decisions for {len(self._claims)} claims")
        if self._recorded:
            raise RuntimeError("this batch is already recorded")
        self._recorded = True
        writer = _Writer(self._conn, self._store.key, self._source, self._subject_ids, self._stored)
        for claim, decision in zip(self._claims, decisions, strict=True):
            writer.write(claim, decision)
        writer.finish()
        registry_rows = _upsert_registry(self._conn, self._store.key, self._file_registry)
        return RecordSummary(
            batch_id=writer.batch_id,
            recorded=writer.recorded,
            unchanged=writer.unchanged,
            replaced=writer.replaced,
            voided=writer.voided,
            lines=writer.lines,
            registry_rows=registry_rows,
        )

    def _superseded_keys(self) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        key = self._store.key
        by_claim_id: set[tuple[str, str]] = set()
        by_payer_number: set[tuple[str, str]] = set()
        for claim in self._claims:
            subject = key.subject(claim.facts.patient, claim.facts.entity)
            by_claim_id.add((subject, claim.facts.ref.claim_id))
            if claim.payer_claim_number:
                by_payer_number.add((subject, claim.payer_claim_number))
        return by_claim_id, by_payer_number

    def _merged_registry(self, sites: Mapping[str, str]) -> CourseRegistry:
        key = self._store.key
        members = {
            key.member(c.facts.patient.member_id): c.facts.patient.member_id for c in self._claims
        }
        rows = _select_in(self._conn, schema.registry, schema.registry.c.member_hash, members)
        merged: dict[tuple[str, str, str, dt.date], RegisteredCourse] = {}
        for row in rows:
            course = RegisteredCourse(
                member_id=members[row.member_hash],
                billing_npi=row.entity,
                site=sites.get(row.site_hash, _pseudonym(row.site_hash)),
                first_dos=row.first_dos,
                planned_fractions=row.planned_fractions,
            )
            merged[_registry_key(course)] = course
        for courses in self._file_registry.by_key.values():
            for course in courses:
                merged[_registry_key(course)] = course  # the file given now wins
        return CourseRegistry.of(merged.values())


# ------------------------------------------------------------------ writing


@dataclass(slots=True, eq=False)
class _Entry:
    """A claim row of the batch's subjects: stored (``row_id``) or to insert."""

    subject_id: int
    claim_id: str
    payer_claim_number: str
    digest: str
    row_id: int | None = None
    values: dict[str, Any] | None = None
    lines: list[dict[str, Any]] | None = None
    alive: bool = True


class _Writer:
    """Decides, claim by claim in batch order, what changes (in memory, from
    the rows loaded under lock), then writes it in a few bulk statements."""

    def __init__(
        self,
        conn: sa.Connection,
        key: HistoryKey,
        source: str,
        subject_ids: Mapping[str, int],
        stored: Sequence[StoredClaim],
    ) -> None:
        self.conn = conn
        self.key = key
        self.source = source
        self.batch_id: int | None = None
        self.recorded = self.unchanged = self.replaced = self.voided = self.lines = 0
        self._subject_ids = subject_ids  # locked by HistoryBatch.lock_and_load
        self._by_claim: dict[tuple[int, str], _Entry] = {}
        self._by_pcn: dict[tuple[int, str], list[_Entry]] = {}
        self._delete: list[int] = []
        self._insert: list[_Entry] = []
        for claim in stored:
            self._index(
                _Entry(
                    subject_id=claim.subject_id,
                    claim_id=claim.facts.ref.claim_id,
                    payer_claim_number=claim.payer_claim_number,
                    digest=claim.digest,
                    row_id=claim.facts.ref.seq,
                )
            )

    def _index(self, entry: _Entry) -> None:
        self._by_claim[(entry.subject_id, entry.claim_id)] = entry
        if entry.payer_claim_number:
            key = (entry.subject_id, entry.payer_claim_number)
            self._by_pcn.setdefault(key, []).append(entry)

    def _matches(self, subject_id: int, claim_id: str, pcn: str) -> list[_Entry]:
        found: dict[int, _Entry] = {}
        entry = self._by_claim.get((subject_id, claim_id))
        if entry is not None and entry.alive:
            found[id(entry)] = entry
        if pcn:
            for other in self._by_pcn.get((subject_id, pcn), ()):
                if other.alive:
                    found[id(other)] = other
        return list(found.values())

    def write(self, claim: BatchClaim, decision: ClaimDecision) -> None:
        facts = claim.facts
        subject_id = self._subject_id(facts)
        pcn = claim.payer_claim_number
        existing = self._matches(subject_id, facts.ref.claim_id, pcn)
        void = facts.frequency_code == VOID_FREQUENCY
        rows = self._line_rows(facts, decision)
        digest = self._digest(claim, decision, rows)
        if not void and len(existing) == 1 and existing[0].digest == digest:
            self.unchanged += 1
            return
        for entry in existing:
            entry.alive = False
            if entry.row_id is not None:
                self._delete.append(entry.row_id)
            if void:
                self.voided += 1
            else:
                self.replaced += 1
        if void:
            return
        span = facts.closing_span
        entry = _Entry(
            subject_id=subject_id,
            claim_id=facts.ref.claim_id,
            payer_claim_number=pcn,
            digest=digest,
            values={
                "subject_id": subject_id,
                "claim_id": facts.ref.claim_id,
                "payer_claim_number": pcn,
                "kind": facts.kind.value,
                "frequency_code": facts.frequency_code,
                "closing_start": span.start if span else None,
                "closing_end": span.end if span else None,
                "status": decision.status.value,
                "digest": digest,
            },
            lines=rows,
        )
        self._index(entry)
        self._insert.append(entry)
        self.recorded += 1
        self.lines += len(rows)

    def finish(self) -> None:
        """Write what :meth:`write` decided: deletions, then insertions."""
        inserts = [entry for entry in self._insert if entry.alive]
        if not self._delete and not inserts:
            return  # nothing changed: no batch row either
        claims, lines = schema.claims, schema.lines
        for start in range(0, len(self._delete), _CHUNK):
            chunk = self._delete[start : start + _CHUNK]
            self.conn.execute(lines.delete().where(lines.c.claim_row.in_(chunk)))
            self.conn.execute(claims.delete().where(claims.c.id.in_(chunk)))
        self.batch_id = self.conn.execute(
            schema.batches.insert()
            .values(source=self.source, recorded_at=_now(), claims=len(inserts))
            .returning(schema.batches.c.id)
        ).scalar_one()
        if not inserts:
            return
        params = [
            {**(entry.values or {}), "batch_id": self.batch_id, "batch_seq": seq}
            for seq, entry in enumerate(inserts, start=1)
        ]
        ids = (
            self.conn.execute(
                claims.insert().returning(claims.c.id, sort_by_parameter_order=True), params
            )
            .scalars()
            .all()
        )
        line_params = [
            {**row, "claim_row": claim_row}
            for entry, claim_row in zip(inserts, ids, strict=True)
            for row in entry.lines or ()
        ]
        if line_params:
            self.conn.execute(lines.insert(), line_params)

    def _subject_id(self, facts: ClaimFacts) -> int:
        return self._subject_ids[self.key.subject(facts.patient, facts.entity)]

    def _line_rows(self, facts: ClaimFacts, decision: ClaimDecision) -> list[dict[str, Any]]:
        findings: dict[int, list[tuple[str, str]]] = {}
        for finding in decision.findings:
            if finding.line is not None:
                findings.setdefault(finding.line, []).append((finding.rule, finding.action.value))
        rows = []
        for fact in facts.lines:
            rows.append(
                {
                    "lx": fact.lx,
                    "line_control": fact.line_control,
                    "site_hash": self.key.site(fact.site),
                    "dos": fact.dos,
                    "code": fact.code,
                    "modifiers": ":".join(fact.modifiers),
                    "units": str(fact.units),
                    "component": fact.component.value,
                    "setting": fact.setting.value,
                    "authorized": fact.authorized,
                    "documented": fact.documented,
                    "outcome": line_outcome(fact.lx, decision).value,
                    "findings": json.dumps(sorted(findings.get(fact.lx, ()))),
                }
            )
        return rows

    def _digest(
        self, claim: BatchClaim, decision: ClaimDecision, rows: list[dict[str, Any]]
    ) -> str:
        facts = claim.facts
        span = facts.closing_span
        canonical = json.dumps(
            [
                facts.kind.value,
                facts.frequency_code,
                claim.payer_claim_number,
                str(span) if span else "",
                decision.status.value,
                [{k: str(v) for k, v in sorted(row.items())} for row in rows],
            ],
            sort_keys=True,
        )
        return self.key.digest("claim", facts.ref.claim_id, canonical)


def line_outcome(lx: int, decision: ClaimDecision) -> LineOutcome:
    """What ``decision`` does with line ``lx``."""
    if decision.status is ClaimStatus.REJECTED:
        return LineOutcome.REJECTED
    if lx in decision.removed_lines:
        return LineOutcome.REMOVED
    if lx in decision.repaired_units:
        return LineOutcome.REPAIRED
    return LineOutcome.BILLED


def _upsert_registry(conn: sa.Connection, key: HistoryKey, registry: CourseRegistry) -> int:
    written = 0
    table = schema.registry
    rows = sorted(
        (
            {
                "member_hash": key.member(course.member_id),
                "entity": course.billing_npi,
                "site_hash": key.site(course.site),
                "first_dos": course.first_dos,
                "planned_fractions": course.planned_fractions,
            }
            for courses in registry.by_key.values()
            for course in courses
        ),
        # One global order for the row locks the upserts take: no deadlock.
        key=lambda row: (row["member_hash"], row["entity"], row["site_hash"], row["first_dos"]),
    )
    unique = ["member_hash", "entity", "site_hash", "first_dos"]
    for values in rows:
        statement: Any
        if conn.dialect.name == "postgresql":
            statement = pg_dialect.insert(table).values(**values)
        else:
            statement = sqlite_dialect.insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=unique,
            set_={"planned_fractions": statement.excluded.planned_fractions},
            where=table.c.planned_fractions != statement.excluded.planned_fractions,
        )
        written += max(conn.execute(statement).rowcount, 0)
    return written


def _insert_ignore(conn: sa.Connection, table: sa.Table, unique: list[str]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (parameters given at execution)."""
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table).on_conflict_do_nothing(index_elements=unique)
    return sqlite_dialect.insert(table).on_conflict_do_nothing(index_elements=unique)


# ------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class _Keys:
    """How to turn stored hashes back into rule keys: the patient of each
    subject id, and clear sites by site hash (others become pseudonyms)."""

    patients: Mapping[int, PatientKey]
    sites: Mapping[str, str]

    def site(self, site_hash: str) -> str:
        return self.sites.get(site_hash) or _pseudonym(site_hash)


def _load_claims(conn: sa.Connection, subject_ids: list[int], keys: _Keys) -> list[StoredClaim]:
    claims, lines = schema.claims, schema.lines
    result: list[StoredClaim] = []
    for start in range(0, len(subject_ids), _CHUNK):
        chunk = subject_ids[start : start + _CHUNK]
        claim_rows = conn.execute(
            sa.select(claims, schema.subjects.c.entity)
            .join(schema.subjects, schema.subjects.c.id == claims.c.subject_id)
            .where(claims.c.subject_id.in_(chunk))
            .order_by(claims.c.id)
        ).all()
        line_rows: dict[int, list[Any]] = {}
        for row in conn.execute(
            sa.select(lines)
            .join(claims, claims.c.id == lines.c.claim_row)
            .where(claims.c.subject_id.in_(chunk))
            .order_by(lines.c.claim_row, lines.c.lx, lines.c.id)
        ):
            line_rows.setdefault(row.claim_row, []).append(row)
        for row in claim_rows:
            result.append(_stored_claim(row, line_rows.get(row.id, []), keys))
    return result


def _stored_claim(row: Any, line_rows: list[Any], keys: _Keys) -> StoredClaim:
    patient = keys.patients[row.subject_id]
    ref = ClaimRef(row.claim_id, HISTORY_SOURCE, int(row.id))
    kind = ClaimKind(row.kind)
    stored_lines = tuple(
        StoredLine(
            fact=LineFact(
                claim=ref,
                lx=int(line.lx),
                line_control=line.line_control,
                patient=patient,
                entity=row.entity,
                site=keys.site(line.site_hash),
                dos=line.dos,
                code=line.code,
                modifiers=tuple(m for m in line.modifiers.split(":") if m),
                units=Decimal(line.units),
                kind=kind,
                component=Component(line.component),
                setting=LineSetting(line.setting),
                authorized=bool(line.authorized),
                documented=bool(line.documented),
            ),
            outcome=LineOutcome(line.outcome),
            findings=tuple((rule, action) for rule, action in json.loads(line.findings)),
        )
        for line in line_rows
    )
    span = (
        DateRange(row.closing_start, row.closing_end)
        if row.closing_start is not None and row.closing_end is not None
        else None
    )
    facts = ClaimFacts(
        ref=ref,
        kind=kind,
        patient=patient,
        entity=row.entity,
        frequency_code=row.frequency_code,
        lines=tuple(line.fact for line in stored_lines),
        closing_span=span,
    )
    return StoredClaim(
        facts=facts,
        status=ClaimStatus(row.status),
        payer_claim_number=row.payer_claim_number,
        lines=stored_lines,
        batch_id=int(row.batch_id),
        subject_id=int(row.subject_id),
        digest=row.digest,
    )


def _is_superseded(
    claim: StoredClaim,
    subject_hash: Mapping[int, str],
    superseded: tuple[set[tuple[str, str]], set[tuple[str, str]]],
) -> bool:
    by_claim_id, by_payer_number = superseded
    subject = subject_hash[claim.subject_id]
    if (subject, claim.facts.ref.claim_id) in by_claim_id:
        return True
    return bool(claim.payer_claim_number) and (subject, claim.payer_claim_number) in by_payer_number


def _site_names(
    key: HistoryKey, claims: Iterable[BatchClaim], registry: CourseRegistry
) -> dict[str, str]:
    names: dict[str, str] = {}
    for claim in claims:
        for fact in claim.facts.lines:
            if fact.site:
                names[key.site(fact.site)] = fact.site
    for courses in registry.by_key.values():
        for course in courses:
            names[key.site(course.site)] = course.site
    return names


def _pseudonymous_patient(row: Any) -> PatientKey:
    return PatientKey(
        payer_id=row.payer_id,
        member_id=PSEUDONYM_PREFIX + row.member_hash,
        last_name=PSEUDONYM_PREFIX + row.person_hash if row.person_hash else "",
    )


def _pseudonym(site_hash: str) -> str:
    return PSEUDONYM_PREFIX + site_hash if site_hash else ""


def _registry_key(course: RegisteredCourse) -> tuple[str, str, str, dt.date]:
    return (course.member_id, course.billing_npi, course.site, course.first_dos)


def _select_in(
    conn: sa.Connection, table: sa.Table, column: sa.ColumnElement[Any], values: Iterable[Any]
) -> list[Any]:
    items = sorted(set(values))
    rows: list[Any] = []
    for start in range(0, len(items), _CHUNK):
        rows.extend(conn.execute(sa.select(table).where(column.in_(items[start : start + _CHUNK]))))
    return rows


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
