"""The parts a claim is made of: dates of service (:class:`DateRange`), HL
loops (:class:`HierarchyLevel`, shared by identity between the claims of one
loop), people (:class:`Person`), diagnoses and attachments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scrubber.model.segment import Segment
from scrubber.pickling import by_fields


@dataclass(frozen=True, slots=True)
class DateRange:
    """A date of service: a single day (``start == end``) or a range."""

    start: dt.date
    end: dt.date

    @property
    def is_single_day(self) -> bool:
        return self.start == self.end

    def __str__(self) -> str:
        if self.is_single_day:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class HierarchyLevel:
    """One HL loop: the HL segment and the segments that follow it up to the
    next HL or CLM (for 2000A: PRV and 2010AA/AB/AC; 2000B: SBR, 2010BA/BB;
    2000C: PAT, 2010CA)."""

    segments: tuple[Segment, ...]
    hl_id: str  # HL01
    parent_id: str  # HL02
    level_code: str  # HL03: 20 billing provider, 22 subscriber, 23 patient

    @property
    def hl(self) -> Segment:
        return self.segments[0]


@dataclass(frozen=True, slots=True)
class Person:
    """A subscriber or patient as named in 2010BA / 2010CA."""

    last_name: str
    first_name: str
    birth_date: dt.date | None
    member_id: str  # NM109 (empty for a 2010CA patient)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One HI composite: qualifier (ABK, ABF, BK, BF, ...) and code."""

    qualifier: str
    code: str

    @property
    def is_principal(self) -> bool:
        return self.qualifier in ("ABK", "BK")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A PWK segment: report type code (PWK01) and transmission code (PWK02)."""

    report_type: str
    transmission: str
    control_number: str  # PWK06


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(
    DateRange,
    HierarchyLevel,
    Person,
    Diagnosis,
    Attachment,
)
