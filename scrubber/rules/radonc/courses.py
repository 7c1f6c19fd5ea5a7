"""Courses of treatment (RULES.md section 2), built from line facts.

A course belongs to one patient + entity + site. Its fractions are the units
of megavoltage delivery lines in DOS order (two units on one day are two
fractions). A gap of more than ``gap_days`` between fractions starts a new
course, and so does a simulation (77280-77290) or plan (77295, 77301, 77306,
77307: the ``course-start`` set) dated after the last fraction on a day without
a fraction (a verification simulation on a treatment day stays in its course).
An MLC device (77338) is a signal of the IMRT modality for the course it falls
in, never the start of a new one. Building is pure: facts, code table, registry and dates in;
immutable :class:`Course` values out.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from scrubber.model import DateRange
from scrubber.pickling import by_fields
from scrubber.rules.facts import LineFact, PatientKey
from scrubber.rules.radonc import codeset
from scrubber.rules.radonc.codeset import CodeTable
from scrubber.rules.radonc.eras import ERA_B_START
from scrubber.rules.radonc.registry import CourseRegistry, RegisteredCourse

BLOCK_SIZE = 5  # port images: once per five fractions
LAST_FRACTIONS = 3  # port images: not during the last three fractions


class CourseKey(NamedTuple):
    """One patient + entity (billing NPI) + site (ICD-10); a named tuple, as
    :class:`~scrubber.rules.facts.PatientKey` is."""

    patient: PatientKey
    entity: str
    site: str


class Modality(StrEnum):
    SRS_SBRT = "SRS/SBRT"
    PROTON = "proton"
    IMRT = "IMRT"
    THREE_D = "3D"
    TWO_D = "2D"
    UNKNOWN = "unknown"


class EndSource(StrEnum):
    REGISTRY = "registry"  # (a) planned fraction count supplied
    FINAL_CLAIM = "final-claim"  # (b) 837I frequency 1/4 covers the last fraction
    ELAPSED = "elapsed"  # (c) last fraction more than the gap before the as-of date


@dataclass(frozen=True, slots=True)
class Course:
    """One course. ``days`` are the fraction days in order; ``first_numbers[i]``
    is the number of the first fraction on ``days[i]`` and ``counts[i]`` how many
    fractions that day has. ``last_fraction`` is the number of the course's last
    fraction when its end is known (``end`` says how), else ``None``."""

    key: CourseKey
    number: int
    start: dt.date
    days: tuple[dt.date, ...]
    first_numbers: tuple[int, ...]
    counts: tuple[int, ...]
    modality: Modality
    end: EndSource | None
    last_fraction: int | None

    @property
    def fraction_count(self) -> int:
        """Fractions of the course (O(1): asked once per port image line)."""
        if not self.days:
            return 0
        return self.first_numbers[-1] + self.counts[-1] - 1

    @property
    def last_day(self) -> dt.date | None:
        return self.days[-1] if self.days else None

    def fractions_on(self, day: dt.date) -> range:
        """Fraction numbers delivered on ``day`` (empty when none)."""
        i = bisect.bisect_left(self.days, day)
        if i < len(self.days) and self.days[i] == day:
            return range(self.first_numbers[i], self.first_numbers[i] + self.counts[i])
        return range(0)

    def anchor_fraction(self, day: dt.date) -> int | None:
        """The fraction a port image on ``day`` is counted against: the day's
        first fraction; with none that day, the next one; after the last
        fraction, the last one. ``None`` when the course has no fraction."""
        if not self.days:
            return None
        i = bisect.bisect_left(self.days, day)
        if i < len(self.days):
            return self.first_numbers[i]
        return self.fraction_count

    def block_of(self, day: dt.date) -> int | None:
        """0-based block of five fractions for a port image on ``day``."""
        anchor = self.anchor_fraction(day)
        return None if anchor is None else (anchor - 1) // BLOCK_SIZE

    def could_be_in_last_fractions(self, day: dt.date) -> bool:
        """Whether a port image on ``day`` might fall on one of the last three
        fractions once the end is known: its fractions are among the last three
        known so far, or the day has none yet and is after the last fraction."""
        numbers = self.fractions_on(day)
        if numbers:
            return numbers[-1] > self.fraction_count - LAST_FRACTIONS
        last_day = self.last_day
        return last_day is not None and day > last_day

    def in_last_fractions(self, day: dt.date) -> bool:
        """``day`` is the DOS of one of the last three fractions (end known)."""
        if self.last_fraction is None:
            return False
        numbers = self.fractions_on(day)
        return bool(numbers) and numbers[-1] > self.last_fraction - LAST_FRACTIONS


@dataclass(frozen=True, slots=True)
class CourseSettings:
    gap_days: int
    as_of: dt.date
    registry: CourseRegistry


@dataclass(slots=True)
class _Events:
    """Mutable accumulator used only while building."""

    fractions: dict[dt.date, int] = field(default_factory=dict)
    deliveries: dict[dt.date, list[str]] = field(default_factory=dict)
    markers: list[tuple[dt.date, str]] = field(default_factory=list)
    starts: set[dt.date] = field(default_factory=set)  # days with a course-start code


@dataclass(slots=True)
class _Draft:
    start: dt.date
    days: list[dt.date] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    late_2d_only: bool = True  # every delivery is 77402 on a 2026+ DOS


def fraction_units(fact: LineFact) -> int:
    """Fractions a delivery line stands for: its whole units, at least one."""
    return max(int(fact.units), 1)


def build_courses(
    facts: Iterable[LineFact],
    codes: CodeTable,
    settings: CourseSettings,
    closing_spans: Mapping[CourseKey, Sequence[DateRange]],
) -> Mapping[CourseKey, tuple[Course, ...]]:
    """Every course of every patient + entity + site in ``facts``."""
    # By plain (patient, entity, site) tuples while building (equal to the
    # CourseKey each gets at the end, cheaper to make per line); each code's
    # role asked of the table once.
    events: dict[tuple[PatientKey, str, str], _Events] = {}
    roles: dict[str, int] = {}
    for fact in facts:
        if fact.dos is None:
            continue
        role = roles.get(fact.code)
        if role is None:
            role = roles[fact.code] = _role(fact.code, codes)
        if role == _NONE:
            continue
        bucket = events.get((fact.patient, fact.entity, fact.site))
        if bucket is None:
            bucket = events[(fact.patient, fact.entity, fact.site)] = _Events()
        if role == _FRACTION:
            bucket.fractions[fact.dos] = bucket.fractions.get(fact.dos, 0) + fraction_units(fact)
            bucket.deliveries.setdefault(fact.dos, []).append(fact.code)
        else:
            bucket.markers.append((fact.dos, fact.code))
            if role == _START:
                bucket.starts.add(fact.dos)
    courses = {}
    for plain, bucket in events.items():
        key = CourseKey(*plain)
        courses[key] = _courses_of(key, bucket, codes, settings, closing_spans.get(key, ()))
    return MappingProxyType(courses)


# A code's role in building courses (see _role).
_NONE, _FRACTION, _MARKER, _START = 0, 1, 2, 3


def _role(code: str, codes: CodeTable) -> int:
    """A fraction (delivery), a course start (also a marker), another course
    marker, or none of these."""
    if codes.is_fraction(code):
        return _FRACTION
    if not codes.is_in(code, *codeset.COURSE_MARKER_SETS):
        return _NONE
    return _START if codes.is_in(code, codeset.COURSE_START) else _MARKER


def course_on(courses: Sequence[Course], day: dt.date) -> Course | None:
    """The course a line dated ``day`` belongs to: the last course started on or
    before ``day``; before the first course, the first one."""
    if len(courses) < 2:
        return courses[0] if courses else None  # most keys: one course
    i = bisect.bisect_right(courses, day, key=_start) - 1  # O(log n): no list per line
    return courses[max(i, 0)]


def _start(course: Course) -> dt.date:
    return course.start


def _courses_of(
    key: CourseKey,
    events: _Events,
    codes: CodeTable,
    settings: CourseSettings,
    closing: Sequence[DateRange],
) -> tuple[Course, ...]:
    drafts = _segment(events, codes, settings.gap_days)
    registered = settings.registry.lookup(key.patient.member_id, key.entity, key.site)
    covered = _Coverage(closing)
    courses = []
    for number, draft in enumerate(drafts, start=1):
        modality = _modality(draft, codes)
        end, last = _end(draft, drafts, registered, covered, settings)
        first_numbers, running = [], 1
        for count in draft.counts:
            first_numbers.append(running)
            running += count
        courses.append(
            Course(
                key=key,
                number=number,
                start=draft.start,
                days=tuple(draft.days),
                first_numbers=tuple(first_numbers),
                counts=tuple(draft.counts),
                modality=modality,
                end=end,
                last_fraction=last,
            )
        )
    return tuple(courses)


def _segment(events: _Events, codes: CodeTable, gap_days: int) -> list[_Draft]:
    markers: dict[dt.date, list[str]] = {}
    for day, code in events.markers:
        markers.setdefault(day, []).append(code)
    drafts: list[_Draft] = []
    current: _Draft | None = None
    for day in sorted(set(events.fractions) | set(markers)):
        fractions = events.fractions.get(day, 0)
        gap_exceeded = (
            current is not None and bool(current.days) and (day - current.days[-1]).days > gap_days
        )
        new_plan_after_course = (
            current is not None and bool(current.days) and day in events.starts and not fractions
        )
        if current is None or (fractions and gap_exceeded) or new_plan_after_course:
            current = _Draft(start=day)
            drafts.append(current)
        if day in markers:
            current.codes.update(markers[day])
        if fractions:
            current.days.append(day)
            current.counts.append(fractions)
            for code in events.deliveries[day]:
                current.codes.add(code)
                current.late_2d_only &= day >= ERA_B_START and codes.is_in(
                    code, codeset.LEVEL_1_DELIVERY
                )
    return drafts


def _modality(draft: _Draft, codes: CodeTable) -> Modality:
    # The sets any signal code is in (a code is in a set when it is in
    # codes_in(set)), gathered once instead of scanning the codes per set.
    signals: set[str] = set()
    for code in draft.codes:
        entry = codes.get(code)
        if entry is not None:
            signals |= entry.sets
    if codeset.SRS_SBRT in signals:
        return Modality.SRS_SBRT
    if codeset.PROTON in signals:
        return Modality.PROTON
    if codeset.IMRT in signals or codeset.PLAN_IMRT in signals:
        return Modality.IMRT
    if codeset.PLAN_3D in signals:
        return Modality.THREE_D
    if codeset.PLAN_2D in signals:
        return Modality.TWO_D
    if draft.days and draft.late_2d_only:
        return Modality.TWO_D
    return Modality.UNKNOWN


def _end(
    draft: _Draft,
    drafts: Sequence[_Draft],
    registered: Sequence[RegisteredCourse],
    closing: _Coverage,
    settings: CourseSettings,
) -> tuple[EndSource | None, int | None]:
    if not draft.days:
        return None, None
    count = sum(draft.counts)
    planned = _registered_fractions(draft, drafts, registered, settings.gap_days)
    if planned is not None:
        return EndSource.REGISTRY, max(planned, count)
    last_day = draft.days[-1]
    if closing.covers(last_day):
        return EndSource.FINAL_CLAIM, count
    if (settings.as_of - last_day).days > settings.gap_days:
        return EndSource.ELAPSED, count
    return None, None


class _Coverage:
    """Whether a day falls within any of some date ranges, in O(log n) a day
    (a patient with thousands of closing 837I claims and thousands of courses
    must not compare every course with every claim)."""

    def __init__(self, spans: Sequence[DateRange]) -> None:
        ordered = sorted(spans, key=lambda span: span.start)
        self._starts = [span.start for span in ordered]
        self._reach: list[dt.date] = []  # latest end among the spans up to each
        for span in ordered:
            self._reach.append(max(span.end, self._reach[-1]) if self._reach else span.end)

    def covers(self, day: dt.date) -> bool:
        i = bisect.bisect_right(self._starts, day)
        return i > 0 and self._reach[i - 1] >= day


def _registered_fractions(
    draft: _Draft, drafts: Sequence[_Draft], registered: Sequence[RegisteredCourse], gap: int
) -> int | None:
    """Planned fractions of the registry row that names this course: the row's
    first DOS falls within the course (start .. last fraction), or at most
    ``gap`` days before the course's first fraction when no other course
    contains it."""
    last_day = draft.days[-1]
    for row in registered:
        if draft.start <= row.first_dos <= last_day:
            return row.planned_fractions
    for row in registered:
        inside_other = any(
            d is not draft and d.start <= row.first_dos <= (d.days[-1] if d.days else d.start)
            for d in drafts
        )
        if not inside_other and 0 <= (draft.days[0] - row.first_dos).days <= gap:
            return row.planned_fractions
    return None


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Course, CourseSettings)
