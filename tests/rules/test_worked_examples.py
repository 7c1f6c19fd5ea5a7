"""RULES.md section 5: the worked examples, each as written."""

from __future__ import annotations

import datetime as dt

from scrubber.rules.findings import Action, ClaimStatus
from scrubber.testing import weekdays
from tests.rules.rulekit import D, I, P, decide, line


def test_example_1_imrt_igrt_tc_and_port_same_day() -> None:
    outcome = decide([P("C1", line("77385"), line("77387", D, "TC"), line("77417"))], as_of=D)
    decision = outcome["C1"]
    assert decision.status is ClaimStatus.CORRECTED
    assert decision.removed_lines == frozenset({2, 3})
    assert outcome.action("C1", "IG105", 2) is Action.REMOVE_LINE
    # IG403: the port shares the DOS with an IGRT line, even one that is itself removed.
    assert outcome.action("C1", "IG403", 3) is Action.REMOVE_LINE
    (ig105,) = outcome.fired("C1", "IG105", 2)
    assert ig105.message == (
        "77387-TC on 2025-03-03 (line 2) is bundled into IMRT delivery 77385 (line 1)."
    )


def test_example_2_gcode_on_institutional_claim() -> None:
    outcome = decide([I("C1", line("G6002"), facility_code="13", frequency_code="1")])
    assert outcome["C1"].status is ClaimStatus.REJECTED
    (finding,) = outcome.fired("C1", "IG108", 1)
    assert finding.action is Action.REJECT_CLAIM
    assert finding.status_code == "A8:228"
    assert outcome["C1"].removed_lines == frozenset()


def test_example_3_gcode_deleted_2026() -> None:
    day = dt.date(2026, 2, 2)
    outcome = decide([P("C1", line("77407", day), line("G6002", day))])
    assert outcome["C1"].status is ClaimStatus.REJECTED
    (finding,) = outcome.fired("C1", "IG001", 2)
    assert (
        "report 77387-26 for the professional part; the technical part is in 77407"
        in finding.message
    )


def test_example_4_port_films_in_a_25_fraction_course() -> None:
    days = weekdays(D, 25)
    ports = {1, 4, 6, 24}
    claims = []
    for week in range(5):
        lines = []
        for number in range(week * 5 + 1, week * 5 + 6):
            lines.append(line("77412", days[number - 1]))
            if number in ports:
                lines.append(line("77417", days[number - 1]))
        claims.append(P(f"W{week + 1}", *lines))
    outcome = decide(claims, as_of=days[-1] + dt.timedelta(days=31))  # end known (c)
    # Fraction 1's port is line 2 of week 1; fraction 4's is line 6 (after 4 deliveries + 1 port).
    assert outcome.rules("W1") == {("IG405", 6)}
    assert outcome["W1"].removed_lines == frozenset({6})
    assert outcome.rules("W2") == set()  # fraction 6 opens block 6-10
    (ig406,) = outcome.fired("W5", "IG406")
    assert ig406.dos == days[23]
    assert "fraction 24 of 25" in ig406.message
    assert outcome["W5"].status is ClaimStatus.CORRECTED


def test_example_5_planning_ct() -> None:
    outcome = decide(
        [
            P("C1", line("77014", D, "26")),
            P("C2", line("77290"), line("77014", D, "TC")),
            P("C3", line("77014", D + dt.timedelta(days=1), "TC")),
        ]
    )
    assert outcome.action("C1", "IG202", 1) is Action.REMOVE_LINE
    assert outcome.action("C2", "IG201", 2) is Action.REMOVE_LINE
    assert not outcome.fired("C3", "IG201")
    assert outcome["C3"].removed_lines == frozenset()
