"""Deciding a batch with its course history: batch facts + stored facts.

:func:`decide_with_history` is what ``scrubber scrub --history URL`` and
``scrub(..., history=...)`` call instead of ``Engine.decide_batch``. In one
transaction of the store it locks the batch's patients + entities, loads
their stored facts (minus the claims this batch replaces or voids), builds
the course context from both, decides the batch's claims and records their
facts and decisions. The engine itself is unchanged: history facts are just
more :class:`~scrubber.rules.facts.ClaimFacts` in the context, and the
registry is the one given now plus the rows stored by earlier runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from scrubber.history.store import BatchClaim, BatchKey, HistoryStore, RecordSummary
from scrubber.model import Claim
from scrubber.rules.context import build_context
from scrubber.rules.engine import Engine, decide_claim
from scrubber.rules.facts import facts_of
from scrubber.rules.findings import ClaimDecision


def decide_with_history(
    engine: Engine,
    claims: Sequence[Claim],
    store: HistoryStore,
    *,
    source: str = "",
) -> tuple[list[ClaimDecision], RecordSummary]:
    """Decisions for ``claims`` (input order) in the context of the store's
    history, and what recording them changed in the store."""
    facts = [facts_of(claim, seq) for seq, claim in enumerate(claims)]
    batch = [BatchClaim.of(claim, f) for claim, f in zip(claims, facts, strict=True)]
    keys = [BatchKey.of(claim) for claim in batch]
    with store.batch(keys, source=source, registry=engine.registry) as hist:
        context = build_context(
            [*hist.facts, *facts],
            engine.codes,
            as_of=engine.as_of,
            gap_days=engine.gap_days,
            registry=hist.registry,
        )
        evaluation = engine.evaluation(context)
        decisions = [decide_claim(claim_facts, evaluation) for claim_facts in facts]
        summary = hist.record(zip(batch, decisions, strict=True))
    return decisions, summary
