"""Helpers for writer tests: read built 837 text, make findings and decisions,
assert pyx12 conformance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from scrubber.model import Claim
from scrubber.rules.findings import Action, ClaimDecision, ClaimStatus, Finding
from scrubber.rules.outcome import Outcome, pair_outcomes
from scrubber.x12.conformance import check_conformance
from scrubber.x12.reader import X12Reader

NOW = dt.datetime(2026, 1, 6, 9, 30)


def read(text: str) -> tuple[X12Reader, list[Claim]]:
    reader = X12Reader(text)
    return reader, list(reader.claims())


def finding(
    rule: str = "IG105",
    action: Action = Action.REMOVE_LINE,
    line: int | None = 2,
    status_code: str = "A8:735",
    message: str = "77387-TC is bundled into 77385 on 2025-03-03 (line 1).",
    extra: Sequence[str] = (),
) -> Finding:
    return Finding(
        rule=rule,
        name=f"name-of-{rule.lower()}",
        action=action,
        line=line,
        line_control="",
        procedure="77387",
        modifiers=("TC",),
        dos=dt.date(2025, 3, 3),
        message=message,
        fix="Do not bill it.",
        citation="standard-image-guidance",
        status_code=status_code,
        extra_status_codes=tuple(extra),
        rule_set="image-guidance/2026.1",
    )


def accepted() -> ClaimDecision:
    return ClaimDecision(ClaimStatus.ACCEPTED, ())


def corrected(
    removed: Sequence[int] = (), repaired: dict[int, Decimal] | None = None
) -> ClaimDecision:
    findings = [finding(line=n) for n in removed]
    findings += [finding("IG402", Action.REPAIR, n, "A8:476") for n in (repaired or {})]
    return ClaimDecision(
        ClaimStatus.CORRECTED, tuple(findings), frozenset(removed), dict(repaired or {})
    )


def rejected(*findings: Finding) -> ClaimDecision:
    chosen = findings or (finding("IG108", Action.REJECT_CLAIM, 1, "A8:249"),)
    return ClaimDecision(ClaimStatus.REJECTED, tuple(chosen))


def outcomes(claims: list[Claim], decisions: Sequence[ClaimDecision]) -> list[Outcome]:
    return pair_outcomes(claims, list(decisions))


def assert_conforms(text: str) -> None:
    result = check_conformance(text)
    assert result.valid, "\n".join(str(e) for e in result.errors) or result.ack_999
    assert not result.errors
