"""The history store's value types: what goes in, what comes back out.

Plain frozen dataclasses with no database code, shared by the store, the
batch transaction, the writer and :mod:`scrubber.history.retro`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum

from scrubber.model import Claim
from scrubber.rules.facts import ClaimFacts, LineFact, PatientKey
from scrubber.rules.findings import ClaimDecision, ClaimStatus
from scrubber.rules.radonc.registry import CourseRegistry

HISTORY_SOURCE = "history"  # ClaimRef.source of facts that come from the store
PSEUDONYM_PREFIX = "#"  # a hashed value the caller cannot name in clear
VOID_FREQUENCY = "8"
#: A finding stored on every line of a claim rejected because its amounts do
#: not add up (``ClaimFacts.charge_defects``: IG004, IG005), which the store
#: does not keep. Such a claim is recorded, so that its fractions stay course
#: context like any rejected claim's, and ``scrubber retro`` does not decide it
#: again (without its amounts it would call its lines billable).
AMOUNTS_NOT_KEPT = ("amounts-not-kept", "reject-claim")


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
class BatchKey:
    """What locking and loading a batch needs of one of its claims (a small
    fraction of its facts, so that a large batch's keys fit in memory while
    its claims stream through)."""

    patient: PatientKey
    entity: str
    claim_id: str
    payer_claim_number: str
    sites: tuple[str, ...]  # distinct, in line order (a tuple: a third of a frozenset's size)

    @classmethod
    def of(
        cls, claim: BatchClaim, patients: dict[PatientKey, PatientKey] | None = None
    ) -> BatchKey:
        """``claim``'s key; ``patients`` (kept by the caller across a batch)
        shares one key object among a patient's claims, and repeated strings
        are interned, so that a batch's keys stay small."""
        facts = claim.facts
        patient = facts.patient
        if patients is not None:
            patient = patients.setdefault(patient, patient)
        return cls(
            patient,
            sys.intern(facts.entity),
            facts.ref.claim_id,
            claim.payer_claim_number,
            tuple(dict.fromkeys(sys.intern(line.site) for line in facts.lines if line.site)),
        )


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
    digest: str  # keyed hash of what the claim contributed (see rows.claim_digest)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Stored claims of some subjects, with pseudonymous keys, and the
    registry rows of their members (for :mod:`scrubber.history.retro`)."""

    claims: tuple[StoredClaim, ...]
    registry: CourseRegistry


def line_outcome(lx: int, decision: ClaimDecision) -> LineOutcome:
    """What ``decision`` does with line ``lx``."""
    if decision.status is ClaimStatus.REJECTED:
        return LineOutcome.REJECTED
    if lx in decision.removed_lines:
        return LineOutcome.REMOVED
    if lx in decision.repaired_units:
        return LineOutcome.REPAIRED
    return LineOutcome.BILLED
