"""The bulk writer behind :meth:`HistoryBatch.record`.

:meth:`Writer.write` decides, claim by claim in batch order, what changes,
from the rows loaded under lock. A claim stored exactly so is left alone; a
claim replaces the stored claims with its CLM01 or its REF*F8 payer claim
number; a void (CLM05-3 = 8) deletes them and stores nothing. A claim with
no service line (rejected by IG003) is not recorded: it has nothing to give
as course context. A claim whose amounts do not reconcile (rejected by IG004
or IG005) is recorded as rejected, its lines marked
:data:`~scrubber.history.records.AMOUNTS_NOT_KEPT` (the store keeps no
amounts to decide it again by), unless it would replace a stored claim: the
payer still has that one, and it stays until a corrected claim replaces it.

Changes are written in bulk statements every :data:`CHUNK` new claims (and
by :meth:`Writer.finish`): deletions first, then insertions, so a
replacement never meets the row it replaces. Only the rows of the chunk in
hand are held, so a batch of any size is recorded in bounded memory. A claim
of this batch already written and replaced later in the same batch is
deleted again. When nothing changes nothing is written, no batch row either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from scrubber.history import schema
from scrubber.history.keys import HistoryKey
from scrubber.history.queries import CHUNK
from scrubber.history.records import VOID_FREQUENCY, BatchClaim, StoredClaim
from scrubber.history.rows import claim_digest, claim_values, line_values
from scrubber.rules.findings import ClaimDecision


@dataclass(slots=True, eq=False)
class Entry:
    """A claim row of the batch's subjects: stored (``row_id``) or to insert
    (``values`` and ``lines``, dropped once written)."""

    subject_id: int
    claim_id: str
    payer_claim_number: str
    digest: str
    row_id: int | None = None
    values: dict[str, Any] | None = None
    lines: list[dict[str, Any]] | None = None
    alive: bool = True


class Writer:
    """What one batch changes in the ``claims``, ``lines`` and ``batches``
    tables; the counts become the batch's :class:`RecordSummary`."""

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
        self._by_claim: dict[tuple[int, str], Entry] = {}
        self._by_pcn: dict[tuple[int, str], list[Entry]] = {}
        self._delete: list[int] = []
        self._pending: list[Entry] = []  # new claims not yet written
        self._seq = 0  # batch_seq of the last claim row written
        for claim in stored:
            self._index(
                Entry(
                    subject_id=claim.subject_id,
                    claim_id=claim.facts.ref.claim_id,
                    payer_claim_number=claim.payer_claim_number,
                    digest=claim.digest,
                    row_id=claim.facts.ref.seq,
                )
            )

    def write(self, claim: BatchClaim, decision: ClaimDecision) -> None:
        """Account for ``claim`` decided as ``decision`` (nothing is written
        before :meth:`finish`)."""
        facts = claim.facts
        void = facts.frequency_code == VOID_FREQUENCY
        if not void and not facts.lines:
            # Rejected for having no line (IG003): nothing to keep as course
            # context. What was stored under its CLM01 stays until a corrected
            # claim replaces it.
            return
        subject_id = self._subject_ids[self.key.subject(facts.patient, facts.entity)]
        existing = self._matches(subject_id, facts.ref.claim_id, claim.payer_claim_number)
        if not void and facts.charge_defects is not None and existing:
            # Rejected for its amounts (IG004/IG005) as a new version of a stored
            # claim: the payer still has the stored one, which stays until a
            # corrected claim replaces it.
            return
        rows = line_values(self.key, facts, decision)
        digest = claim_digest(self.key, claim, decision, rows)
        if not void and len(existing) == 1 and existing[0].digest == digest:
            self.unchanged += 1
            return
        self._retire(existing, void)
        if void:
            return
        entry = Entry(
            subject_id=subject_id,
            claim_id=facts.ref.claim_id,
            payer_claim_number=claim.payer_claim_number,
            digest=digest,
            values=claim_values(subject_id, claim, decision, digest),
            lines=rows,
        )
        self._index(entry)
        self._pending.append(entry)
        self.recorded += 1
        self.lines += len(rows)
        if len(self._pending) >= CHUNK:
            self._flush()

    def finish(self) -> None:
        """Write what is left, and the batch row's claim count."""
        self._flush()
        if self.batch_id is not None:
            claims, batches = schema.claims, schema.batches
            stored = (
                sa.select(sa.func.count())
                .select_from(claims)
                .where(claims.c.batch_id == self.batch_id)
                .scalar_subquery()
            )
            self.conn.execute(
                batches.update().where(batches.c.id == self.batch_id).values(claims=stored)
            )

    def _flush(self) -> None:
        """Deletions, then the pending claims (see the module docstring)."""
        inserts = [entry for entry in self._pending if entry.alive]
        self._pending = []
        if not self._delete and not inserts:
            return
        self._delete_claims()
        if self.batch_id is None:
            self.batch_id = self.conn.execute(
                schema.batches.insert()
                .values(source=self.source, recorded_at=_now(), claims=0)
                .returning(schema.batches.c.id)
            ).scalar_one()
        if inserts:
            self._insert_claims(inserts, self.batch_id)

    def _index(self, entry: Entry) -> None:
        self._by_claim[(entry.subject_id, entry.claim_id)] = entry
        if entry.payer_claim_number:
            key = (entry.subject_id, entry.payer_claim_number)
            self._by_pcn.setdefault(key, []).append(entry)

    def _matches(self, subject_id: int, claim_id: str, pcn: str) -> list[Entry]:
        found: dict[int, Entry] = {}
        entry = self._by_claim.get((subject_id, claim_id))
        if entry is not None and entry.alive:
            found[id(entry)] = entry
        if pcn:
            for other in self._by_pcn.get((subject_id, pcn), ()):
                if other.alive:
                    found[id(other)] = other
        return list(found.values())

    def _retire(self, entries: list[Entry], void: bool) -> None:
        for entry in entries:
            entry.alive = False
            if entry.row_id is not None:
                self._delete.append(entry.row_id)
            if void:
                self.voided += 1
            else:
                self.replaced += 1

    def _delete_claims(self) -> None:
        claims, lines = schema.claims, schema.lines
        for start in range(0, len(self._delete), CHUNK):
            chunk = self._delete[start : start + CHUNK]
            self.conn.execute(lines.delete().where(lines.c.claim_row.in_(chunk)))
            self.conn.execute(claims.delete().where(claims.c.id.in_(chunk)))
        self._delete = []

    def _insert_claims(self, inserts: list[Entry], batch_id: int) -> None:
        claims = schema.claims
        params = [
            {**(entry.values or {}), "batch_id": batch_id, "batch_seq": seq}
            for seq, entry in enumerate(inserts, start=self._seq + 1)
        ]
        self._seq += len(inserts)
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
            self.conn.execute(schema.lines.insert(), line_params)
        for entry, claim_row in zip(inserts, ids, strict=True):
            entry.row_id, entry.values, entry.lines = claim_row, None, None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
