"""``scrubber retro``: provisional port films and other reversed decisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from scrubber import cli
from scrubber.history import LineOutcome, open_store
from scrubber.history.retro import ChangeKind, find_reversals
from scrubber.model import ClaimKind
from scrubber.rules import Engine
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse
from scrubber.testing import ClaimSpec, LineSpec, build_837
from scrubber.testing.oracles import decide_with_history
from scrubber.x12.reader import read_claims
from tests.history.builders import COURSE_START, claims_of, course_specs, last_dos, weekly
from tests.history.conftest import TEST_KEY

LAST_DAY = dt.date(2025, 4, 4)  # fraction 25
LATER = dt.date(2025, 6, 1)  # more than 30 days after it: the course has ended


def scrub_weekly(url: str, registry: CourseRegistry | None = None) -> None:
    with open_store(url, TEST_KEY) as store:
        for week in weekly(course_specs()):
            engine = Engine(as_of=last_dos(week), registry=registry)
            decide_with_history(engine, claims_of(week), store)


def retro(url: str, as_of: dt.date, courses: CourseRegistry | None = None):  # type: ignore[no-untyped-def]
    with open_store(url, TEST_KEY) as store:
        return find_reversals(store, Engine(as_of=as_of), courses=courses)


def test_nothing_is_reversed_while_the_course_is_open(store_url: str) -> None:
    scrub_weekly(store_url)
    report = retro(store_url, LAST_DAY)
    assert report.changes == ()
    # Only fraction 24's port film was provisional when billed: for 1 and 6,
    # the fractions known that week already ruled out the last three; 4 was
    # removed (IG405).
    assert report.provisional_still_open == 1
    assert report.claims == 26


def test_elapsed_course_end_turns_provisional_port_film_into_ig406(store_url: str) -> None:
    scrub_weekly(store_url)
    report = retro(store_url, LATER)
    (change,) = report.changes
    assert change.kind is ChangeKind.PORT_IN_LAST_THREE
    assert (change.claim_id, change.line, change.procedure) == ("PCNMBR0001D24", 2, "77417")
    assert (change.was, change.now) == (LineOutcome.BILLED, LineOutcome.REMOVED)
    assert "IG407" in change.was_rules
    assert [f.rule for f in change.now_findings] == ["IG406"]
    assert "replacement claim" in change.action
    assert report.provisional_confirmed == 0 and report.provisional_still_open == 0
    # Read-only: asking again gives the same answer.
    assert retro(store_url, LATER).changes == report.changes


def test_registry_given_to_retro_makes_the_end_known_and_is_kept(store_url: str) -> None:
    scrub_weekly(store_url)
    registry = CourseRegistry.of(
        [RegisteredCourse("MBR0001", "1234567893", "C61", COURSE_START, 25)]
    )
    report = retro(store_url, LAST_DAY, registry)
    assert [c.claim_id for c in report.changes] == ["PCNMBR0001D24"]
    # The row is stored: without --courses the end stays known.
    assert [c.claim_id for c in retro(store_url, LAST_DAY).changes] == ["PCNMBR0001D24"]


def test_longer_planned_course_confirms_the_port_films(store_url: str) -> None:
    scrub_weekly(store_url)
    registry = CourseRegistry.of(
        [RegisteredCourse("MBR0001", "1234567893", "C61", COURSE_START, 30)]
    )
    report = retro(store_url, LAST_DAY, registry)
    assert report.changes == ()
    assert report.provisional_confirmed == 1  # fraction 24 of 30: not in the last three


def test_retro_with_the_knowledge_of_the_scrub_reverses_nothing(store_url: str) -> None:
    # Re-deciding from the store reproduces every stored decision exactly.
    registry = CourseRegistry.of(
        [RegisteredCourse("MBR0001", "1234567893", "C61", COURSE_START, 25)]
    )
    specs = course_specs()
    extra = [
        ClaimSpec("X1", [LineSpec("77387", ("TC",)), LineSpec("77385"), LineSpec("99213")]),
        ClaimSpec("X2", [LineSpec("77014", ("26",), dos=dt.date(2025, 3, 4))]),
        ClaimSpec("X3", [LineSpec("G6002", dos=dt.date(2026, 2, 2))]),
    ]
    with open_store(store_url, TEST_KEY) as store:
        engine = Engine(as_of=LAST_DAY, registry=registry)
        decisions, _ = decide_with_history(engine, claims_of([*specs, *extra]), store)
    assert any(d.removed_lines for d in decisions) and any(
        d.status == "rejected" for d in decisions
    )
    report = retro(store_url, LAST_DAY)
    assert report.changes == ()
    assert report.claims == len(specs) + len(extra)


def test_late_plan_changes_modality_and_is_reported(store_url: str) -> None:
    # IGRT billed on a course of 77402 deliveries in 2026 is IG102 (2D): the
    # 2D signal here comes from a 2D plan scrubbed after the deliveries.
    start = dt.date(2025, 3, 3)
    deliveries = [
        ClaimSpec(f"T{n}", [LineSpec("77407", dos=start + dt.timedelta(days=n)),
                            LineSpec("77387", ("26",), dos=start + dt.timedelta(days=n))])
        for n in range(3)
    ]  # fmt: skip
    plan = [ClaimSpec("PLAN", [LineSpec("77306", dos=start + dt.timedelta(days=1))])]
    with open_store(store_url, TEST_KEY) as store:
        engine = Engine(as_of=start)
        first, _ = decide_with_history(engine, claims_of(deliveries), store)
        decide_with_history(engine, claims_of(plan), store)
    assert all(d.status != "rejected" for d in first)
    report = retro(store_url, start)
    assert {c.claim_id for c in report.changes} == {"T0", "T1", "T2"}
    assert all(c.kind is ChangeKind.NO_LONGER_BILLABLE for c in report.changes)
    assert all(c.now is LineOutcome.REJECTED for c in report.changes)


def test_closing_837i_span_is_stored(store_url: str) -> None:
    spec = ClaimSpec(
        "I1",
        [LineSpec("77385", dos=dt.date(2025, 3, 3)), LineSpec("77385", dos=dt.date(2025, 3, 4))],
        facility_code="13",
        frequency_code="1",
    )
    claims = list(read_claims(build_837([spec], ClaimKind.INSTITUTIONAL)))
    with open_store(store_url, TEST_KEY) as store:
        decide_with_history(Engine(as_of=LAST_DAY), claims, store)
        (stored,) = store.snapshot(store.subject_ids()).claims
    assert stored.facts.closing_span is not None
    assert stored.facts.closing_span.end >= dt.date(2025, 3, 4)


def test_cli_text_and_json(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scrub_weekly(sqlite_url)
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())
    assert cli.main(["retro", "--history", sqlite_url, "--as-of", LAST_DAY.isoformat()]) == 0
    assert "No stored decision is reversed" in capsys.readouterr().out
    status = cli.main(["retro", "--history", sqlite_url, "--as-of", LATER.isoformat()])
    out = capsys.readouterr().out
    assert status == 1
    assert "now in the last three fractions (IG406): 1" in out
    assert "claim PCNMBR0001D24 line 2: 77417 2025-04-03: was billed, now removed" in out
    argv = ["retro", "--history", sqlite_url, "--as-of", LATER.isoformat(), "--format", "json"]
    assert cli.main(argv) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "scrubber-retro/1"
    assert document["summary"]["changes_by_kind"] == {"port-in-last-three": 1}
    assert document["changes"][0]["claim_id"] == "PCNMBR0001D24"
    assert "MBR0001" not in json.dumps(document).replace("PCNMBR0001", "")


def test_cli_courses_file(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scrub_weekly(sqlite_url)
    courses = tmp_path / "courses.csv"
    courses.write_text(
        "member_id,billing_npi,site_icd10,first_dos,planned_fractions\n"
        "MBR0001,1234567893,C61,2025-03-03,25\n"
    )
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())
    argv = ["retro", "--history", sqlite_url, "--courses", str(courses), "--as-of", "2025-04-04"]
    assert cli.main(argv) == 1
    assert "PCNMBR0001D24" in capsys.readouterr().out


def test_cli_usage_errors(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCRUBBER_HISTORY_URL", raising=False)
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY", raising=False)
    monkeypatch.delenv("SCRUBBER_HISTORY_KEY_FILE", raising=False)
    assert cli.main(["retro"]) == 2
    assert "--history" in capsys.readouterr().err
    assert cli.main(["retro", "--history", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scrubber retro:") and "SCRUBBER_HISTORY_KEY" in err
    monkeypatch.setenv("SCRUBBER_HISTORY_KEY", TEST_KEY.decode())
    assert cli.main(["retro", "--history", "mysql://x/y"]) == 2


def test_void_after_retro_clears_the_change(store_url: str) -> None:
    scrub_weekly(store_url)
    (change,) = retro(store_url, LATER).changes
    specs = {spec.claim_id: spec for spec in course_specs()}
    fixed = dataclasses.replace(
        specs[change.claim_id],
        frequency_code="7",
        payer_claim_number="ICN24",
        lines=[specs[change.claim_id].lines[0]],
    )
    with open_store(store_url, TEST_KEY) as store:
        decide_with_history(Engine(as_of=LATER), claims_of([fixed]), store)
    assert retro(store_url, LATER).changes == ()


def test_claims_rejected_for_their_amounts_stay_out_of_retro(store_url: str) -> None:
    """Issue 16: a claim rejected by IG004/IG005 is recorded as rejected only when
    it replaces nothing (its fractions stay course context); retro does not
    decide it again (the store keeps no amounts), and an earlier stored version
    of the claim stays until a corrected one replaces it."""
    day = dt.date(2025, 3, 3)
    good = ClaimSpec("PCN1", [LineSpec("77412", dos=day)])
    off = [
        ClaimSpec("PCN1", [LineSpec("77412", dos=day)], total_charge=Decimal("99.99"),
                  frequency_code="7"),
        ClaimSpec("PCN2", [LineSpec("77412", dos=day, charge=Decimal("117.005"))],
                  member_id="M2"),
    ]  # fmt: skip
    engine = Engine(as_of=LATER)
    with open_store(store_url, TEST_KEY) as store:
        decide_with_history(engine, list(read_claims(build_837([good]))), store)
        decisions, recorded = decide_with_history(engine, list(read_claims(build_837(off))), store)
    assert [d.status.value for d in decisions] == ["rejected", "rejected"]
    assert recorded.recorded == 1  # PCN2; PCN1's replacement leaves the stored PCN1
    report = retro(store_url, LATER)
    assert report.changes == ()
    assert report.claims == 2  # the first PCN1, as it was accepted, and PCN2 (not decided)
