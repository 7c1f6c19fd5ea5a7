"""One claim with its decision, and the money that follows from both.

:func:`pair_outcomes` is the single place where the writers (cleaned 837,
277CA, report) check that the rules' decisions fit the claims they were made
for; the writers then rely on these invariants:

* one decision per claim, in input order;
* ``removed_lines`` and ``repaired_units`` name LX numbers the claim has;
* a claim that is not rejected keeps at least one line.

Money (``Decimal``): ``charge_in`` is the claim's CLM02 as submitted;
``charge_removed`` the SV102/SV203 charges of removed lines; ``charge_out``
what the cleaned claim carries (``charge_in - charge_removed``; zero for a
rejected claim), so that for every batch
``sum(charge_in) = sum(charge_out) + removed + rejected`` exactly.

These sums are exact only because amounts are never rounded (the writers
print them with :func:`~scrubber.x12.segment_text.format_amount`, which keeps
every decimal) and because a claim that is not rejected reconciles: rules
IG004 (an amount with more than two decimals) and IG005 (CLM02 not the sum of
the line charges) reject the others, so ``charge_out`` of a cleaned claim is
always the sum of its kept lines in dollars and cents. A claim with no line
at all is rejected by IG003 (never "accepted with every line removed").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from scrubber.errors import DecisionError as DecisionError
from scrubber.model import Claim, ServiceLine
from scrubber.pickling import by_fields
from scrubber.rules.findings import ClaimDecision, ClaimStatus

ZERO = Decimal("0.00")
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A claim and what the rules decided for it."""

    claim: Claim
    decision: ClaimDecision

    @property
    def status(self) -> ClaimStatus:
        return self.decision.status

    @property
    def rejected(self) -> bool:
        return self.decision.status is ClaimStatus.REJECTED

    @property
    def removed_lines(self) -> tuple[ServiceLine, ...]:
        if self.rejected:
            return ()
        removed = self.decision.removed_lines
        return tuple(line for line in self.claim.lines if line.number in removed)

    @property
    def kept_lines(self) -> tuple[ServiceLine, ...]:
        if self.rejected:
            return ()
        removed = self.decision.removed_lines
        return tuple(line for line in self.claim.lines if line.number not in removed)

    @property
    def repaired_units(self) -> dict[int, Decimal]:
        if self.rejected:
            return {}
        return {
            number: units
            for number, units in self.decision.repaired_units.items()
            if number not in self.decision.removed_lines
        }

    @property
    def changed(self) -> bool:
        """True when the cleaned claim differs from the input claim."""
        return bool(self.removed_lines) or any(
            line.units != self.repaired_units[line.number]
            for line in self.claim.lines
            if line.number in self.repaired_units
        )

    @property
    def charge_in(self) -> Decimal:
        return self.claim.total_charge

    @property
    def charge_removed(self) -> Decimal:
        return sum((line.charge for line in self.removed_lines), ZERO)

    @property
    def charge_out(self) -> Decimal:
        if self.rejected:
            return ZERO
        return self.claim.total_charge - self.charge_removed


def pair_outcomes(claims: Sequence[Claim], decisions: Sequence[ClaimDecision]) -> list[Outcome]:
    """Pair claims with their decisions (same order), checking the invariants above."""
    if len(claims) != len(decisions):
        raise DecisionError(f"{len(decisions)} decisions for {len(claims)} claims")
    outcomes = [Outcome(claim, decision) for claim, decision in zip(claims, decisions, strict=True)]
    for outcome in outcomes:
        _check(outcome)
    return outcomes


def checked_outcome(claim: Claim, decision: ClaimDecision) -> Outcome:
    """One claim with its decision, checked like :func:`pair_outcomes` does."""
    outcome = Outcome(claim, decision)
    _check(outcome)
    return outcome


def _check(outcome: Outcome) -> None:
    claim, decision = outcome.claim, outcome.decision
    if decision.status is ClaimStatus.REJECTED:
        return
    numbers = {line.number for line in claim.lines}
    unknown = (set(decision.removed_lines) | set(decision.repaired_units)) - numbers
    if unknown:
        raise DecisionError(
            f"claim #{claim.ordinal}: decision names lines {sorted(unknown)} "
            "that the claim does not have"
        )
    if not outcome.kept_lines:
        raise DecisionError(
            f"claim #{claim.ordinal}: decision removes every line but does not reject the claim"
        )
    for number, units in decision.repaired_units.items():
        if units <= 0:
            raise DecisionError(f"claim #{claim.ordinal}: line {number} repaired to {units} units")


def runs_by(
    outcomes: Sequence[Outcome], key: Callable[[Outcome], K]
) -> list[tuple[K, list[Outcome]]]:
    """Consecutive outcomes sharing ``key(outcome)`` (compared by identity: the
    model shares envelopes and HL loops by identity), in order."""
    runs: list[tuple[K, list[Outcome]]] = []
    for outcome in outcomes:
        value = key(outcome)
        if runs and runs[-1][0] is value:
            runs[-1][1].append(outcome)
        else:
            runs.append((value, [outcome]))
    return runs


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Outcome)
