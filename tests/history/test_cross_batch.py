"""A course split over weekly files decides as the same claims in one file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pytest

from scrubber.history import open_store
from scrubber.rules import Engine
from scrubber.rules.findings import ClaimDecision
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse
from scrubber.testing import ClaimSpec
from scrubber.testing.oracles import decide_with_history
from tests.history.builders import (
    COURSE_START,
    claims_of,
    course_specs,
    last_dos,
    treatment_days,
    weekly,
)
from tests.history.conftest import TEST_KEY

REGISTRY = CourseRegistry.of([RegisteredCourse("MBR0001", "1234567893", "C61", COURSE_START, 25)])


def by_claim(
    specs: Sequence[ClaimSpec], decisions: Sequence[ClaimDecision]
) -> dict[str, ClaimDecision]:
    return {spec.claim_id: decision for spec, decision in zip(specs, decisions, strict=True)}


def one_file(
    specs: Sequence[ClaimSpec], registry: CourseRegistry | None
) -> dict[str, ClaimDecision]:
    engine = Engine(as_of=last_dos(specs), registry=registry)
    return by_claim(specs, engine.decide_batch(claims_of(specs)))


def week_by_week(
    url: str, specs: Sequence[ClaimSpec], registry: CourseRegistry | None
) -> dict[str, ClaimDecision]:
    decisions: dict[str, ClaimDecision] = {}
    weeks = weekly(specs)
    assert len(weeks) >= 5
    with open_store(url, TEST_KEY) as store:
        for number, week in enumerate(weeks, start=1):
            engine = Engine(as_of=last_dos(week), registry=registry)
            got, _ = decide_with_history(engine, claims_of(week), store, source=f"week{number}.x12")
            decisions.update(by_claim(week, got))
    return decisions


def verdicts(
    decisions: Mapping[str, ClaimDecision] | Sequence[ClaimDecision], *, settled: bool = False
) -> object:
    """Status, removed/repaired lines and (rule, action, line) of every finding:
    the decision without the wording (an open course's IG407 message names the
    latest fraction known when it was decided). ``settled`` also leaves out
    the provisional IG407 warnings, which depend on what was known when."""
    if isinstance(decisions, Mapping):
        return {cid: verdicts([d], settled=settled) for cid, d in decisions.items()}
    return [
        (
            d.status,
            d.removed_lines,
            tuple(sorted(d.repaired_units.items())),
            tuple(
                (f.rule, f.action, f.line)
                for f in d.findings
                if not (settled and f.rule == "IG407")
            ),
        )
        for d in decisions
    ]


def provisional(decisions: Mapping[str, ClaimDecision]) -> set[tuple[str, int | None]]:
    """(claim, line) of every IG407 warning."""
    return {(cid, f.line) for cid, d in decisions.items() for f in d.findings if f.rule == "IG407"}


def assert_same_but_provisional(
    split: Mapping[str, ClaimDecision], single: Mapping[str, ClaimDecision]
) -> None:
    """An open course decides the same week by week as in one file, except
    that a port film may be provisional (IG407, a warning) in the week it was
    billed because the fractions that rule out the last three came later:
    every IG407 of the one-file run is one of the weekly run's, never the
    other way round, and nothing else differs (``scrubber retro`` lists the
    weekly ones as confirmed once the end is known)."""
    assert verdicts(split, settled=True) == verdicts(single, settled=True)
    assert provisional(single) <= provisional(split)


def rules_on(decision: ClaimDecision, line: int) -> set[str]:
    return {f.rule for f in decision.findings if f.line == line}


def test_registry_course_split_over_five_weeks_decides_as_one_file(store_url: str) -> None:
    specs = course_specs()
    single = one_file(specs, REGISTRY)
    split = week_by_week(store_url, specs, REGISTRY)
    assert split == single
    # RULES.md 5 example 4: port film on fraction 4 (IG405) and 24 (IG406) removed.
    assert "IG405" in rules_on(single["PCNMBR0001D04"], 2)
    assert "IG406" in rules_on(single["PCNMBR0001D24"], 2)
    assert 2 in single["PCNMBR0001D24"].removed_lines
    assert 2 not in single["PCNMBR0001D06"].removed_lines


def test_open_course_split_over_weeks_is_provisional_as_one_file(store_url: str) -> None:
    specs = course_specs()
    single = one_file(specs, None)
    split = week_by_week(store_url, specs, None)
    assert_same_but_provisional(split, single)
    assert "IG407" in rules_on(single["PCNMBR0001D24"], 2)
    assert "IG405" in rules_on(single["PCNMBR0001D04"], 2)


def test_history_of_other_patients_and_entities_is_not_context(store_url: str) -> None:
    # Another member and another NPI share the store; each decides as alone.
    first = course_specs("MBR0001")
    other_member = course_specs("MBR0002", port_fractions=(1, 2))
    other_npi = course_specs("MBR0001", prefix="NPI", npi="1999999992", port_fractions=(2, 3))
    combined = [*first, *other_member, *other_npi]
    single = one_file(combined, None)
    split = week_by_week(store_url, combined, None)
    assert_same_but_provisional(split, single)
    assert "IG405" in rules_on(single["PCNMBR0002D02"], 2)
    assert "IG405" in rules_on(single["NPIMBR0001D03"], 2)


def test_course_gap_and_new_course_across_batches(store_url: str) -> None:
    # Two courses of the same site, 60 days apart: numbering restarts.
    first = course_specs(fractions=10, port_fractions=(1,))
    second_start = treatment_days(10)[-1] + dt.timedelta(days=60)
    second = course_specs(prefix="B", fractions=10, port_fractions=(1, 2), start=second_start)
    specs = [*first, *second]
    registry = CourseRegistry.of(
        [
            RegisteredCourse("MBR0001", "1234567893", "C61", COURSE_START, 10),
            RegisteredCourse("MBR0001", "1234567893", "C61", second_start, 10),
        ]
    )
    single = one_file(specs, registry)
    split = week_by_week(store_url, specs, registry)
    assert split == single
    assert "IG405" not in rules_on(single["BMBR0001D01"], 2)
    assert "IG405" in rules_on(single["BMBR0001D02"], 2)


@pytest.mark.parametrize("weeks_first", [True, False])
def test_order_of_weekly_files_does_not_matter_when_end_is_known(
    store_url: str, weeks_first: bool
) -> None:
    specs = course_specs()
    weeks = weekly(specs)
    order = weeks if weeks_first else list(reversed(weeks))
    with open_store(store_url, TEST_KEY) as store:
        for week in order:
            engine = Engine(as_of=last_dos(specs), registry=REGISTRY)
            decide_with_history(engine, claims_of(week), store)
        # Re-scrubbing any week now, with the whole course stored, gives the
        # one-file decisions for that week.
        single = one_file(specs, REGISTRY)
        for week in weeks:
            engine = Engine(as_of=last_dos(specs), registry=REGISTRY)
            got, _ = decide_with_history(engine, claims_of(week), store)
            expected = [single[spec.claim_id] for spec in week]
            assert got == expected
