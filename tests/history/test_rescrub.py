"""Re-scrubbing a cleaned file changes nothing, with a history store.

``scrubber scrub S --history URL`` writes ``S.clean.x12``; scrubbing
``S.clean.x12`` again with the same store must give the same cleaned 837 and
no new finding. The case that needs the store: a course whose last claim is
rejected. The cleaned file lacks that claim's fractions, so without a store
the course looks shorter on the second run and IG406 (no port film in the
last three fractions) newly removes a port film. The store keeps the
rejected claim (its lines recorded with outcome ``rejected``) and gives its
facts back as course context, so the second run sees the whole course.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scrubber import cli, scrub
from scrubber.testing import ClaimSpec, LineSpec, build_837, weekdays
from tests.history.conftest import TEST_KEY

AS_OF = "2026-11-26"  # long after the course: its end is known (elapsed)
DAYS = weekdays(dt.date(2025, 3, 3), 25)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")


def course_text() -> str:
    """25 fractions (77412) billed in five weekly claims. W0-W3 bill a port
    film (77417) on their last day, W0 a second one in the same block of
    five (IG405 removes it: W0 is corrected); W4 (fractions 21-25) bills
    77387 globally with IMRT 77385 on its first day (IG106 rejects it)."""
    claims = []
    for week in range(5):
        days = DAYS[week * 5 : week * 5 + 5]
        lines = [LineSpec("77412", dos=day, charge=Decimal("300.00")) for day in days]
        if week < 4:
            lines.append(LineSpec("77417", dos=days[-1], charge=Decimal("55.00")))
        if week == 0:
            lines.append(LineSpec("77417", dos=days[1], charge=Decimal("55.00")))
        if week == 4:
            lines.append(LineSpec("77385", dos=days[0]))
            lines.append(LineSpec("77387", dos=days[0], charge=Decimal("90.00")))
        claims.append(ClaimSpec(f"W{week}", lines))
    return build_837(claims)


def _scrub_cli(path: Path, out: Path, profile: str, history: str | None) -> dict[str, Any]:
    argv = ["scrub", str(path), "-o", str(out), "--as-of", AS_OF, "--profile", profile, "--quiet"]
    if history is not None:
        argv += ["--history", history]
    assert cli.main(argv) in (0, 1)
    report: dict[str, Any] = json.loads((out / f"{path.stem}.report.json").read_text())
    return report


def _findings(report: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """Findings by claim, rule, code and DOS (line numbers change when
    removed lines are gone)."""
    return {
        (claim["claim_id"], f["rule"], f["procedure"], f["dos"])
        for claim in report["claims"]
        for f in claim["findings"]
    }


@pytest.mark.parametrize("profile", ["clean", "strict"])
def test_rescrub_with_history_changes_nothing(store_url: str, tmp_path: Path, profile: str) -> None:
    source = tmp_path / "S.x12"
    source.write_text(course_text())
    first = _scrub_cli(source, tmp_path / "out1", profile, store_url)
    statuses = {c["claim_id"]: c["status"] for c in first["claims"]}
    assert statuses["W4"] == "rejected"
    assert statuses["W0"] == ("corrected" if profile == "clean" else "rejected")
    cleaned = tmp_path / "out1" / "S.clean.x12"
    assert "CLM*W4*" not in cleaned.read_text()

    second = _scrub_cli(cleaned, tmp_path / "out2", profile, store_url)

    assert (tmp_path / "out2" / "S.clean.clean.x12").read_bytes() == cleaned.read_bytes()
    assert _findings(second) <= _findings(first)
    assert second["summary"]["corrected"] == second["summary"]["rejected"] == 0


def test_rescrub_twice_with_history_is_stable(sqlite_url: str) -> None:
    """A third scrub (of the second run's output) still changes nothing."""
    first = scrub(course_text(), as_of=AS_OF, history=sqlite_url)
    assert first.clean_x12 is not None
    second = scrub(first.clean_x12, as_of=AS_OF, history=sqlite_url)
    third = scrub(second.clean_x12 or "", as_of=AS_OF, history=sqlite_url)
    assert second.clean_x12 == third.clean_x12 == first.clean_x12
    assert third.report["claims"] == second.report["claims"]


def test_rescrub_without_history_removes_a_port_film() -> None:
    """The documented limitation: without a store the rejected claim's
    fractions are gone from the second run, the course ends at fraction 20
    and W3's port film (fraction 20) falls in its last three fractions."""
    first = scrub(course_text(), as_of=AS_OF)
    assert first.clean_x12 is not None
    second = scrub(first.clean_x12, as_of=AS_OF)
    assert second.clean_x12 != first.clean_x12
    new = _findings(second.report) - _findings(first.report)
    assert new == {("W3", "IG406", "77417", DAYS[19].isoformat())}


def test_resubmission_under_a_new_claim_id_is_not_judged_against_the_rejected_claim(
    sqlite_url: str,
) -> None:
    """W1 is rejected (IG106); the practice resubmits it fixed as W1B. The
    payer never got W1, so W1B's port film is the first of fractions 6-10,
    as it is when W0 and W1B are scrubbed together without W1."""
    days = weekdays(dt.date(2025, 3, 3), 10)
    w0 = ClaimSpec(
        "W0", [LineSpec("77412", dos=d) for d in days[:5]] + [LineSpec("77417", dos=days[0])]
    )
    fixed_lines = [LineSpec("77412", dos=d) for d in days[5:]] + [LineSpec("77417", dos=days[5])]
    rejected = ClaimSpec(
        "W1", [*fixed_lines, LineSpec("77385", dos=days[6]), LineSpec("77387", dos=days[6])]
    )
    as_of = "2025-03-20"
    first = scrub(build_837([w0, rejected]), as_of=as_of, history=sqlite_url)
    assert [c["status"] for c in first.report["claims"]] == ["accepted", "rejected"]
    together = scrub(build_837([w0, ClaimSpec("W1B", fixed_lines)]), as_of=as_of)
    assert [c["status"] for c in together.report["claims"]] == ["accepted", "accepted"]

    resubmitted = scrub(build_837([ClaimSpec("W1B", fixed_lines)]), as_of=as_of, history=sqlite_url)

    assert resubmitted.report["claims"][0]["findings"] == []


def test_rescrub_keeps_the_fractions_of_a_claim_rejected_for_its_amounts(
    sqlite_url: str,
) -> None:
    """W4 (fractions 21-25) is rejected by IG005: its CLM02 is not the sum of
    its lines. A re-scrub of the cleaned file must still see 25 fractions."""
    text = course_text().replace("CLM*W4*1690.00*", "CLM*W4*1691.00*")
    first = scrub(text, as_of=AS_OF, history=sqlite_url)
    assert {f["rule"] for f in first.report["claims"][4]["findings"]} >= {"IG005"}
    assert first.clean_x12 is not None
    second = scrub(first.clean_x12, as_of=AS_OF, history=sqlite_url)
    assert second.clean_x12 == first.clean_x12
