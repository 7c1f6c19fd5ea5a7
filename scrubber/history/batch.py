"""One batch's transaction against the store: ``hist.facts`` and ``hist.record``.

:meth:`HistoryStore.batch` opens the transaction and calls
:meth:`HistoryBatch.lock_and_load`; the caller decides with ``hist.facts``
and ``hist.registry``, then calls :meth:`HistoryBatch.record` once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from scrubber.findings import ClaimDecision
from scrubber.history import schema
from scrubber.history.queries import load_claims, lock_subjects, select_in, upsert_registry
from scrubber.history.records import BatchClaim, RecordSummary, StoredClaim
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
from scrubber.rules.registry import CourseRegistry, RegisteredCourse

if TYPE_CHECKING:
    from scrubber.history.store import HistoryStore

# (subject hash, CLM01) and (subject hash, REF*F8) of the batch's claims
Superseded = tuple[set[tuple[str, str]], set[tuple[str, str]]]


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
        batch_patients: dict[str, PatientKey] = {}
        for claim in self._claims:
            batch_patients[key.patient(claim.facts.patient)] = claim.facts.patient
        subject_rows = lock_subjects(
            self._conn, [subject_values(key, claim.facts) for claim in self._claims]
        )
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

    def record(self, decisions: Sequence[ClaimDecision]) -> RecordSummary:
        """Write the batch's facts and decisions (``decisions[i]`` is that of
        the batch's claim ``i``). Claims already stored exactly so are left
        alone; replacements and voids delete what they replace."""
        if len(decisions) != len(self._claims):
            raise ValueError(f"{len(decisions)} decisions for {len(self._claims)} claims")
        if self._recorded:
            raise RuntimeError("this batch is already recorded")
        self._recorded = True
        key = self._store.key
        writer = Writer(self._conn, key, self._source, self._subject_ids, self._stored)
        for claim, decision in zip(self._claims, decisions, strict=True):
            writer.write(claim, decision)
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

    def _superseded_keys(self) -> Superseded:
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
