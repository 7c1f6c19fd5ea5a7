"""One batch's transaction against the store: ``hist.facts`` and ``hist.record``.

:meth:`HistoryStore.batch` opens the transaction and calls
:meth:`HistoryBatch.lock_and_load` with the batch's keys; the caller decides
with ``hist.facts`` and ``hist.registry`` and hands each claim and its
decision, in batch order, to :meth:`HistoryBatch.add` (as they are decided:
the store writes them in chunks), then calls :meth:`HistoryBatch.finish`
once; :meth:`HistoryBatch.record` does both for a batch decided at once.

A ``read_only`` batch (a store opened read-only) loads the same facts
without creating or locking subject rows, and records nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from scrubber.history import schema
from scrubber.history.queries import load_claims, lock_subjects, select_in, upsert_registry
from scrubber.history.records import BatchClaim, BatchKey, RecordSummary, StoredClaim
from scrubber.history.rows import (
    ClearKeys,
    pseudonym,
    registered_course,
    registry_key,
    site_names,
    subject_values,
)
from scrubber.history.writer import Writer
from scrubber.rules.facts import ClaimFacts, PatientKey
from scrubber.rules.findings import ClaimDecision
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse

if TYPE_CHECKING:
    from scrubber.history.store import HistoryStore

# (subject hash, CLM01) and (subject hash, REF*F8) of the batch's claims
Superseded = tuple[set[tuple[str, str]], set[tuple[str, str]]]


class HistoryBatch:
    """The history side of one batch's transaction (see :meth:`HistoryStore.batch`).

    ``facts`` (the stored facts of the batch's subjects) and ``registry`` are
    set by :meth:`lock_and_load`; ``facts`` is let go when the first claim
    is recorded (the caller has built its context from it by then)."""

    def __init__(
        self,
        store: HistoryStore,
        conn: sa.Connection,
        claims: Sequence[BatchKey],
        source: str,
        registry: CourseRegistry,
        *,
        read_only: bool = False,
    ) -> None:
        self._store = store
        self._read_only = read_only
        self._conn = conn
        self._claims = claims
        self._source = Path(source).name if source else ""
        self._file_registry = registry
        self._writer: Writer | None = None
        self._added = 0
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
        batch_patients: dict[str, PatientKey] = {}
        subjects = {(claim.patient, claim.entity) for claim in self._claims}
        for patient, _ in subjects:
            batch_patients[key.patient(patient)] = patient
        values = [subject_values(key, patient, entity) for patient, entity in subjects]
        if self._read_only:  # the subjects stored already; none created, none locked
            table = schema.subjects
            hashes = (value["subject_hash"] for value in values)
            subject_rows = select_in(self._conn, table, table.c.subject_hash, hashes)
        else:
            subject_rows = lock_subjects(self._conn, values)
        self._subject_ids = {row.subject_hash: int(row.id) for row in subject_rows}
        sites = site_names(key, self._claims, self._file_registry)
        patients = {row.id: batch_patients[row.patient_hash] for row in subject_rows}
        self._stored = load_claims(self._conn, list(patients), ClearKeys(patients, sites))
        superseded = self._superseded_keys()
        hash_of_subject = {row.id: row.subject_hash for row in subject_rows}
        self.facts = tuple(
            claim.facts
            for claim in self._stored
            if not _is_superseded(claim, hash_of_subject, superseded)
        )
        self.registry = self._merged_registry(sites)

    def record(self, decided: Iterable[tuple[BatchClaim, ClaimDecision]]) -> RecordSummary:
        """:meth:`add` every (claim, decision) of the batch, then :meth:`finish`."""
        for claim, decision in decided:
            self.add(claim, decision)
        return self.finish()

    def add(self, claim: BatchClaim, decision: ClaimDecision) -> None:
        """Record the batch's next claim (in batch order) and its decision.
        A claim already stored exactly so is left alone; a replacement or
        void deletes what it replaces."""
        if self._recorded:
            raise RuntimeError("this batch is already recorded")
        if self._added >= len(self._claims):
            raise ValueError(f"more claims recorded than the batch's {len(self._claims)}")
        expected = self._claims[self._added]
        if (claim.facts.patient, claim.facts.ref.claim_id) != (expected.patient, expected.claim_id):
            raise ValueError(f"claim {self._added} recorded is not the batch's claim {self._added}")
        if self._read_only:
            self._stored, self.facts = [], ()
        else:
            self._writer_now().write(claim, decision)
        self._added += 1

    def finish(self) -> RecordSummary:
        """Write what is left and the course registry; what the batch changed."""
        if self._recorded:
            raise RuntimeError("this batch is already recorded")
        if self._added != len(self._claims):
            raise ValueError(f"{self._added} decisions for {len(self._claims)} claims")
        self._recorded = True
        if self._read_only:
            return RecordSummary(None, 0, 0, 0, 0, 0, 0)
        key = self._store.key
        writer = self._writer_now()
        writer.finish()
        registry_rows = upsert_registry(self._conn, key, self._file_registry)
        return RecordSummary(
            batch_id=writer.batch_id,
            recorded=writer.recorded,
            unchanged=writer.unchanged,
            replaced=writer.replaced,
            voided=writer.voided,
            lines=writer.lines,
            registry_rows=registry_rows,
        )

    def _writer_now(self) -> Writer:
        """The writer, made at the first claim recorded; the loaded claims
        and ``facts`` are let go then (the writer keeps what it needs)."""
        if self._writer is None:
            self._writer = Writer(
                self._conn, self._store.key, self._source, self._subject_ids, self._stored
            )
            self._stored, self.facts = [], ()
        return self._writer

    def _superseded_keys(self) -> Superseded:
        key = self._store.key
        by_claim_id: set[tuple[str, str]] = set()
        by_payer_number: set[tuple[str, str]] = set()
        for claim in self._claims:
            subject = key.subject(claim.patient, claim.entity)
            by_claim_id.add((subject, claim.claim_id))
            if claim.payer_claim_number:
                by_payer_number.add((subject, claim.payer_claim_number))
        return by_claim_id, by_payer_number

    def _merged_registry(self, sites: Mapping[str, str]) -> CourseRegistry:
        key = self._store.key
        members = {key.member(c.patient.member_id): c.patient.member_id for c in self._claims}
        rows = select_in(self._conn, schema.registry, schema.registry.c.member_hash, members)
        merged: dict[tuple[str, str, str, dt.date], RegisteredCourse] = {}
        for row in rows:
            site = sites.get(row.site_hash, pseudonym(row.site_hash))
            course = registered_course(row, members[row.member_hash], site)
            merged[registry_key(course)] = course
        for courses in self._file_registry.by_key.values():
            for course in courses:
                merged[registry_key(course)] = course  # the file given now wins
        return CourseRegistry.of(merged.values())


def _is_superseded(
    claim: StoredClaim, subject_hash: Mapping[int, str], superseded: Superseded
) -> bool:
    by_claim_id, by_payer_number = superseded
    subject = subject_hash[claim.subject_id]
    if (subject, claim.facts.ref.claim_id) in by_claim_id:
        return True
    return bool(claim.payer_claim_number) and (subject, claim.payer_claim_number) in by_payer_number
