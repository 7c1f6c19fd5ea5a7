"""Generate the radiation-oncology sample files in this directory.

Deterministic (fixed seed, fixed dates): running it again rewrites the same
bytes, and a test checks that the committed files are up to date::

    python edi_samples/generate.py            # rewrite the samples
    python edi_samples/generate.py --check    # exit 1 if a committed file differs

Every file is built with :mod:`scrubber.testing` and validates cleanly with
pyx12 (see README.md for what each file exercises).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
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

# Fee schedule used for every sample (global / technical / professional).
FEES = {
    "77263": Decimal("310.00"),
    "77290": Decimal("780.00"),
    "77014": Decimal("210.00"),
    "77295": Decimal("1150.00"),
    "77301": Decimal("2450.00"),
    "77300": Decimal("140.00"),
    "77338": Decimal("820.00"),
    "77385": Decimal("1450.00"),
    "77387": Decimal("180.00"),
    "77417": Decimal("55.00"),
    "77427": Decimal("390.00"),
}
PROFESSIONAL_SHARE = Decimal("0.35")

# (last name, first name, birth date, ICD-10 diagnoses, fractions)
PATIENTS = [
    ("ALVAREZ", "MARIA", date(1952, 4, 9), ("C50911", "Z853"), 25),
    ("BROWN", "JAMES", date(1948, 11, 23), ("C61",), 28),
    ("CHEN", "LI", date(1960, 2, 2), ("C3411", "J449"), 30),
    ("DUBOIS", "ANNE", date(1971, 7, 30), ("C539",), 25),
    ("EKWUEME", "CHIDI", date(1944, 1, 17), ("C61", "N400"), 20),
    ("FISCHER", "HANS", date(1958, 9, 5), ("C20",), 25),
    ("GARCIA", "ROSA", date(1966, 3, 12), ("C50412",), 21),
    ("HUANG", "WEI", date(2009, 5, 21), ("C719",), 30),  # minor: 2000C patient loop
]


@dataclass(frozen=True)
class Course:
    """One patient's course: planning, then daily fractions on weekdays."""

    index: int
    last_name: str
    first_name: str
    birth_date: date
    diagnoses: tuple[str, ...]
    fractions: int
    start: date

    @property
    def member_id(self) -> str:
        return f"MBR{self.index + 1:05d}"

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


def courses(rng: random.Random, starts: list[date]) -> list[Course]:
    """The patients of :data:`PATIENTS`, starting on one of ``starts`` plus 0-3 days."""
    return [
        Course(
            index,
            last,
            first,
            born,
            dx,
            fractions,
            starts[index % len(starts)] + timedelta(days=rng.randrange(0, 4)),
        )
        for index, (last, first, born, dx, fractions) in enumerate(PATIENTS)
    ]


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


def _patient(course: Course) -> tuple[dict[str, object], PatientSpec | None]:
    """Claim keyword arguments naming the insured, and a 2000C patient for minors."""
    if course.birth_date.year > 2005:
        insured = {"last_name": course.last_name, "first_name": "PARENT"}
        return insured, PatientSpec(course.last_name, course.first_name, course.birth_date)
    insured = {
        "last_name": course.last_name,
        "first_name": course.first_name,
        "birth_date": course.birth_date,
    }
    return insured, None


def freestanding_claims(course: Course) -> Iterator[ClaimSpec]:
    """837P, POS 11: global planning codes, daily 77385 + 77387-TC + 77387-26,
    weekly port films 77417 and weekly treatment management 77427."""
    who, patient = _patient(course)
    common = {
        "member_id": course.member_id,
        "diagnoses": course.diagnoses,
        "facility_code": "11",
        "patient": patient,
        "payer_id": "CMS01" if course.index % 2 else "BCBS02",
        **who,
    }
    claim_id = f"FS{course.index + 1:02d}P"
    plan = _Lines(claim_id)
    sim = course.start
    plan.add("77263", sim)
    plan.add("77290", sim)
    plan.add("77014", sim)
    plan.add("77295", sim + timedelta(days=2))
    plan.add("77301", sim + timedelta(days=3))
    plan.add("77300", sim + timedelta(days=3), units=Decimal(4))
    plan.add("77338", sim + timedelta(days=3))
    yield ClaimSpec(
        claim_id,
        plan.lines,
        prior_authorization=f"AUTH{course.index + 1:04d}",
        attachment=course.index == 0,
        **common,  # type: ignore[arg-type]
    )
    for week_number, week in enumerate(course.weeks(), start=1):
        claim_id = f"FS{course.index + 1:02d}W{week_number}"
        lines = _Lines(claim_id)
        for day in week:
            lines.add("77385", day)
            lines.add("77387", day, "TC")
            lines.add("77387", day, "26")
        lines.add("77417", week[0])
        lines.add("77427", week[0], end=week[-1])
        yield ClaimSpec(
            claim_id,
            lines.lines,
            prior_authorization=f"AUTH{course.index + 1:04d}",
            **common,  # type: ignore[arg-type]
        )


def hospital_professional_claims(course: Course) -> Iterator[ClaimSpec]:
    """837P, POS 22 (outpatient hospital): professional components only (-26),
    one claim for planning, one per treatment week."""
    who, patient = _patient(course)
    common = {
        "member_id": course.member_id,
        "diagnoses": course.diagnoses,
        "facility_code": "22",
        "patient": patient,
        "billing_npi": "1679576722",
        "payer_id": "AETNA3",
        **who,
    }
    claim_id = f"HP{course.index + 1:02d}P"
    plan = _Lines(claim_id)
    sim = course.start
    plan.add("77263", sim)
    plan.add("77290", sim, "26")
    plan.add("77014", sim, "26")
    plan.add("77295", sim + timedelta(days=2), "26")
    plan.add("77301", sim + timedelta(days=3), "26")
    plan.add("77300", sim + timedelta(days=3), "26", units=Decimal(4))
    plan.add("77338", sim + timedelta(days=3), "26")
    yield ClaimSpec(claim_id, plan.lines, **common)  # type: ignore[arg-type]
    for week_number, week in enumerate(course.weeks(), start=1):
        claim_id = f"HP{course.index + 1:02d}W{week_number}"
        lines = _Lines(claim_id)
        for day in week:
            lines.add("77387", day, "26", place_of_service="22")
        lines.add("77427", week[0], end=week[-1], pointers=(1, 2) if course.diagnoses[1:] else (1,))
        frequency = "7" if course.index == 3 and week_number == 2 else "1"
        yield ClaimSpec(
            claim_id,
            lines.lines,
            frequency_code=frequency,
            payer_claim_number=f"PAYER{course.index:03d}{week_number}" if frequency == "7" else "",
            **common,  # type: ignore[arg-type]
        )


def hospital_institutional_claims(course: Course) -> Iterator[ClaimSpec]:
    """837I, TOB 131: technical services with revenue codes, one claim per
    calendar month (a course that crosses New Year gives a 2026 claim)."""
    who, patient = _patient(course)
    common = {
        "member_id": course.member_id,
        "diagnoses": course.diagnoses,
        "facility_code": "13",
        "patient": patient,
        "billing_npi": "1528060837",
        "payer_id": "CMS01",
        **who,
    }
    months: dict[tuple[int, int], _Lines] = {}

    def lines_for(day: date) -> _Lines:
        key = (day.year, day.month)
        if key not in months:
            months[key] = _Lines(f"HI{course.index + 1:02d}M{len(months) + 1}")
        return months[key]

    sim = course.start
    lines_for(sim).add("77290", sim, revenue="0333")
    lines_for(sim).add("77014", sim, revenue="0350")
    lines_for(sim).add("77295", sim + timedelta(days=2), revenue="0333")
    lines_for(sim).add("77301", sim + timedelta(days=3), revenue="0333")
    lines_for(sim).add("77300", sim + timedelta(days=3), revenue="0330", units=Decimal(4))
    lines_for(sim).add("77338", sim + timedelta(days=3), revenue="0333")
    for week in course.weeks():
        for day in week:
            lines_for(day).add("77385", day, revenue="0333")
            lines_for(day).add("77387", day, revenue="0333")
        lines_for(week[0]).add("77417", week[0], revenue="0320")
    for lines in months.values():
        yield ClaimSpec(lines.claim_id, lines.lines, **common)  # type: ignore[arg-type]


def _all(make: Callable[[Course], Iterator[ClaimSpec]], group: list[Course]) -> list[ClaimSpec]:
    return [claim for course in group for claim in make(course)]


def samples() -> dict[str, bytes]:
    """File name -> exact bytes of every sample."""
    rng = random.Random(837)
    autumn = courses(rng, [date(2025, 9, 8), date(2025, 10, 6), date(2025, 11, 10)])
    winter = courses(rng, [date(2025, 11, 24), date(2025, 12, 1), date(2026, 1, 12)])
    files: dict[str, bytes] = {}

    # Freestanding center: two interchanges (autumn batch, winter batch), each
    # with one group of several ST-SE; one segment per line (LF).
    first = build_interchange(
        [GroupSpec(_all(freestanding_claims, autumn[:3]), claims_per_transaction=5)],
        EnvelopeSpec(interchange_control=101, group_control=1001),
    )
    second = build_interchange(
        [GroupSpec(_all(freestanding_claims, winter[3:6]), claims_per_transaction=8)],
        EnvelopeSpec(interchange_control=102, group_control=1002, created=date(2026, 2, 20)),
    )
    files["837p_freestanding_pos11.x12"] = (first + second).encode()

    # Hospital-based physicians: odd delimiters, no newlines, two groups in one ISA.
    odd = Delimiters(element="|", component=">", repetition="!", segment="~")
    files["837p_hospital_pro_pos22.x12"] = build_interchange(
        [
            GroupSpec(_all(hospital_professional_claims, autumn[:4]), group_control=2001),
            GroupSpec(
                _all(hospital_professional_claims, winter[4:]),
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
                _all(hospital_institutional_claims, winter[:5]),
                kind=ClaimKind.INSTITUTIONAL,
                group_control=3001,
                claims_per_transaction=3,
            )
        ],
        EnvelopeSpec(newline="\r\n", interchange_control=301, sender_id="HOSPITAL01"),
    ).encode()

    # A clearinghouse batch: 837P and 837I interchanges with different
    # delimiters in one file, UTF-8 BOM, no newlines.
    pro = build_interchange(
        [GroupSpec(_all(freestanding_claims, autumn[6:7]), group_control=4001)],
        EnvelopeSpec(
            delimiters=Delimiters("^", "\\", "{", "\n"), newline="", interchange_control=401
        ),
    )
    inst = build_interchange(
        [
            GroupSpec(
                _all(hospital_institutional_claims, winter[7:8]),
                kind=ClaimKind.INSTITUTIONAL,
                group_control=4002,
            )
        ],
        EnvelopeSpec(newline="", interchange_control=402),
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
