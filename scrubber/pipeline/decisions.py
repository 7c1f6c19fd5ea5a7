"""Every batch claim's decision, made subject by subject between the two passes.

After pass 1 the :class:`~scrubber.pipeline.course_state.CourseState` holds the facts
of every claim, by subject (patient + entity). Every question the rules ask
stays within a subject, so :func:`decide_subjects` builds each subject's
context once, decides that subject's batch claims against it and lets the
context go: memory holds one subject's context at a time, and subjects can
be split between processes (:mod:`scrubber.pipeline.shards`).

:class:`Decisions` keeps the outcome by claim ``seq``, compactly: a claim
accepted with no finding (most claims) costs nothing; any other decision is
kept pickled, compactly (a few hundred bytes:
:func:`scrubber.rules.codecs.decision_record`). Pass 2 then reads the
claims again and writes each with :meth:`Decisions.get`.
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from scrubber.pickling import by_attributes
from scrubber.pipeline.course_state import CourseState
from scrubber.rules.codecs import Interned, decision_from_record, decision_record
from scrubber.rules.engine import Engine
from scrubber.rules.facts import ClaimFacts
from scrubber.rules.findings import ClaimDecision, ClaimStatus
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

    def accepted_plainly(self, seq: int) -> bool:
        """Whether claim ``seq``'s decision is accepted with no finding
        (none other was added), without building it."""
        return all(part.start_of(seq) < 0 for part in self._parts)

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
        self._shared = Interned()

    @property
    def bytes(self) -> int:
        return len(self._buffer)

    def save(self, stream: BinaryIO) -> None:
        header = (self.count, self._shared.values, len(self._buffer))
        pickle.dump(header, stream, pickle.HIGHEST_PROTOCOL)
        self._starts.tofile(stream)
        self._ends.tofile(stream)
        stream.write(self._buffer)

    def load(self, stream: BinaryIO) -> None:
        """Read what :meth:`save` wrote, into this empty, same-sized store."""
        self.count, shared, size = pickle.load(stream)
        for value in shared:
            self._shared(value)
        claims = len(self._starts)
        self._starts, self._ends = array("q"), array("q")
        self._starts.fromfile(stream, claims)
        self._ends.fromfile(stream, claims)
        self._buffer = bytearray(size)
        if stream.readinto(self._buffer) != size:  # type: ignore[attr-defined]
            raise ValueError("decisions file is truncated")

    def add(self, seq: int, decision: ClaimDecision) -> None:
        self._starts[seq] = len(self._buffer)
        record = decision_record(decision, self._shared.intern)
        self._buffer += pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
        self._ends[seq] = len(self._buffer)
        self.count += 1

    def start_of(self, seq: int) -> int:
        """Where claim ``seq``'s decision starts in the buffer (-1: none kept)."""
        return self._starts[seq]

    def get(self, seq: int) -> ClaimDecision | None:
        start = self._starts[seq]
        if start < 0:
            return None
        record = pickle.loads(memoryview(self._buffer)[start : self._ends[seq]])
        return decision_from_record(record, self._shared.values)


def decide_subjects(
    engine: Engine,
    state: CourseState,
    registry: CourseRegistry,
    subjects: Iterable[int],
    on_decided: DecidedFn | None = None,
) -> Decisions:
    """Decide the batch claims of ``subjects`` (ids in ``state``), each
    against the context of its subject's facts (the batch's and history's),
    with :meth:`Engine.evaluate <scrubber.rules.engine.Engine.evaluate>`."""
    decisions = Decisions(state.batch_count)
    for subject in subjects:
        history, batch = state.history_and_batch(subject)
        for seq, decision in decide_subject(engine, batch, history, registry):
            decisions.add(seq, decision)
        if on_decided is not None and batch:
            on_decided(decisions.count)
    return decisions


def decide_subject(
    engine: Engine,
    batch: Mapping[int, ClaimFacts],
    history: Iterable[ClaimFacts],
    registry: CourseRegistry,
) -> Iterator[tuple[int, ClaimDecision]]:
    """Each batch claim of one subject (``batch``: its facts by ``seq``, in
    ``seq`` order) and its decision, against the context of those claims and
    the subject's ``history`` (:meth:`Engine.evaluate
    <scrubber.rules.engine.Engine.evaluate>`, the one decide step)."""
    if not batch:
        return  # a subject known from history only
    decided = engine.evaluate(batch.values(), history, registry=registry)
    yield from zip(batch, decided, strict=True)


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


# Sent from the deciding workers to the parent: see scrubber.pickling.
by_attributes(Decisions, 0)
by_attributes(_Kept, 0)
