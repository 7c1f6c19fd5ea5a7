"""Every batch claim's decision, made subject by subject between the two passes.

After pass 1 the :class:`~scrubber.pipeline.course_state.CourseState` holds the facts
of every claim, by subject (patient + entity). Every question the rules ask
stays within a subject, so :func:`decide_subjects` builds each subject's
context once, decides that subject's batch claims against it and lets the
context go: memory holds one subject's context at a time, and subjects can
be split between processes (:mod:`scrubber.pipeline.shards`).

:class:`Decisions` keeps the outcome by claim ``seq``, compactly: a claim
accepted with no finding (most claims) costs nothing; any other decision is
kept pickled, compactly (a few hundred bytes). Pass 2 then reads the
claims again and writes each with :meth:`Decisions.get`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from scrubber.pipeline.course_state import CourseState
from scrubber.rules.context import build_context
from scrubber.rules.engine import Engine, decide_claim
from scrubber.rules.facts import ClaimFacts
from scrubber.rules.findings import Action, ClaimDecision, ClaimStatus, Finding
from scrubber.rules.radonc.registry import CourseRegistry

#: Told the number of claims decided so far (for a progress display).
DecidedFn = Callable[[int], object]


class Decisions:
    """Decisions by batch claim ``seq`` (see the module docstring), for the
    claims ``0 .. size - 1``; :meth:`update` takes in another's (of other
    claims) without copying them."""

    def __init__(self, size: int) -> None:
        self.count = 0  # claims decided
        self._size = size
        self._own = _Kept(size)
        self._parts = [self._own]

    def add(self, seq: int, decision: ClaimDecision) -> None:
        self.count += 1
        if not _plain_accept(decision):
            self._own.add(seq, decision)

    def get(self, seq: int) -> ClaimDecision:
        """The decision of claim ``seq`` (accepted with no finding unless
        another was added)."""
        for part in self._parts:
            decision = part.get(seq)
            if decision is not None:
                return decision
        return ClaimDecision(ClaimStatus.ACCEPTED, ())

    def update(self, other: Decisions) -> None:
        """Take in ``other``'s decisions (of other claims of the same batch)."""
        if other._size != self._size:
            raise ValueError("decisions of another batch")
        self._parts.extend(other._parts)
        self.count += other.count

    def save(self, path: Path) -> None:
        """Write the decisions added here (not those taken in) to ``path``."""
        with open(path, "wb") as stream:
            pickle.dump(self.count, stream, pickle.HIGHEST_PROTOCOL)
            self._own.save(stream)

    @classmethod
    def load(cls, path: Path, size: int) -> Decisions:
        """Decisions :meth:`save` wrote (for a batch of ``size`` claims)."""
        decisions = cls(size)
        with open(path, "rb") as stream:
            decisions.count = pickle.load(stream)
            decisions._own.load(stream)
        return decisions

    @property
    def kept(self) -> int:
        """Decisions held (those that are not a plain accept)."""
        return sum(part.count for part in self._parts)

    @property
    def kept_bytes(self) -> int:
        return sum(part.bytes for part in self._parts)


class _Kept:
    """Decisions in one buffer, found by two arrays of offsets by ``seq``:
    forked workers that read them touch no object but the buffer, so its
    pages stay shared with the parent. A decision is stored as a pickled
    tuple whose findings refer to the texts they share with every finding of
    their rule (name, fix, citation, status code, rule set) by number."""

    def __init__(self, size: int) -> None:
        self.count = 0
        self._buffer = bytearray()
        self._starts = array("q", [-1]) * size
        self._ends = array("q", [0]) * size
        self._shared: list[tuple[str, ...]] = []
        self._shared_index: dict[tuple[str, ...], int] = {}

    @property
    def bytes(self) -> int:
        return len(self._buffer)

    def save(self, stream: BinaryIO) -> None:
        header = (self.count, self._shared, len(self._buffer))
        pickle.dump(header, stream, pickle.HIGHEST_PROTOCOL)
        self._starts.tofile(stream)
        self._ends.tofile(stream)
        stream.write(self._buffer)

    def load(self, stream: BinaryIO) -> None:
        """Read what :meth:`save` wrote, into this empty, same-sized store."""
        self.count, self._shared, size = pickle.load(stream)
        self._shared_index = {shared: n for n, shared in enumerate(self._shared)}
        claims = len(self._starts)
        self._starts, self._ends = array("q"), array("q")
        self._starts.fromfile(stream, claims)
        self._ends.fromfile(stream, claims)
        self._buffer = bytearray(size)
        if stream.readinto(self._buffer) != size:  # type: ignore[attr-defined]
            raise ValueError("decisions file is truncated")

    def add(self, seq: int, decision: ClaimDecision) -> None:
        record = (
            decision.status.value,
            tuple(self._finding_record(finding) for finding in decision.findings),
            tuple(decision.removed_lines),
            tuple(decision.repaired_units.items()),
        )
        self._starts[seq] = len(self._buffer)
        self._buffer += pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
        self._ends[seq] = len(self._buffer)
        self.count += 1

    def get(self, seq: int) -> ClaimDecision | None:
        start = self._starts[seq]
        if start < 0:
            return None
        status, findings, removed, repaired = pickle.loads(
            memoryview(self._buffer)[start : self._ends[seq]]
        )
        return ClaimDecision(
            ClaimStatus(status),
            tuple(self._finding(record) for record in findings),
            frozenset(removed),
            dict(repaired),
        )

    def _finding_record(self, finding: Finding) -> tuple[Any, ...]:
        shared = (
            finding.name,
            finding.fix,
            finding.citation,
            finding.status_code,
            finding.rule_set,
        )
        number = self._shared_index.get(shared)
        if number is None:
            number = self._shared_index[shared] = len(self._shared)
            self._shared.append(shared)
        return (
            finding.rule, finding.action.value, finding.line, finding.line_control,
            finding.procedure, finding.modifiers,
            finding.dos.toordinal() if finding.dos is not None else 0,
            finding.message, finding.repaired_units, finding.extra_status_codes, number,
        )  # fmt: skip

    def _finding(self, record: tuple[Any, ...]) -> Finding:
        rule, action, line, control, procedure, modifiers, dos, message, units, extra, number = (
            record
        )
        name, fix, citation, status_code, rule_set = self._shared[number]
        return Finding(
            rule=rule,
            name=name,
            action=Action(action),
            line=line,
            line_control=control,
            procedure=procedure,
            modifiers=modifiers,
            dos=dt.date.fromordinal(dos) if dos else None,
            message=message,
            fix=fix,
            citation=citation,
            status_code=status_code,
            repaired_units=units,
            extra_status_codes=extra,
            rule_set=rule_set,
        )


def decide_subjects(
    engine: Engine,
    state: CourseState,
    registry: CourseRegistry,
    subjects: Iterable[int],
    on_decided: DecidedFn | None = None,
) -> Decisions:
    """Decide the batch claims of ``subjects`` (ids in ``state``), each
    against the context of its subject's facts (the batch's and history's)."""
    decisions = Decisions(state.batch_count)
    for subject in subjects:
        facts, batch = state.facts_and_batch(subject)
        for seq, decision in decide_subject(engine, facts, batch, registry, state.claim_count):
            decisions.add(seq, decision)
        if on_decided is not None and batch:
            on_decided(decisions.count)
    return decisions


def decide_subject(
    engine: Engine,
    facts: list[ClaimFacts],
    batch: Mapping[int, ClaimFacts],
    registry: CourseRegistry,
    claim_count: int,
) -> Iterator[tuple[int, ClaimDecision]]:
    """Each batch claim of one subject (``batch``: its facts by ``seq``, in
    ``seq`` order) and its decision, against the context of the subject's
    ``facts`` (its batch claims in ``seq`` order, then its history);
    ``claim_count``: the claims of the whole batch and its history."""
    if not batch:
        return  # a subject known from history only
    context = build_context(
        facts, engine.codes, as_of=engine.as_of, gap_days=engine.gap_days, registry=registry
    )
    context = dataclasses.replace(context, claim_count=claim_count)
    evaluation = engine.evaluation(context)
    for seq, claim_facts in batch.items():
        yield seq, decide_claim(claim_facts, evaluation)


def is_plain_accept(decision: ClaimDecision) -> bool:
    """Accepted with no finding, no line removed or repaired (most claims)."""
    return _plain_accept(decision)


def _plain_accept(decision: ClaimDecision) -> bool:
    return (
        decision.status is ClaimStatus.ACCEPTED
        and not decision.findings
        and not decision.removed_lines
        and not decision.repaired_units
    )
