"""Test oracles: the simple, whole-batch-in-memory way to decide, which the
streaming pipeline is checked against.

:func:`decide_with_history` decides a batch (a list of claims, all in
memory) with a history store: in one transaction of the store it locks the
batch's patients + entities, loads their stored facts (minus the claims the
batch replaces or voids), decides the batch's claims with
:meth:`Engine.evaluate <scrubber.rules.engine.Engine.evaluate>` (history
facts are just more facts in the context; the registry is the engine's plus
the rows stored by earlier runs) and records their facts and decisions.

Neither the CLI nor :func:`scrubber.scrub` calls it: they run the streaming
pipeline (:mod:`scrubber.pipeline.passes`), which does the same per subject
and records claims as it writes them. The tests use this oracle to build
store contents and to check the pipeline against it. Without a store, the
in-memory reference is :meth:`Engine.decide_batch
<scrubber.rules.engine.Engine.decide_batch>`.
"""

from __future__ import annotations

from collections.abc import Sequence

from scrubber.history.store import BatchClaim, BatchKey, HistoryStore, RecordSummary
from scrubber.model import Claim
from scrubber.rules.engine import Engine
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
        decisions = engine.evaluate(facts, hist.facts, registry=hist.registry)
        summary = hist.record(zip(batch, decisions, strict=True))
    return decisions, summary
