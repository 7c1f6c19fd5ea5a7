"""Counting what pass 1 of a piece of input (a shard, a batch unit) tells
pass 2 of the pieces after it: the 277CA envelopes its claims open, and
with a history store the claims' keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scrubber.model import Claim, Group, Transaction
from scrubber.rules.facts import ClaimFacts, PatientKey

if TYPE_CHECKING:  # (imported when keys are kept: a run without a store never needs them)
    from scrubber.history.records import BatchKey


class EnvelopeCounter:
    """Counts the interchanges and groups that hold claims (the 277CA opens
    one envelope, one control number, for each); with ``keep_batch`` keeps
    each claim's :class:`BatchKey` (what a history store locks and loads);
    hands each claim on to ``on_facts`` and tells ``on_passed`` how many
    plain ones it read (a run of them at a time)."""

    def __init__(
        self,
        keep_batch: bool,
        on_facts: Callable[[Claim, ClaimFacts], object] | None = None,
        on_passed: Callable[[int], object] | None = None,
    ) -> None:
        self.count = 0
        self.keys: list[BatchKey] = []
        self._patients: dict[PatientKey, PatientKey] = {}
        self._key_of: Callable[[Claim, ClaimFacts], BatchKey] | None = None
        if keep_batch:
            from scrubber.history.records import BatchClaim, BatchKey

            patients = self._patients
            self._key_of = lambda claim, facts: BatchKey.of(BatchClaim.of(claim, facts), patients)
        self._on_facts = on_facts
        self._on_passed = on_passed
        self._group: Group | None = None

    def claim(self, claim: Claim, facts: ClaimFacts) -> None:
        if self._key_of is not None:
            self.keys.append(self._key_of(claim, facts))
        if self._on_facts is not None:
            self._on_facts(claim, facts)
        self._count(claim.transaction)

    def passed(self, transaction: Transaction, count: int = 1) -> None:
        """``count`` plain claims of ``transaction`` (no facts, no key: plain
        claims are never kept for a store)."""
        if self._on_passed is not None:
            self._on_passed(count)
        self._count(transaction)

    def _count(self, transaction: Transaction) -> None:
        group = transaction.group
        if group is self._group:
            return
        if self._group is None or group.interchange is not self._group.interchange:
            self.count += 1
        self.count += 1
        self._group = group
