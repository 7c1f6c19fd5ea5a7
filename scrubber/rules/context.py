"""Pass two's input: an index over line facts (batch, plus history when given).

Built once from any iterable of :class:`ClaimFacts` (the batch being
scrubbed, earlier batches from a history store), it answers the questions
cross-claim rules ask: which lines share a patient + entity + DOS, how many
fractions that day has, and which course a line belongs to. It never holds
claims, only facts, and never changes after :func:`build_context`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar, cast

from scrubber.model import DateRange
from scrubber.pickling import by_fields
from scrubber.rules.facts import DATED_ORDER, ClaimFacts, LineFact, PatientKey
from scrubber.rules.radonc.codeset import CodeTable
from scrubber.rules.radonc.courses import (
    Course,
    CourseKey,
    CourseSettings,
    build_courses,
    course_on,
    fraction_units,
)
from scrubber.rules.radonc.registry import EMPTY_REGISTRY, CourseRegistry

DEFAULT_GAP_DAYS = 30
_K = TypeVar("_K")

DayKey = tuple[PatientKey, str, dt.date]  # patient, entity, DOS


@dataclass(frozen=True, slots=True)
class Context:
    """Read-only index over facts. ``by_day`` holds every dated line of a
    patient + entity + DOS (all sites, all claims, removed or not);
    ``by_course_key`` every dated line of a patient + entity + site;
    ``by_day_site`` the lines of ``by_day`` by site (so that a same-site
    question is a look-up, not a scan of the day)."""

    codes: CodeTable
    settings: CourseSettings
    by_day: Mapping[DayKey, tuple[LineFact, ...]]
    by_course_key: Mapping[CourseKey, tuple[LineFact, ...]]
    by_day_site: Mapping[tuple[DayKey, str], tuple[LineFact, ...]]
    fractions_by_day: Mapping[DayKey, int]
    courses: Mapping[CourseKey, tuple[Course, ...]]
    claim_count: int

    def same_day(self, fact: LineFact) -> tuple[LineFact, ...]:
        """Every billed line of the fact's patient + entity on its DOS (itself included)."""
        if fact.dos is None:
            return ()
        return self.by_day.get((fact.patient, fact.entity, fact.dos), ())

    def same_day_same_site(self, fact: LineFact) -> tuple[LineFact, ...]:
        if fact.dos is None:
            return ()
        return self.by_day_site.get(((fact.patient, fact.entity, fact.dos), fact.site), ())

    def fractions_on(self, fact: LineFact) -> int:
        """Fractions the fact's patient + entity received on its DOS (all sites)."""
        if fact.dos is None:
            return 0
        return self.fractions_by_day.get((fact.patient, fact.entity, fact.dos), 0)

    def course_key(self, fact: LineFact) -> CourseKey:
        return CourseKey(fact.patient, fact.entity, fact.site)

    def course_of(self, fact: LineFact) -> Course | None:
        """The course the fact's line belongs to, ``None`` without any course event."""
        if fact.dos is None:
            return None
        # A plain tuple finds a CourseKey (a named tuple) and costs less to make.
        key = cast(CourseKey, (fact.patient, fact.entity, fact.site))
        return course_on(self.courses.get(key, ()), fact.dos)

    def lines_of_course_key(self, key: CourseKey) -> tuple[LineFact, ...]:
        return self.by_course_key.get(key, ())


def build_context(
    claims: Iterable[ClaimFacts],
    codes: CodeTable,
    *,
    as_of: dt.date,
    gap_days: int = DEFAULT_GAP_DAYS,
    registry: CourseRegistry = EMPTY_REGISTRY,
) -> Context:
    """Index ``claims`` (any order: the result does not depend on it)."""
    by_day: dict[DayKey, list[LineFact]] = {}
    # Keyed by plain (patient, entity, site) tuples while building: equal to
    # the CourseKey each group gets once frozen, and cheaper to make per line.
    by_course_key: dict[tuple[PatientKey, str, str], list[LineFact]] = {}
    fractions: dict[DayKey, int] = {}
    closing: dict[CourseKey, list[DateRange]] = {}
    all_lines: list[LineFact] = []
    count = 0
    is_fraction = codes.is_fraction
    for claim in claims:
        count += 1
        if claim.is_void:
            continue
        for fact in claim.lines:
            if fact.dos is None:
                continue
            all_lines.append(fact)
            day_key = (fact.patient, fact.entity, fact.dos)
            by_day.setdefault(day_key, []).append(fact)
            by_course_key.setdefault((fact.patient, fact.entity, fact.site), []).append(fact)
            if is_fraction(fact.code):
                fractions[day_key] = fractions.get(day_key, 0) + fraction_units(fact)
        if claim.closing_span is not None:
            for site in {fact.site for fact in claim.lines}:
                spans = closing.setdefault(CourseKey(claim.patient, claim.entity, site), [])
                spans.append(claim.closing_span)
    settings = CourseSettings(gap_days=gap_days, as_of=as_of, registry=registry)
    frozen_by_day = _freeze(by_day)
    return Context(
        codes=codes,
        settings=settings,
        by_day=frozen_by_day,
        by_course_key=MappingProxyType(
            {CourseKey(*key): _in_order(v) for key, v in by_course_key.items()}
        ),
        by_day_site=_by_site(frozen_by_day),
        fractions_by_day=MappingProxyType(fractions),
        courses=build_courses(all_lines, codes, settings, closing),
        claim_count=count,
    )


def _by_site(
    by_day: Mapping[DayKey, tuple[LineFact, ...]],
) -> Mapping[tuple[DayKey, str], tuple[LineFact, ...]]:
    """The lines of each day by site, in the day's order."""
    groups: dict[tuple[DayKey, str], list[LineFact]] = {}
    for key, lines in by_day.items():
        for fact in lines:
            groups.setdefault((key, fact.site), []).append(fact)
    return MappingProxyType({k: tuple(v) for k, v in groups.items()})


def _freeze(groups: dict[_K, list[LineFact]]) -> Mapping[_K, tuple[LineFact, ...]]:
    return MappingProxyType({k: _in_order(v) for k, v in groups.items()})


def _in_order(lines: list[LineFact]) -> tuple[LineFact, ...]:
    """``lines`` in the order of LineFact.sort_key (most days have one line)."""
    return tuple(lines) if len(lines) == 1 else tuple(sorted(lines, key=DATED_ORDER))


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Context)
