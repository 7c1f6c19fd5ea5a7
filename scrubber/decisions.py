"""Every batch claim's decision, made subject by subject between the two passes.

After pass 1 the :class:`~scrubber.course_state.CourseState` holds the facts
of every claim, by subject (patient + entity). Every question the rules ask
stays within a subject, so :func:`decide_subjects` builds each subject's
context once, decides that subject's batch claims against it and lets the
context go: memory holds one subject's context at a time, and subjects can
be split between processes (:mod:`scrubber.shards`).

:class:`Decisions` keeps the outcome by claim ``seq``, compactly: a claim
accepted with no finding (most claims) costs nothing; any other decision is
kept pickled (about 650 bytes). Pass 2 then reads the claims again and
writes each with :meth:`Decisions.get`.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Iterable

from scrubber.course_state import CourseState
from scrubber.findings import ClaimDecision, ClaimStatus
from scrubber.rules.context import build_context
from scrubber.rules.engine import Engine, decide_claim
from scrubber.rules.registry import CourseRegistry

#: Told the number of claims decided so far (for a progress display).
DecidedFn = Callable[[int], object]


class Decisions:
    """Decisions by batch claim ``seq`` (see the module docstring)."""

    def __init__(self) -> None:
        self.count = 0  # claims decided
        self._kept: dict[int, bytes] = {}

    def add(self, seq: int, decision: ClaimDecision) -> None:
        self.count += 1
        if not _plain_accept(decision):
            self._kept[seq] = pickle.dumps(decision, pickle.HIGHEST_PROTOCOL)

    def get(self, seq: int) -> ClaimDecision:
        """The decision of claim ``seq`` (accepted with no finding unless
        another was added)."""
        kept = self._kept.get(seq)
        if kept is None:
            return ClaimDecision(ClaimStatus.ACCEPTED, ())
        decision: ClaimDecision = pickle.loads(kept)
        return decision

    def update(self, other: Decisions) -> None:
        """Take in ``other``'s decisions (of other claims)."""
        self._kept.update(other._kept)
        self.count += other.count

    @property
    def kept(self) -> int:
        """Decisions held (those that are not a plain accept)."""
        return len(self._kept)


def decide_subjects(
    engine: Engine,
    state: CourseState,
    registry: CourseRegistry,
    subjects: Iterable[int],
    on_decided: DecidedFn | None = None,
) -> Decisions:
    """Decide the batch claims of ``subjects`` (ids in ``state``), each
    against the context of its subject's facts (the batch's and history's)."""
    decisions = Decisions()
    for subject in subjects:
        facts, batch = state.facts_and_batch(subject)
        if not batch:
            continue  # a subject known from history only
        context = build_context(
            facts, engine.codes, as_of=engine.as_of, gap_days=engine.gap_days, registry=registry
        )
        context = dataclasses.replace(context, claim_count=state.claim_count)
        evaluation = engine.evaluation(context)
        for seq, claim_facts in batch.items():
            decisions.add(seq, decide_claim(claim_facts, evaluation))
        if on_decided is not None:
            on_decided(decisions.count)
    return decisions


def _plain_accept(decision: ClaimDecision) -> bool:
    return (
        decision.status is ClaimStatus.ACCEPTED
        and not decision.findings
        and not decision.removed_lines
        and not decision.repaired_units
    )
