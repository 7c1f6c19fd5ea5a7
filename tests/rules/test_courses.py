"""Courses across several claims and weeks (RULES.md section 2)."""

from __future__ import annotations

import datetime as dt

from scrubber.rules import parse_registry
from scrubber.rules.findings import Action, ClaimStatus
from scrubber.testing import LineSpec, weekdays
from tests.rules.rulekit import D, Entry, I, P, decide, line


def weekly_claims(
    days: list[dt.date], ports: set[int], prefix: str = "W", **kw: object
) -> list[Entry]:
    """One 837P claim per five fractions; a port image on the given fraction numbers."""
    claims = []
    for start in range(0, len(days), 5):
        lines: list[LineSpec] = []
        for number in range(start + 1, min(start + 5, len(days)) + 1):
            lines.append(line("77412", days[number - 1]))
            if number in ports:
                lines.append(line("77417", days[number - 1]))
        claims.append(P(f"{prefix}{start // 5 + 1}", *lines, **kw))
    return claims


def port_findings(outcome: object, rule: str) -> list[dt.date]:
    return sorted(
        f.dos
        for claim_id in outcome.order  # type: ignore[attr-defined]
        for f in outcome.fired(claim_id, rule)  # type: ignore[attr-defined]
        if f.dos is not None
    )


def test_port_blocks_of_five_across_weekly_claims() -> None:
    days = weekdays(D, 20)
    outcome = decide(weekly_claims(days, {1, 3, 6, 11, 15, 16, 19}), as_of=days[-1])
    # 3 is the second port of block 1-5, 15 of block 11-15, 19 of block 16-20.
    assert port_findings(outcome, "IG405") == [days[2], days[14], days[18]]
    # The course is open, but only fraction 19 can still turn out to be in the last three.
    assert port_findings(outcome, "IG407") == [days[18]]


def test_port_on_a_day_without_fraction_counts_for_the_next_fraction() -> None:
    days = weekdays(D, 10)
    saturday = days[4] + dt.timedelta(days=1)  # after fraction 5, before fraction 6
    claims = [*weekly_claims(days, {6}), P("SAT", line("77417", saturday))]
    outcome = decide(claims, as_of=days[-1])
    # The Saturday port belongs to block 6-10 (the next fraction's) and sorts first.
    assert port_findings(outcome, "IG405") == [days[5]]
    assert not outcome.fired("SAT", "IG405")


def test_port_after_the_last_fraction_counts_for_the_last_block() -> None:
    days = weekdays(D, 7)
    after = days[-1] + dt.timedelta(days=3)
    outcome = decide([*weekly_claims(days, {6}), P("LATE", line("77417", after))], as_of=after)
    assert outcome.fired("LATE", "IG405")


def test_last_three_fractions_with_registry_end() -> None:
    days = weekdays(D, 10)
    registry = parse_registry(f"MBR0001,1234567893,C61,{D.isoformat()},10\n")
    claims = weekly_claims(days, {1, 7, 8})
    outcome = decide(claims, as_of=days[-1], registry=registry)
    assert port_findings(outcome, "IG406") == [days[7]]  # fraction 8 of 10
    assert port_findings(outcome, "IG407") == []
    (finding,) = outcome.fired("W2", "IG406")
    assert "course end known: registry" in finding.message


def test_registry_with_more_planned_fractions_than_billed_yet() -> None:
    days = weekdays(D, 10)
    registry = parse_registry(
        "member_id,billing_npi,site_icd10,first_dos,planned_fractions\n"
        f"MBR0001,1234567893,C61,{D.isoformat()},25\n"
    )
    outcome = decide(weekly_claims(days, {10}), as_of=days[-1], registry=registry)
    assert port_findings(outcome, "IG406") == []  # fraction 10 of 25: not in the last three
    assert port_findings(outcome, "IG407") == []  # the end is known


def test_last_three_fractions_with_final_institutional_claim() -> None:
    days = weekdays(D, 8)
    first = I("H1", *(line("77412", d) for d in days[:5]), line("77417", days[0]))
    last = I(
        "H2", *(line("77412", d) for d in days[5:]), line("77417", days[6]), frequency_code="4"
    )
    outcome = decide([first, last], as_of=days[-1])
    assert outcome.fired("H2", "IG406")  # fraction 7 of 8
    assert "final-claim" in outcome.fired("H2", "IG406")[0].message
    interim = I("H2", *(line("77412", d) for d in days[5:]), line("77417", days[6]))
    open_course = decide([first, interim], as_of=days[-1])
    assert not open_course.fired("H2", "IG406")
    assert open_course.fired("H2", "IG407")


def test_open_course_is_provisional_then_decided_once_elapsed() -> None:
    days = weekdays(D, 5)
    claims = weekly_claims(days, {4})
    open_outcome = decide(claims, as_of=days[-1] + dt.timedelta(days=30))
    assert open_outcome.action("W1", "IG407", 5) is Action.WARN
    assert open_outcome["W1"].status is ClaimStatus.ACCEPTED
    ended = decide(claims, as_of=days[-1] + dt.timedelta(days=31))
    assert ended.action("W1", "IG406", 5) is Action.REMOVE_LINE
    assert not ended.fired("W1", "IG407")


def test_gap_of_more_than_30_days_starts_a_new_course() -> None:
    first = weekdays(D, 3)
    second = weekdays(first[-1] + dt.timedelta(days=31), 3)
    claims = [*weekly_claims(first, {1}, "A"), *weekly_claims(second, {1}, "B")]
    outcome = decide(claims, as_of=second[-1])
    assert not outcome.fired("B1", "IG405")  # fraction 1 of the new course
    assert outcome.fired("A1", "IG406")  # the first course has ended (gap > 30 days)
    same = weekdays(first[-1] + dt.timedelta(days=30), 3)  # exactly 30 days: same course
    outcome = decide([*weekly_claims(first, {1}, "A"), *weekly_claims(same, {1}, "B")], as_of=D)
    assert outcome.fired("B1", "IG405")


def test_gap_is_configurable() -> None:
    first = weekdays(D, 3)
    second = weekdays(first[-1] + dt.timedelta(days=12), 3)
    claims = [*weekly_claims(first, {1}, "A"), *weekly_claims(second, {1}, "B")]
    assert decide(claims, as_of=second[-1]).fired("B1", "IG405")
    assert not decide(claims, as_of=second[-1], gap_days=10).fired("B1", "IG405")


def test_new_simulation_after_the_last_fraction_starts_a_new_course() -> None:
    first = weekdays(D, 3)
    sim_day = first[-1] + dt.timedelta(days=3)
    second = weekdays(sim_day + dt.timedelta(days=1), 3)
    claims = [
        *weekly_claims(first, {1}, "A"),
        P("SIM", line("77290", sim_day)),
        *weekly_claims(second, {1}, "B"),
    ]
    outcome = decide(claims, as_of=second[-1])
    assert not outcome.fired("B1", "IG405")
    without_sim = [c for c in claims if c.spec.claim_id != "SIM"]
    assert decide(without_sim, as_of=second[-1]).fired("B1", "IG405")


def test_verification_simulation_on_a_treatment_day_stays_in_the_course() -> None:
    days = weekdays(D, 6)
    claims = [*weekly_claims(days, {1, 3}), P("SIM", line("77280", days[1], pointers=(1,)))]
    outcome = decide(claims, as_of=days[-1])
    assert port_findings(outcome, "IG405") == [days[2]]


def test_two_sites_for_one_patient_are_two_courses() -> None:
    days = weekdays(D, 5)
    lines = []
    for day in days:
        lines += [line("77412", day, pointers=(1,)), line("77412", day, pointers=(2,))]
    lines += [
        line("77417", days[0], pointers=(1,)),
        line("77417", days[0], pointers=(2,)),
        line("77387", days[2], "26", pointers=(2,)),
        line("77417", days[2], pointers=(1,)),
    ]
    outcome = decide([P("C1", *lines, diagnoses=("C61", "C7951"))], as_of=days[-1])
    assert not outcome.fired("C1", "IG405", 11)
    assert not outcome.fired("C1", "IG405", 12)  # the other site's block
    assert not outcome.fired("C1", "IG403", 14)  # IGRT on the other site does not bundle
    assert outcome.fired("C1", "IG405", 14)  # second port of site 1 in fractions 1-5


def test_twice_daily_fractions() -> None:
    days = weekdays(D, 4)
    lines = []
    for day in days:
        lines.append(line("77412", day, units=2))
    lines += [
        line("77417", days[0]),
        line("77417", days[2]),
        line("77417", days[3]),
        line("77387", days[1], "26", units=2),
    ]
    outcome = decide([P("C1", *lines)], as_of=days[-1])
    # Day 3 holds fractions 5-6: its first fraction (5) is in block 1-5 -> removed.
    assert outcome.fired("C1", "IG405", 6)
    assert not outcome.fired("C1", "IG405", 7)  # fractions 7-8: block 6-10
    assert not outcome.fired("C1", "IG101", 8)  # two IGRT units for two fractions


def test_course_modality_comes_from_other_claims_of_the_course() -> None:
    plan = P("PLAN", line("77306", D - dt.timedelta(days=5)))
    igrt = P("TX", line("77412"), line("77387", D, "26"))
    assert decide([plan, igrt]).fired("TX", "IG102")
    other_site = P("PLAN", line("77306", D - dt.timedelta(days=5)), diagnoses=("C50911",))
    assert not decide([other_site, igrt]).fired("TX", "IG102")


def _ports_around_a_planning_line(code: str) -> list[Entry]:
    """Fractions 1-2 with a port image on fraction 1; ``code`` billed on a
    weekend day between fractions 2 and 3; fraction 3 with another port image
    (same block of five if the course goes on)."""
    days = [D, D + dt.timedelta(days=1), D + dt.timedelta(days=7)]  # Mon, Tue, next Mon
    between = D + dt.timedelta(days=5)  # the Saturday between fractions 2 and 3
    return [
        P("W1", line("77412", days[0]), line("77417", days[0]), line("77412", days[1])),
        P("PLAN", line(code, between)),
        P("W2", line("77412", days[2]), line("77417", days[2])),
    ]


def test_mlc_device_between_fractions_does_not_start_a_course() -> None:
    """77338 is in the IMRT planning set, but RULES.md section 2 names only
    simulations and plans 77295/77301/77306/77307 as course starts: the second
    port image is still in fractions 1-5 of the same course (IG405)."""
    outcome = decide(_ports_around_a_planning_line("77338"), as_of=D)
    assert outcome.action("W2", "IG405", 2) is Action.REMOVE_LINE


def test_imrt_plan_between_fractions_starts_a_course() -> None:
    """The boundary: 77301 on the same day restarts the count (fraction 1 again)."""
    outcome = decide(_ports_around_a_planning_line("77301"), as_of=D)
    assert not outcome.fired("W2", "IG405")


def test_mlc_device_still_makes_the_course_imrt() -> None:
    """Not a course start, 77338 is still an IMRT-plan modality signal (IG104
    reviews IGRT only in non-IMRT courses)."""
    days = [D, D + dt.timedelta(days=1)]
    igrt = P("W1", line("77412", days[0]), line("77387", days[0], "26"), line("77412", days[1]))
    assert decide([igrt], as_of=D).fired("W1", "IG104")
    with_mlc = [igrt, P("MLC", line("77338", D + dt.timedelta(days=5)))]
    assert not decide(with_mlc, as_of=D).fired("W1", "IG104")
