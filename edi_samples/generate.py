"""Generate the radiation-oncology sample files in this directory.

Deterministic (fixed dates, no randomness): running it again rewrites the same
bytes, and a test checks that the committed files are up to date::

    python edi_samples/generate.py            # rewrite the samples
    python edi_samples/generate.py --check    # exit 1 if a committed file differs

Every file is built with :mod:`scrubber.testing.samples` and validates cleanly with
pyx12. Each file reads like one practice's batch: most claims are billed
correctly for their era (2025 / 2026 code sets) and setting, and a few carry a
deliberate, realistic mistake (the ``Slip`` values below). README.md lists every
deliberate mistake with the claim, line and rule it demonstrates.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path

from scrubber.model import ClaimKind, Delimiters
from scrubber.testing import (
    ClaimSpec,
    EnvelopeSpec,
    GroupSpec,
    LineSpec,
    PatientSpec,
    build_interchange,
)

HERE = Path(__file__).resolve().parent
NEW_YEAR = date(2026, 1, 1)

# Fee schedule used for every sample (global; -TC/-26 split by PROFESSIONAL_SHARE).
FEES = {
    "77263": Decimal("310.00"),  # clinical treatment planning, complex
    "77280": Decimal("420.00"),  # simulation, simple
    "77290": Decimal("780.00"),  # simulation, complex
    "77014": Decimal("210.00"),  # CT guidance for field placement
    "76498": Decimal("640.00"),  # unlisted MR procedure
    "77295": Decimal("1150.00"),  # 3D plan
    "77301": Decimal("2450.00"),  # IMRT plan
    "77306": Decimal("360.00"),  # 2D isodose plan
    "77300": Decimal("140.00"),  # dosimetry calculation
    "77338": Decimal("820.00"),  # MLC device for IMRT
    "77385": Decimal("1450.00"),  # IMRT delivery (to 2025)
    "G6015": Decimal("1450.00"),  # IMRT delivery, Medicare freestanding (to 2025)
    "77373": Decimal("1650.00"),  # SBRT delivery
    "77402": Decimal("260.00"),  # delivery level 1
    "77407": Decimal("410.00"),  # delivery level 2
    "77412": Decimal("620.00"),  # delivery level 3
    "77387": Decimal("180.00"),  # IGRT
    "G6002": Decimal("180.00"),  # stereoscopic x-ray guidance, Medicare (to 2025)
    "G6017": Decimal("260.00"),  # intrafraction tracking, Medicare (to 2025)
    "77417": Decimal("55.00"),  # port images
    "77427": Decimal("390.00"),  # weekly treatment management
}
PROFESSIONAL_SHARE = Decimal("0.35")

# (last name, first name, birth date, ICD-10 diagnoses)
PATIENTS = [
    ("ALVAREZ", "MARIA", date(1952, 4, 9), ("C50911", "Z853")),
    ("BROWN", "JAMES", date(1948, 11, 23), ("C61",)),
    ("CHEN", "LI", date(1960, 2, 2), ("C3411", "J449")),
    ("DUBOIS", "ANNE", date(1971, 7, 30), ("C539",)),
    ("EKWUEME", "CHIDI", date(1944, 1, 17), ("C61", "N400")),
    ("FISCHER", "HANS", date(1958, 9, 5), ("C20",)),
    ("GARCIA", "ROSA", date(1966, 3, 12), ("C50412",)),
    ("HUANG", "WEI", date(2009, 5, 21), ("C719",)),  # minor: 2000C patient loop
    ("IVANOV", "PETER", date(1950, 12, 1), ("C3412",)),
    ("JOHANSSON", "KARIN", date(1957, 6, 14), ("C50211",)),
    ("KOWALSKI", "JAN", date(1949, 8, 3), ("C61",)),
    ("NAKAMURA", "KENJI", date(1945, 10, 27), ("C7951", "C61")),
]


class Modality(Enum):
    IMRT = "imrt"
    THREE_D = "3d"
    TWO_D = "2d"
    SBRT = "sbrt"


class Slip(Enum):
    """A deliberate billing mistake seeded into one course (README lists each)."""

    MR_SIM_WITH_REQUEST = "76498 MR simulation with REF*G1 and PWK (IG303 review)"
    TC_WITH_IMRT_WEEK_3 = "77387-TC added to every fraction of week 3 (IG105)"
    XS_PORT_WEEK_4 = "77417-XS on an IGRT day of week 4 (IG403 bypassed, warn)"
    CT_ON_SIM_DAY = "77014-TC on the simulation day (IG201)"
    PORT_ON_IGRT_DAY = "77417 on fraction 1, an IGRT day (IG403)"
    SECOND_PORT_WEEK_5 = "a second 77417 on the 4th fraction of week 5 (IG405)"
    GLOBAL_IGRT_WEEK_2 = "77387 without modifier on the 3rd day of week 2 (IG106)"
    IMRT_CODE_IN_2026 = "77385 still billed on the 2026 days of the New Year week (IG001)"
    GLOBAL_CT = "77014 without modifier on a 837P (IG203)"
    LATE_TC_CHARGES = "late-charge claim with 77387-TC for week 1 only (IG110, IG002)"
    GLOBAL_IGRT_2026_WEEK_3 = "77387 without modifier on the 1st day of week 3 (IG111)"
    GCODE_WITHOUT_26_WEEK_3 = "G6002 without -26 from the hospital all of week 3 (IG108)"
    DUPLICATE_IGRT_WEEK_2 = "77387-26 keyed twice on the 3rd day of week 2 (IG101)"
    CT_PROFESSIONAL = "77014-26 for the planning CT (IG202)"
    TRACKING_26_WEEK_2 = "G6017-26 every day of week 2 (IG109)"
    MR_WITHOUT_PWK = "76498-26 with REF*G1 but no PWK (IG301)"
    GCODE_ON_837I = "G6002 on fraction 2 of an 837I (IG108)"
    IGRT_837I_2026 = "837I 77387 on the 2026 fractions of the New Year week (IG110)"
    IGRT_WITH_SBRT = "837I 77387 with every SBRT fraction (IG107)"
    PORT_IN_LAST_THREE = "last week's 77417 taken on the third-last fraction (IG406)"
    PORT_26_WEEK_2 = "77417-26 in week 2 (IG401)"
    PORT_UNITS_2_WEEK_4 = "77417 with units 2 in week 4 (IG402)"
    IGRT_FOR_2D_WEEK_1 = "77387-26 on fractions 1-3 of a 2D course (IG102)"


@dataclass(frozen=True)
class Course:
    """One patient's course at one practice: simulation on ``start``, planning
    that week, then daily fractions on weekdays from the next Monday-ish day.

    ``fractions`` are the fractions billed in this batch; ``planned`` the
    course's planned length (more when the course is still under way)."""

    index: int
    start: date
    fractions: int
    modality: Modality = Modality.IMRT
    payer: str = "BCBS02"
    slips: frozenset[Slip] = frozenset()
    planned: int = 0
    ct_day_after_sim: bool = False  # correct 77014 (technical) the day after the simulation

    @property
    def last_name(self) -> str:
        return PATIENTS[self.index][0]

    @property
    def first_name(self) -> str:
        return PATIENTS[self.index][1]

    @property
    def birth_date(self) -> date:
        return PATIENTS[self.index][2]

    @property
    def diagnoses(self) -> tuple[str, ...]:
        return PATIENTS[self.index][3]

    @property
    def member_id(self) -> str:
        return f"MBR{self.index + 1:05d}"

    @property
    def medicare(self) -> bool:
        return self.payer == "CMS01"

    @property
    def course_length(self) -> int:
        return self.planned or self.fractions

    def has(self, slip: Slip) -> bool:
        return slip in self.slips

    def treatment_days(self) -> list[date]:
        days: list[date] = []
        day = self.start + timedelta(days=7)  # simulation week, then treatment
        while len(days) < self.fractions:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        return days

    def weeks(self) -> list[list[date]]:
        days = self.treatment_days()
        return [days[i : i + 5] for i in range(0, len(days), 5)]

    def fraction(self, day: date) -> int:
        return self.treatment_days().index(day) + 1

    def port_days(self, igrt_on: Callable[[date], bool]) -> list[date]:
        """Weekly port films: the first fraction of each week when that day has
        no image guidance (``igrt_on``) and is not one of the course's last
        three fractions."""
        days = self.treatment_days()
        last_allowed = self.course_length - 3
        ports = [
            week[0]
            for week in self.weeks()
            if self.fraction(week[0]) <= last_allowed and not igrt_on(week[0])
        ]
        if self.has(Slip.PORT_IN_LAST_THREE):  # last week's film on the third-last fraction
            ports = [d for d in ports if d != self.weeks()[-1][0]]
            ports.append(days[self.course_length - 3])
        return ports


def _fee(code: str, modifier: str = "") -> Decimal:
    fee = FEES[code]
    if modifier == "26":
        return (fee * PROFESSIONAL_SHARE).quantize(Decimal("0.01"))
    if modifier == "TC":
        return fee - (fee * PROFESSIONAL_SHARE).quantize(Decimal("0.01"))
    return fee


class _Lines:
    """Collects the lines of one claim, numbering REF*6R line control numbers."""

    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        self.lines: list[LineSpec] = []

    def add(
        self,
        code: str,
        day: date,
        *modifiers: str,
        end: date | None = None,
        revenue: str = "0333",
        pointers: tuple[int, ...] = (1,),
        **extra: object,
    ) -> None:
        modifier = next((m for m in modifiers if m in ("26", "TC")), "")
        self.lines.append(
            LineSpec(
                code,
                modifiers=modifiers,
                dos=day,
                dos_end=end,
                charge=_fee(code, modifier),
                pointers=pointers,
                revenue_code=revenue,
                line_control=f"{self.claim_id}L{len(self.lines) + 1}",
                **extra,  # type: ignore[arg-type]
            )
        )


def _common(course: Course, facility: str, **extra: object) -> dict[str, object]:
    """Claim keyword arguments naming the insured (and a 2000C patient for minors)."""
    common: dict[str, object] = {
        "member_id": course.member_id,
        "diagnoses": course.diagnoses,
        "facility_code": facility,
        "payer_id": course.payer,
        **extra,
    }
    if course.birth_date.year > 2005:
        common.update(last_name=course.last_name, first_name="PARENT")
        common["patient"] = PatientSpec(course.last_name, course.first_name, course.birth_date)
    else:
        common.update(
            last_name=course.last_name, first_name=course.first_name, birth_date=course.birth_date
        )
    return common


def _planning(course: Course, lines: _Lines, modifier: str = "") -> None:
    """The treatment plan of the course's modality (simulation week)."""
    sim = course.start
    mods = (modifier,) if modifier else ()
    if course.modality is Modality.IMRT:
        lines.add("77301", sim + timedelta(days=3), *mods)
        lines.add("77300", sim + timedelta(days=3), *mods, units=Decimal(4))
        lines.add("77338", sim + timedelta(days=3), *mods)
    elif course.modality is Modality.TWO_D:
        lines.add("77306", sim, *mods)
        lines.add("77300", sim, *mods, units=Decimal(2))
    else:  # 3D conformal, SBRT
        lines.add("77295", sim + timedelta(days=2), *mods)
        units = Decimal(2) if course.modality is Modality.SBRT else Decimal(4)
        lines.add("77300", sim + timedelta(days=3), *mods, units=units)


# -- 837P, freestanding center (POS 11) ------------------------------------------


def _freestanding_igrt_on(course: Course) -> Callable[[date], bool]:
    def igrt_on(day: date) -> bool:
        number = course.fraction(day)
        if course.modality is Modality.IMRT:
            return True  # daily IGRT (77387-26, or G6002 for Medicare in 2025)
        if course.modality is Modality.TWO_D:
            return course.has(Slip.IGRT_FOR_2D_WEEK_1) and number <= 3
        return course.modality is Modality.THREE_D and day < NEW_YEAR and number <= 3

    return igrt_on


def _freestanding_day(course: Course, lines: _Lines, day: date, week: int, nth: int) -> None:
    """One fraction's lines: delivery, then image guidance."""
    new_codes = day >= NEW_YEAR
    if course.modality is Modality.IMRT:
        if new_codes and not course.has(Slip.IMRT_CODE_IN_2026):
            lines.add("77412", day)  # 2026: delivery level 3, includes guidance
        elif course.medicare and not new_codes:
            lines.add("G6015", day)  # Medicare freestanding IMRT (excludes guidance)
        else:
            lines.add("77385", day)
        if course.medicare and not new_codes:
            lines.add("G6002", day)  # Medicare freestanding IGRT, billed globally
        else:
            global_igrt = (course.has(Slip.GLOBAL_IGRT_WEEK_2) and (week, nth) == (2, 2)) or (
                course.has(Slip.GLOBAL_IGRT_2026_WEEK_3) and (week, nth) == (3, 0)
            )
            lines.add("77387", day, *(() if global_igrt else ("26",)))
        if course.has(Slip.TC_WITH_IMRT_WEEK_3) and week == 3:
            lines.add("77387", day, "TC")
    elif course.modality is Modality.THREE_D:
        lines.add("77407" if new_codes else "77412", day)
        if _freestanding_igrt_on(course)(day):
            lines.add("77387", day, "TC")  # authorized (REF*G1 on the claim)
            lines.add("77387", day, "26")
    else:
        lines.add("77402", day)
        if _freestanding_igrt_on(course)(day):
            lines.add("77387", day, "26")


def freestanding_claims(course: Course) -> Iterator[ClaimSpec]:
    """837P, POS 11: global planning codes, then one claim per five fractions
    (delivery + image guidance, port films on days without guidance, 77427)."""
    n = course.index + 1
    authorization = f"AUTH{n:04d}"
    common = _common(course, "11")
    sim = course.start
    plan = _Lines(f"FS{n:02d}P")
    plan.add("77263", sim)
    plan.add("77280" if course.modality is Modality.TWO_D else "77290", sim)
    if course.has(Slip.MR_SIM_WITH_REQUEST):
        plan.add("76498", sim)
    if course.has(Slip.CT_ON_SIM_DAY):
        plan.add("77014", sim, "TC")
    if course.ct_day_after_sim:
        plan.add("77014", sim + timedelta(days=1), "TC")
    if course.has(Slip.GLOBAL_CT):
        plan.add("77014", sim + timedelta(days=1))
    _planning(course, plan)
    yield ClaimSpec(
        plan.claim_id,
        plan.lines,
        prior_authorization=authorization,
        attachment=course.has(Slip.MR_SIM_WITH_REQUEST),
        **common,  # type: ignore[arg-type]
    )
    three_d = course.modality is Modality.THREE_D
    ports = set(course.port_days(_freestanding_igrt_on(course)))
    for week_number, week in enumerate(course.weeks(), start=1):
        lines = _Lines(f"FS{n:02d}W{week_number}")
        for nth, day in enumerate(week):
            _freestanding_day(course, lines, day, week_number, nth)
            if day in ports:
                modifiers = ("26",) if course.has(Slip.PORT_26_WEEK_2) and week_number == 2 else ()
                units = 2 if course.has(Slip.PORT_UNITS_2_WEEK_4) and week_number == 4 else 1
                lines.add("77417", day, *modifiers, units=Decimal(units))
            if course.has(Slip.PORT_ON_IGRT_DAY) and (week_number, nth) == (1, 0):
                lines.add("77417", day)
            if course.has(Slip.XS_PORT_WEEK_4) and (week_number, nth) == (4, 0):
                lines.add("77417", day, "XS")
            if course.has(Slip.SECOND_PORT_WEEK_5) and (week_number, nth) == (5, 3):
                lines.add("77417", day)
        lines.add("77427", week[0], end=week[-1])
        yield ClaimSpec(
            lines.claim_id,
            lines.lines,
            prior_authorization=authorization if three_d else "",
            **common,  # type: ignore[arg-type]
        )
        if course.has(Slip.LATE_TC_CHARGES) and week_number == 1:
            late = _Lines(f"FS{n:02d}T")
            for day in week:
                late.add("77387", day, "TC")
            yield ClaimSpec(late.claim_id, late.lines, **common)  # type: ignore[arg-type]


# -- 837P, hospital-based physicians (POS 22) ---------------------------------------


def hospital_professional_claims(course: Course) -> Iterator[ClaimSpec]:
    """837P, POS 22 (outpatient hospital): professional components only (-26),
    one claim for planning, one per five fractions."""
    n = course.index + 1
    common = _common(course, "22", billing_npi="1679576722")
    sim = course.start
    plan = _Lines(f"HP{n:02d}P")
    plan.add("77263", sim)
    plan.add("77290", sim, "26")
    if course.has(Slip.MR_WITHOUT_PWK):
        plan.add("76498", sim, "26")
    if course.has(Slip.CT_PROFESSIONAL):
        plan.add("77014", sim + timedelta(days=1), "26")
    _planning(course, plan, "26")
    yield ClaimSpec(
        plan.claim_id,
        plan.lines,
        prior_authorization=f"AUTH{n:04d}" if course.has(Slip.MR_WITHOUT_PWK) else "",
        **common,  # type: ignore[arg-type]
    )
    pointers = (1, 2) if course.diagnoses[1:] else (1,)
    for week_number, week in enumerate(course.weeks(), start=1):
        lines = _Lines(f"HP{n:02d}W{week_number}")
        for nth, day in enumerate(week):
            if course.medicare and day < NEW_YEAR:
                without_26 = course.has(Slip.GCODE_WITHOUT_26_WEEK_3) and week_number == 3
                lines.add("G6002", day, *(() if without_26 else ("26",)), place_of_service="22")
                if course.has(Slip.TRACKING_26_WEEK_2) and week_number == 2:
                    lines.add("G6017", day, "26", place_of_service="22")
            else:
                lines.add("77387", day, "26", place_of_service="22")
                if course.has(Slip.DUPLICATE_IGRT_WEEK_2) and (week_number, nth) == (2, 2):
                    lines.add("77387", day, "26", place_of_service="22")
        lines.add("77427", week[0], end=week[-1], pointers=pointers)
        replacement = course.index == 3 and week_number == 2
        yield ClaimSpec(
            lines.claim_id,
            lines.lines,
            frequency_code="7" if replacement else "1",
            payer_claim_number=f"PAYER{course.index:03d}{week_number}" if replacement else "",
            **common,  # type: ignore[arg-type]
        )


# -- 837I, hospital outpatient department (TOB 131) -----------------------------------


def hospital_institutional_claims(course: Course) -> Iterator[ClaimSpec]:
    """837I, TOB 131: technical services with revenue codes, one claim per
    calendar month (a course that crosses New Year gives a 2026 claim)."""
    n = course.index + 1
    three_d = course.modality is Modality.THREE_D
    common = _common(
        course,
        "13",
        billing_npi="1528060837",
        prior_authorization=f"AUTH{n:04d}" if three_d else "",
    )
    months: dict[tuple[int, int], _Lines] = {}

    def lines_for(day: date) -> _Lines:
        key = (day.year, day.month)
        if key not in months:
            months[key] = _Lines(f"HI{n:02d}M{len(months) + 1}")
        return months[key]

    def igrt_on(day: date) -> bool:
        return three_d and day < NEW_YEAR and course.fraction(day) <= 3

    sim = course.start
    lines_for(sim).add("77290", sim)
    if course.ct_day_after_sim:
        after = sim + timedelta(days=1)
        lines_for(after).add("77014", after, revenue="0350")
    plan = _Lines("")
    _planning(course, plan)
    for line in plan.lines:
        revenue = "0330" if line.procedure == "77300" else "0333"
        lines_for(line.dos).add(line.procedure, line.dos, revenue=revenue, units=line.units)
    ports = set() if course.modality is Modality.SBRT else set(course.port_days(igrt_on))
    for day in course.treatment_days():
        number = course.fraction(day)
        month = lines_for(day)
        if course.modality is Modality.SBRT:
            month.add("77373", day)
            if course.has(Slip.IGRT_WITH_SBRT):
                month.add("77387", day)
        elif course.modality is Modality.IMRT and day < NEW_YEAR:
            month.add("77385", day)  # IGRT technical part bundled: no 77387
            if course.has(Slip.GCODE_ON_837I) and number == 2:
                month.add("G6002", day)
        else:
            month.add("77412", day)
            if igrt_on(day):
                month.add("77387", day)  # 3D, authorized (REF*G1 on the claim)
            if course.has(Slip.IGRT_837I_2026) and NEW_YEAR <= day <= date(2026, 1, 2):
                month.add("77387", day)  # the New Year week, before the chargemaster fix
        if day in ports:
            month.add("77417", day, revenue="0320")
    for lines in months.values():
        yield ClaimSpec(lines.claim_id, lines.lines, **common)  # type: ignore[arg-type]


S = Slip
IMRT, THREE_D, TWO_D, SBRT = Modality.IMRT, Modality.THREE_D, Modality.TWO_D, Modality.SBRT

# Freestanding center: an autumn 2025 batch and a winter batch that crosses New Year.
FREESTANDING_AUTUMN = [
    Course(
        0,
        date(2025, 9, 8),
        25,
        slips=frozenset({S.MR_SIM_WITH_REQUEST, S.TC_WITH_IMRT_WEEK_3, S.XS_PORT_WEEK_4}),
    ),
    Course(1, date(2025, 9, 15), 28, payer="CMS01", slips=frozenset({S.CT_ON_SIM_DAY})),
    Course(
        2,
        date(2025, 10, 6),
        30,
        THREE_D,
        slips=frozenset({S.PORT_ON_IGRT_DAY, S.SECOND_PORT_WEEK_5}),
    ),
]
FREESTANDING_WINTER = [
    Course(
        3,
        date(2025, 11, 24),
        25,
        slips=frozenset({S.GLOBAL_IGRT_WEEK_2, S.IMRT_CODE_IN_2026}),
        ct_day_after_sim=True,
    ),
    Course(4, date(2025, 12, 1), 20, payer="CMS01", slips=frozenset({S.GLOBAL_CT})),
    Course(
        5,
        date(2026, 1, 12),
        25,
        slips=frozenset({S.LATE_TC_CHARGES, S.GLOBAL_IGRT_2026_WEEK_3}),
    ),
]
# Hospital-based physicians: autumn 2025 courses (group 1), winter courses (group 2).
HOSPITAL_PRO_AUTUMN = [
    Course(0, date(2025, 9, 10), 25, payer="AETNA3"),
    Course(1, date(2025, 9, 17), 28, payer="CMS01", slips=frozenset({S.GCODE_WITHOUT_26_WEEK_3})),
    Course(2, date(2025, 10, 8), 30, payer="AETNA3", slips=frozenset({S.DUPLICATE_IGRT_WEEK_2})),
    Course(3, date(2025, 11, 12), 25, payer="AETNA3", slips=frozenset({S.CT_PROFESSIONAL})),
]
HOSPITAL_PRO_WINTER = [
    Course(4, date(2025, 12, 3), 20, payer="CMS01", slips=frozenset({S.TRACKING_26_WEEK_2})),
    Course(5, date(2025, 12, 10), 25, payer="AETNA3"),
    Course(6, date(2026, 1, 14), 21, payer="AETNA3"),  # 21 fractions: a one-day last claim
    Course(7, date(2025, 11, 24), 30, payer="AETNA3", slips=frozenset({S.MR_WITHOUT_PWK})),
]
# Hospital outpatient department (837I), Medicare, Nov 2025 - Feb 2026.
HOSPITAL_FACILITY = [
    Course(0, date(2025, 11, 24), 25, payer="CMS01"),
    Course(1, date(2025, 12, 1), 28, payer="CMS01", slips=frozenset({S.IGRT_837I_2026})),
    Course(2, date(2026, 1, 12), 30, THREE_D, "CMS01", frozenset({S.PORT_IN_LAST_THREE})),
    Course(3, date(2025, 11, 17), 25, payer="CMS01", ct_day_after_sim=True),
    Course(4, date(2025, 12, 1), 20, payer="CMS01", slips=frozenset({S.GCODE_ON_837I})),
    Course(8, date(2025, 12, 1), 5, SBRT, "CMS01", frozenset({S.IGRT_WITH_SBRT})),
    Course(9, date(2025, 12, 8), 25, THREE_D, "CMS01"),
    Course(10, date(2026, 1, 5), 20, payer="CMS01"),
]
# Clearinghouse batch of November 2026: a freestanding practice's 837P (one
# course still under way: 27 of 33 planned fractions billed) and a hospital's 837I.
CLEARINGHOUSE_PRO = [
    Course(
        6,
        date(2026, 10, 12),
        27,
        THREE_D,
        slips=frozenset({S.PORT_26_WEEK_2, S.PORT_UNITS_2_WEEK_4}),
        planned=33,
    ),
    Course(11, date(2026, 9, 14), 10, TWO_D, slips=frozenset({S.IGRT_FOR_2D_WEEK_1})),
]
CLEARINGHOUSE_FACILITY = [Course(7, date(2026, 8, 3), 30)]


def _all(make: Callable[[Course], Iterator[ClaimSpec]], group: list[Course]) -> list[ClaimSpec]:
    return [claim for course in group for claim in make(course)]


def samples() -> dict[str, bytes]:
    """File name -> exact bytes of every sample."""
    files: dict[str, bytes] = {}

    # Freestanding center: two interchanges (autumn batch, winter batch), each
    # with one group of several ST-SE; one segment per line (LF).
    first = build_interchange(
        [GroupSpec(_all(freestanding_claims, FREESTANDING_AUTUMN), claims_per_transaction=5)],
        EnvelopeSpec(interchange_control=101, group_control=1001),
    )
    second = build_interchange(
        [GroupSpec(_all(freestanding_claims, FREESTANDING_WINTER), claims_per_transaction=8)],
        EnvelopeSpec(interchange_control=102, group_control=1002, created=date(2026, 2, 20)),
    )
    files["837p_freestanding_pos11.x12"] = (first + second).encode()

    # Hospital-based physicians: odd delimiters, no newlines, two groups in one ISA.
    odd = Delimiters(element="|", component=">", repetition="!", segment="~")
    files["837p_hospital_pro_pos22.x12"] = build_interchange(
        [
            GroupSpec(_all(hospital_professional_claims, HOSPITAL_PRO_AUTUMN), group_control=2001),
            GroupSpec(
                _all(hospital_professional_claims, HOSPITAL_PRO_WINTER),
                group_control=2002,
                claims_per_transaction=6,
            ),
        ],
        EnvelopeSpec(delimiters=odd, newline="", interchange_control=201),
    ).encode()

    # Hospital outpatient department: 837I, CRLF line ends, several ST-SE.
    files["837i_hospital_tob131.x12"] = build_interchange(
        [
            GroupSpec(
                _all(hospital_institutional_claims, HOSPITAL_FACILITY),
                kind=ClaimKind.INSTITUTIONAL,
                group_control=3001,
                claims_per_transaction=3,
            )
        ],
        EnvelopeSpec(
            newline="\r\n",
            interchange_control=301,
            sender_id="HOSPITAL01",
            created=date(2026, 3, 6),
        ),
    ).encode()

    # A clearinghouse batch: 837P and 837I interchanges with different
    # delimiters in one file, UTF-8 BOM, no newlines.
    created = date(2026, 11, 25)
    pro = build_interchange(
        [GroupSpec(_all(freestanding_claims, CLEARINGHOUSE_PRO), group_control=4001)],
        EnvelopeSpec(
            delimiters=Delimiters("^", "\\", "{", "\n"),
            newline="",
            interchange_control=401,
            created=created,
        ),
    )
    inst = build_interchange(
        [
            GroupSpec(
                _all(hospital_institutional_claims, CLEARINGHOUSE_FACILITY),
                kind=ClaimKind.INSTITUTIONAL,
                group_control=4002,
            )
        ],
        EnvelopeSpec(newline="", interchange_control=402, created=created),
    )
    files["837_mixed_envelopes_bom.x12"] = b"\xef\xbb\xbf" + (pro + inst).encode()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the files on disk")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    stale = []
    for name, content in samples().items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(name)
            continue
        path.write_bytes(content)
        print(f"{path}: {len(content)} bytes")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
