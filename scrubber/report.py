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
from scrubber.findings import Action, ClaimStatus, Finding
from scrubber.outcome import ZERO, Outcome
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
    all_warnings = [*warnings, *charge_warnings(outcomes)]
    return {
        "schema": SCHEMA,
        "rule_set": rule_set,
        "input": input_name,
        "profile": str(profile),
        "as_of": as_of.isoformat(),
        "summary": summary(outcomes),
        "claims": [claim_entry(outcome) for outcome in outcomes],
        "warnings": [w.as_dict() for w in all_warnings],
    }


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    statuses = Counter(outcome.status for outcome in outcomes)
    findings = [f for outcome in outcomes for f in outcome.decision.findings]
    charge_in = _sum(o.charge_in for o in outcomes)
    clean = _sum(o.charge_out for o in outcomes)
    removed = _sum(o.charge_removed for o in outcomes)
    rejected = _sum(o.charge_in for o in outcomes if o.rejected)
    assert charge_in == clean + removed + rejected  # by construction of charge_out
    return {
        "claims": len(outcomes),
        "accepted": statuses[ClaimStatus.ACCEPTED],
        "corrected": statuses[ClaimStatus.CORRECTED],
        "rejected": statuses[ClaimStatus.REJECTED],
        "lines_removed": sum(len(o.removed_lines) for o in outcomes),
        "lines_repaired": sum(
            1 for o in outcomes for line in o.claim.lines if line.number in o.repaired_units
        ),
        "charges": {
            "input": format_amount(charge_in),
            "clean": format_amount(clean),
            "removed_lines": format_amount(removed),
            "rejected_claims": format_amount(rejected),
        },
        "findings_by_rule": dict(sorted(Counter(f.rule for f in findings).items())),
        "findings_by_action": dict(sorted(Counter(str(f.action) for f in findings).items())),
        "claims_not_evaluated": sum(
            1
            for o in outcomes
            if any(f.action is Action.NOT_EVALUATED for f in o.decision.findings)
        ),
    }


def claim_entry(outcome: Outcome) -> dict[str, Any]:
    claim = outcome.claim
    transaction = claim.transaction
    return {
        "claim_id": claim.patient_control_number,
        "ordinal": claim.ordinal,
        "transaction": {
            "isa13": transaction.group.interchange.control_number,
            "gs06": transaction.group.control_number,
            "st02": transaction.control_number,
        },
        "status": str(outcome.status),
        "charge_in": format_amount(outcome.charge_in),
        "charge_out": format_amount(outcome.charge_out),
        "findings": [finding_entry(f) for f in outcome.decision.findings],
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
    found = []
    for outcome in outcomes:
        claim = outcome.claim
        lines = _sum(line.charge for line in claim.lines)
        if lines != claim.total_charge:
            found.append(
                InputWarning(
                    f"CLM02 {format_amount(claim.total_charge)} differs from the sum of the "
                    f"line charges {format_amount(lines)} (claim #{claim.ordinal})",
                    claim.clm.position,
                    "CLM",
                )
            )
    return found


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
