"""Re-deciding stored claims with what is known now (``scrubber retro``).

A port film (77417) on a course whose end is not yet known passes with a
provisional ``IG407`` warning. Once the end becomes known (a course registry
row, a closing 837I claim in a later batch, or simply the as-of date moving
past the gap limit), the same line may fall in the last three fractions
(``IG406``) and should not have been billed. Later batches can also reverse
other decisions: a plan that arrives later changes a course's modality, a
fraction billed late changes course numbering and port-film blocks.

:func:`find_reversals` re-decides every stored claim with the engine and the
store's facts (all stored claims of the same patient + entity as context)
and compares, line by line, with what its batch decided. It changes nothing
in the store: the listed lines are what was sent versus what the rules say
now, and they stay listed until the billing office sends a replacement or
void (which, scrubbed with ``--history``, replaces the stored claim).

Patients appear in the store only as keyed hashes, so a report names claims
(CLM01, LX, REF*6R, procedure, DOS), never patients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from scrubber.history.records import AMOUNTS_NOT_KEPT
from scrubber.history.store import HistoryStore, LineOutcome, StoredClaim, StoredLine, line_outcome
from scrubber.rules.engine import Engine
from scrubber.rules.findings import Action, ClaimDecision, Finding
from scrubber.rules.radonc.registry import CourseRegistry

SUBJECTS_PER_CONTEXT = 200
PROVISIONAL = "IG407"
LAST_THREE = "IG406"
_KEPT = (LineOutcome.BILLED, LineOutcome.REPAIRED)


class ChangeKind(StrEnum):
    PORT_IN_LAST_THREE = "port-in-last-three"  # IG407 provisional -> IG406
    NO_LONGER_BILLABLE = "no-longer-billable"  # billed/repaired -> removed/rejected
    NOW_BILLABLE = "now-billable"  # removed/rejected -> billed/repaired
    CHANGED = "changed"  # billed <-> repaired, removed <-> rejected


@dataclass(frozen=True, slots=True)
class LineChange:
    """One stored line whose decision the present knowledge reverses."""

    kind: ChangeKind
    claim_id: str
    payer_claim_number: str
    line: int
    line_control: str
    procedure: str  # with modifiers: 77387-26
    dos: dt.date | None
    was: LineOutcome
    was_rules: tuple[str, ...]
    now: LineOutcome
    now_findings: tuple[Finding, ...]
    batch_id: int

    @property
    def action(self) -> str:
        """What the billing office should do about it."""
        where = f"claim {self.claim_id} line {self.line}"
        if self.kind in (ChangeKind.PORT_IN_LAST_THREE, ChangeKind.NO_LONGER_BILLABLE):
            return (
                f"{where} should not have been billed: send a replacement claim (CLM05-3 = 7, "
                f"REF*F8 = the payer's claim number) without it, or void the claim (8) and "
                f"refund what was paid for it."
            )
        if self.kind is ChangeKind.NOW_BILLABLE:
            return (
                f"{where} is billable after all: send a replacement claim (CLM05-3 = 7) or a "
                f"new claim including it."
            )
        return (
            f"{where}: review; the rules now decide {self.now.value} instead of {self.was.value}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "claim_id": self.claim_id,
            "payer_claim_number": self.payer_claim_number,
            "line": self.line,
            "line_control": self.line_control,
            "procedure": self.procedure,
            "dos": self.dos.isoformat() if self.dos else None,
            "was": self.was.value,
            "was_rules": list(self.was_rules),
            "now": self.now.value,
            "now_findings": [
                {"rule": f.rule, "action": f.action.value, "message": f.message, "fix": f.fix}
                for f in self.now_findings
            ],
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class RetroReport:
    as_of: dt.date
    rule_set: str
    store: str
    claims: int
    lines: int
    provisional_still_open: int  # IG407 then and now
    provisional_confirmed: int  # IG407 then, billable now the end is known
    changes: tuple[LineChange, ...]

    def as_dict(self) -> dict[str, Any]:
        by_kind: dict[str, int] = {}
        for change in self.changes:
            by_kind[change.kind.value] = by_kind.get(change.kind.value, 0) + 1
        return {
            "schema": "scrubber-retro/1",
            "rule_set": self.rule_set,
            "as_of": self.as_of.isoformat(),
            "store": self.store,
            "summary": {
                "claims_checked": self.claims,
                "lines_checked": self.lines,
                "changes": len(self.changes),
                "changes_by_kind": dict(sorted(by_kind.items())),
                "provisional_still_open": self.provisional_still_open,
                "provisional_confirmed": self.provisional_confirmed,
            },
            "changes": [change.as_dict() for change in self.changes],
        }


def find_reversals(
    store: HistoryStore,
    engine: Engine,
    *,
    courses: CourseRegistry | None = None,
) -> RetroReport:
    """Re-decide every stored claim; list the lines whose decision changed.

    ``courses`` (``--courses FILE``) is first added to the store, so what it
    makes known stays known for later scrubs. The engine's own registry is
    not used: the stored registry (hashed like the facts) is."""
    if courses is not None and len(courses):
        store.add_registry(courses)
    claims = lines = still_open = confirmed = 0
    changes: list[LineChange] = []
    for stored, decision in _redecide(store, engine):
        claims += 1
        if any(AMOUNTS_NOT_KEPT in line.findings for line in stored.lines):
            continue  # rejected for amounts the store does not keep: not decided again
        for line in stored.lines:
            lines += 1
            now = line_outcome(line.fact.lx, decision)
            now_findings = tuple(f for f in decision.findings if f.line == line.fact.lx)
            was_rules = tuple(rule for rule, _ in line.findings)
            now_rules = {f.rule for f in now_findings}
            if PROVISIONAL in was_rules and line.outcome in _KEPT:
                if PROVISIONAL in now_rules:
                    still_open += 1
                elif now == line.outcome:
                    confirmed += 1
            if now != line.outcome:
                changes.append(_line_change(stored, line, now, now_findings))
    changes.sort(key=lambda c: (c.kind != ChangeKind.PORT_IN_LAST_THREE, c.claim_id, c.line))
    return RetroReport(
        as_of=engine.as_of,
        rule_set=engine.rule_set,
        store=store.url,
        claims=claims,
        lines=lines,
        provisional_still_open=still_open,
        provisional_confirmed=confirmed,
        changes=tuple(changes),
    )


def _line_change(
    stored: StoredClaim, line: StoredLine, now: LineOutcome, now_findings: tuple[Finding, ...]
) -> LineChange:
    """How ``line`` of ``stored`` changed: stored as ``line.outcome``,
    decided ``now`` with ``now_findings``."""
    was_rules = tuple(rule for rule, _ in line.findings)
    return LineChange(
        kind=_kind(line.outcome, now, was_rules, now_findings),
        claim_id=stored.facts.ref.claim_id,
        payer_claim_number=stored.payer_claim_number,
        line=line.fact.lx,
        line_control=line.fact.line_control,
        procedure=line.fact.coded,
        dos=line.fact.dos,
        was=line.outcome,
        was_rules=was_rules,
        now=now,
        now_findings=now_findings,
        batch_id=stored.batch_id,
    )


def _redecide(store: HistoryStore, engine: Engine) -> Iterator[tuple[StoredClaim, ClaimDecision]]:
    """Every stored claim with the decision the engine gives it now, a few
    hundred patients + entities per context (bounded memory)."""
    subject_ids = store.subject_ids()
    for start in range(0, len(subject_ids), SUBJECTS_PER_CONTEXT):
        snapshot = store.snapshot(subject_ids[start : start + SUBJECTS_PER_CONTEXT])
        facts = [claim.facts for claim in snapshot.claims]
        decisions = engine.evaluate(facts, registry=snapshot.registry)
        yield from zip(snapshot.claims, decisions, strict=True)


def _kind(
    was: LineOutcome, now: LineOutcome, was_rules: Sequence[str], now_findings: Sequence[Finding]
) -> ChangeKind:
    removed_by_last_three = any(
        f.rule == LAST_THREE and f.action in (Action.REMOVE_LINE, Action.REJECT_CLAIM)
        for f in now_findings
    )
    if PROVISIONAL in was_rules and removed_by_last_three and was in _KEPT:
        return ChangeKind.PORT_IN_LAST_THREE
    if was in _KEPT and now not in _KEPT:
        return ChangeKind.NO_LONGER_BILLABLE
    if was not in _KEPT and now in _KEPT:
        return ChangeKind.NOW_BILLABLE
    return ChangeKind.CHANGED
