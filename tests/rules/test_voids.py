"""Void claims (CLM05-3 = 8) cancel an earlier claim: they bill nothing."""

from __future__ import annotations

from scrubber.rules.findings import ClaimStatus
from tests.rules.rulekit import D, P, decide, line


def test_void_is_accepted_as_it_is() -> None:
    # The same lines on an original claim would lose the 77387-TC (IG105).
    void = P("C1", line("77385"), line("77387", D, "TC"), frequency_code="8")
    outcome = decide([void])
    assert outcome["C1"].status is ClaimStatus.ACCEPTED
    assert outcome["C1"].findings == ()
    original = decide([P("C1", line("77385"), line("77387", D, "TC"))])
    assert original.fired("C1", "IG105", 2)


def test_void_lines_are_not_context_for_other_claims() -> None:
    igrt = P("C2", line("77387", D, "TC"))
    voided_imrt = P("C1", line("77385"), frequency_code="8")
    assert not decide([voided_imrt, igrt]).fired("C2", "IG105")
    billed_imrt = P("C1", line("77385"))
    assert decide([billed_imrt, igrt]).fired("C2", "IG105", 1)
