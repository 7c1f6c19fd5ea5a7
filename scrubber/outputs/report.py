"""The findings report (``S.report.json``), schema ``scrubber-report/1``.

:func:`build_report` returns exactly the document of CONTRACT.md ("Report
JSON") as plain JSON-ready data: every input claim once, in input order, with
its status, charges and findings; a summary whose charges reconcile to the
cent (``input = clean + removed_lines + rejected_claims``). Additions to the
contract (allowed, never renamed): ``ordinal`` and ``status_code`` entries,
``summary.claims_not_evaluated`` and ``summary.findings_by_action``, and a
top-level ``warnings`` list (input defects the reader tolerated, and claims
whose CLM02 differs from the sum of their line charges), each
``{"position", "segment", "problem"}``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from scrubber.errors import InputWarning
from scrubber.model import PlainClaim, Transaction
from scrubber.rules.findings import Action, ClaimStatus, Finding
from scrubber.rules.outcome import ZERO, Outcome
from scrubber.x12.segment_text import format_amount

SCHEMA = "scrubber-report/1"


def build_report(
    outcomes: Sequence[Outcome],
    *,
    input_name: str,
    profile: str,
    as_of: dt.date,
    rule_set: str,
    warnings: Iterable[InputWarning] = (),
) -> dict[str, Any]:
    """The report document for one input (see the module docstring)."""
    builder = ReportBuilder()
    claims = [builder.add(outcome) for outcome in outcomes]
    report = builder.head(input_name=input_name, profile=profile, as_of=as_of, rule_set=rule_set)
    report["claims"] = claims
    report["warnings"] = builder.warnings(warnings)
    return report


class ReportBuilder:
    """The report, one outcome at a time: :meth:`add` returns the claim's entry
    (for the caller to stream out) and keeps only the running summary
    (:meth:`count` keeps the summary alone: the tally of a scrub); the
    document is :meth:`head` + the entries (``"claims"``) + :meth:`warnings`,
    in that key order."""

    def __init__(self) -> None:
        self.claims = 0
        self._statuses: Counter[ClaimStatus] = Counter()
        self._by_rule: Counter[str] = Counter()
        self._by_action: Counter[str] = Counter()
        self._charge_in = ZERO
        self._clean = ZERO
        self._removed = ZERO
        self._rejected = ZERO
        self._lines_removed = 0
        self._lines_repaired = 0
        self._not_evaluated = 0
        self._charge_warnings: list[InputWarning] = []
        self.rule_names: dict[str, str] = {}

    def add(self, outcome: Outcome) -> dict[str, Any]:
        """Tally ``outcome`` (:meth:`count`) and return its claim entry."""
        self.count(outcome)
        return claim_entry(outcome)

    def count(self, outcome: Outcome) -> None:
        """Tally ``outcome`` into the running summary (no entry is built)."""
        self.claims += 1
        self._statuses[outcome.status] += 1
        findings = outcome.decision.findings
        for finding in findings:
            self._by_rule[finding.rule] += 1
            self._by_action[str(finding.action)] += 1
            self.rule_names.setdefault(finding.rule, finding.name)
        if any(f.action is Action.NOT_EVALUATED for f in findings):
            self._not_evaluated += 1
        charge_in = outcome.charge_in
        self._charge_in += charge_in
        if outcome.rejected:
            self._rejected += charge_in
        else:
            removed_lines = outcome.removed_lines
            removed = _sum(line.charge for line in removed_lines)
            self._removed += removed
            self._clean += charge_in - removed
            self._lines_removed += len(removed_lines)
            repaired = outcome.repaired_units
            if repaired:
                self._lines_repaired += sum(
                    1 for line in outcome.claim.lines if line.number in repaired
                )
        warning = charge_warning(outcome)
        if warning is not None:
            self._charge_warnings.append(warning)

    def count_accepted(self, claims: Sequence[PlainClaim]) -> None:
        """Tally each of ``claims`` (of a plain transaction, or copied) as
        :meth:`count` tallies it when given as an accepted outcome with no
        finding (no line removed, and no charge warning: such a claim's CLM02
        is the sum of its lines)."""
        if not claims:
            return
        self.claims += len(claims)
        self._statuses[ClaimStatus.ACCEPTED] += len(claims)
        charges = _sum(claim.charge for claim in claims)
        self._charge_in += charges
        self._clean += charges

    def merge(self, later: ReportBuilder) -> None:
        """Take in ``later``, the builder of the claims that follow this one's
        in the input (a shard of the same file): as if its outcomes had been
        added here."""
        self.claims += later.claims
        self._statuses.update(later._statuses)
        self._by_rule.update(later._by_rule)
        self._by_action.update(later._by_action)
        self._charge_in += later._charge_in
        self._clean += later._clean
        self._removed += later._removed
        self._rejected += later._rejected
        self._lines_removed += later._lines_removed
        self._lines_repaired += later._lines_repaired
        self._not_evaluated += later._not_evaluated
        self._charge_warnings.extend(later._charge_warnings)
        for rule, name in later.rule_names.items():
            self.rule_names.setdefault(rule, name)

    def summary(self) -> dict[str, Any]:
        statuses = self._statuses
        assert self._charge_in == self._clean + self._removed + self._rejected
        return {
            "claims": self.claims,
            "accepted": statuses[ClaimStatus.ACCEPTED],
            "corrected": statuses[ClaimStatus.CORRECTED],
            "rejected": statuses[ClaimStatus.REJECTED],
            "lines_removed": self._lines_removed,
            "lines_repaired": self._lines_repaired,
            "charges": {
                "input": format_amount(self._charge_in),
                "clean": format_amount(self._clean),
                "removed_lines": format_amount(self._removed),
                "rejected_claims": format_amount(self._rejected),
            },
            "findings_by_rule": dict(sorted(self._by_rule.items())),
            "findings_by_action": dict(sorted(self._by_action.items())),
            "claims_not_evaluated": self._not_evaluated,
        }

    def head(
        self, *, input_name: str, profile: str, as_of: dt.date, rule_set: str
    ) -> dict[str, Any]:
        """The document's keys before ``"claims"``."""
        return {
            "schema": SCHEMA,
            "rule_set": rule_set,
            "input": input_name,
            "profile": str(profile),
            "as_of": as_of.isoformat(),
            "summary": self.summary(),
        }

    def warnings(self, reader_warnings: Iterable[InputWarning]) -> list[dict[str, Any]]:
        """The ``"warnings"`` list: the reader's, then the charge mismatches."""
        return [w.as_dict() for w in (*reader_warnings, *self._charge_warnings)]


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    builder = ReportBuilder()
    for outcome in outcomes:
        builder.add(outcome)
    return builder.summary()


def claim_entry(outcome: Outcome) -> dict[str, Any]:
    claim = outcome.claim
    transaction = claim.transaction
    return {
        "claim_id": claim.patient_control_number,
        "ordinal": claim.ordinal,
        "transaction": transaction_entry(transaction),
        "status": str(outcome.status),
        "charge_in": format_amount(outcome.charge_in),
        "charge_out": format_amount(outcome.charge_out),
        "findings": [finding_entry(f) for f in outcome.decision.findings],
    }


def plain_entry(transaction: Transaction, claim: PlainClaim) -> dict[str, Any]:
    """The entry :func:`claim_entry` gives for ``claim`` of a plain transaction
    (accepted, no finding, charged out as submitted)."""
    charge = format_amount(claim.charge)
    return {
        "claim_id": claim.claim_id,
        "ordinal": claim.ordinal,
        "transaction": transaction_entry(transaction),
        "status": str(ClaimStatus.ACCEPTED),
        "charge_in": charge,
        "charge_out": charge,
        "findings": [],
    }


def transaction_entry(transaction: Transaction) -> dict[str, str]:
    """The ``"transaction"`` of a claim entry: its envelopes' control numbers."""
    return {
        "isa13": transaction.group.interchange.control_number,
        "gs06": transaction.group.control_number,
        "st02": transaction.control_number,
    }


def finding_entry(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "name": finding.name,
        "action": str(finding.action),
        "line": finding.line,
        "line_control": finding.line_control,
        "procedure": finding.procedure,
        "modifiers": list(finding.modifiers),
        "dos": finding.dos.isoformat() if finding.dos else None,
        "message": finding.message,
        "fix": finding.fix,
        "citation": finding.citation,
        "status_code": finding.status_code,
    }


def charge_warnings(outcomes: Iterable[Outcome]) -> list[InputWarning]:
    """Claims whose CLM02 is not the sum of their line charges."""
    return [w for w in map(charge_warning, outcomes) if w is not None]


def charge_warning(outcome: Outcome) -> InputWarning | None:
    """A warning when the claim's CLM02 is not the sum of its line charges."""
    claim = outcome.claim
    lines = _sum(line.charge for line in claim.lines)
    if lines == claim.total_charge:
        return None
    return InputWarning(
        f"CLM02 {format_amount(claim.total_charge)} differs from the sum of the "
        f"line charges {format_amount(lines)} (claim #{claim.ordinal})",
        claim.clm.position,
        "CLM",
    )


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
