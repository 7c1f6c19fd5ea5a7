"""Build real 837 text for rule tests, read it back through the reader, decide.

Claims are written with :mod:`scrubber.testing.samples`, read with
:func:`scrubber.x12.reader.read_claims` and decided by the engine, so every
rule test exercises the same path production input takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from scrubber.model import Claim, ClaimKind
from scrubber.rules import Engine
from scrubber.rules.findings import Action, ClaimDecision, Finding
from scrubber.testing import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    build_interchange,
)
from scrubber.x12.reader import read_claims

AS_OF = dt.date(2026, 11, 26)
D = dt.date(2025, 3, 3)  # a Monday in era A
LAST_A = dt.date(2025, 12, 31)
FIRST_B = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class Entry:
    """One claim of a test batch: its kind and its spec."""

    kind: ClaimKind
    spec: ClaimSpec


def line(code: str, dos: dt.date = D, *modifiers: str, **kw: Any) -> LineSpec:
    """A service line: ``line("77387", D, "TC", units=Decimal(2))``."""
    if "units" in kw:
        kw["units"] = Decimal(kw["units"])
    return LineSpec(code, tuple(modifiers), dos=dos, **kw)


def P(claim_id: str, *lines: LineSpec, **kw: Any) -> Entry:
    """An 837P claim (POS 11 unless ``facility_code`` says otherwise)."""
    return Entry(ClaimKind.PROFESSIONAL, ClaimSpec(claim_id, list(lines), **kw))


def I(claim_id: str, *lines: LineSpec, **kw: Any) -> Entry:  # noqa: E743 - 837I
    """An 837I claim, TOB 13x; frequency 3 (interim) unless given, so that a
    test states explicitly when a claim closes a course (frequency 1 or 4)."""
    kw.setdefault("facility_code", "13")
    kw.setdefault("frequency_code", "3")
    return Entry(ClaimKind.INSTITUTIONAL, ClaimSpec(claim_id, list(lines), **kw))


def to_837(entries: Sequence[Entry]) -> str:
    """One interchange; consecutive claims of one kind share a GS-GE group."""
    groups: list[GroupSpec] = []
    for entry in entries:
        if groups and groups[-1].kind is entry.kind:
            last = groups[-1]
            groups[-1] = replace(last, claims=[*last.claims, entry.spec])
        else:
            groups.append(GroupSpec([entry.spec], entry.kind, group_control=len(groups) + 1))
    return build_interchange(groups, EnvelopeSpec())


def read(entries: Sequence[Entry]) -> list[Claim]:
    return list(read_claims(to_837(entries)))


@dataclass
class Outcome:
    """Decisions of one batch, by claim id."""

    decisions: dict[str, ClaimDecision]
    order: list[str] = field(default_factory=list)

    def __getitem__(self, claim_id: str) -> ClaimDecision:
        return self.decisions[claim_id]

    def findings(self, claim_id: str, rule: str | None = None) -> list[Finding]:
        found = self.decisions[claim_id].findings
        return [f for f in found if rule is None or f.rule == rule]

    def fired(self, claim_id: str, rule: str, line: int | None = None) -> list[Finding]:
        return [f for f in self.findings(claim_id, rule) if line is None or f.line == line]

    def rules(self, claim_id: str) -> set[tuple[str, int | None]]:
        return {(f.rule, f.line) for f in self.decisions[claim_id].findings}

    def action(self, claim_id: str, rule: str, line: int | None) -> Action:
        (finding,) = self.fired(claim_id, rule, line)
        return finding.action


def decide(entries: Iterable[Entry], as_of: dt.date = AS_OF, **engine: Any) -> Outcome:
    """Write ``entries`` as 837 text, read it back and decide the batch."""
    batch = list(entries)
    claims = read(batch)
    decisions = Engine(as_of=as_of, **engine).decide_batch(claims)
    ids = [c.patient_control_number for c in claims]
    assert len(set(ids)) == len(ids), "test batches need distinct claim ids"
    return Outcome(dict(zip(ids, decisions, strict=True)), ids)
