"""Small builders of real 837 text for the reader tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scrubber.errors import X12InputError
from scrubber.model import Claim, ClaimKind
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, PatientSpec, build_837
from scrubber.x12.reader import X12Reader
from scrubber.x12.source import Source


def course_claims() -> list[ClaimSpec]:
    """Two claims: an IMRT week with IGRT components, and a planning claim."""
    week = [
        LineSpec("77385", dos=date(2026, 1, 5), line_control="A1"),
        LineSpec("77387", ("TC",), dos=date(2026, 1, 5), line_control="A2"),
        LineSpec("77387", ("26",), dos=date(2026, 1, 5), charge=Decimal("63.00")),
        LineSpec(
            "77427",
            dos=date(2026, 1, 5),
            dos_end=date(2026, 1, 9),
            charge=Decimal("390.00"),
            pointers=(1, 2),
        ),
    ]
    planning = [
        LineSpec("77290", dos=date(2025, 12, 29), units=Decimal(1)),
        LineSpec("77300", dos=date(2025, 12, 30), units=Decimal(4), charge=Decimal("560.00")),
    ]
    return [
        ClaimSpec("PCN100", week, diagnoses=("C61", "N400")),
        ClaimSpec("PCN200", planning, member_id="MBR0002", patient=PatientSpec()),
    ]


def base_837p(**envelope: object) -> str:
    return build_837(course_claims(), envelope=EnvelopeSpec(**envelope))  # type: ignore[arg-type]


def base_837i(**envelope: object) -> str:
    return build_837(
        course_claims(),
        ClaimKind.INSTITUTIONAL,
        EnvelopeSpec(**envelope),  # type: ignore[arg-type]
    )


def read(source: Source) -> tuple[list[Claim], X12Reader]:
    reader = X12Reader(source)
    return list(reader.claims()), reader


def read_error(source: Source) -> X12InputError:
    reader = X12Reader(source)
    try:
        list(reader.claims())
    except X12InputError as error:
        return error
    raise AssertionError("expected X12InputError, the input was read")


def lines_of(text: str, terminator: str = "~\n") -> list[str]:
    """The segments of builder text (one per line), without terminators."""
    return text.split(terminator)[:-1]


def join(segments: list[str], terminator: str = "~\n") -> str:
    return "".join(s + terminator for s in segments)


def position(text: str, prefix: str, nth: int = 0) -> int:
    """1-based position of the ``nth`` segment starting with ``prefix``."""
    found = [i for i, s in enumerate(lines_of(text), start=1) if s.startswith(prefix)]
    return found[nth]


def summary(claims: list[Claim]) -> list[tuple[object, ...]]:
    """What must not depend on delimiters, encoding or layout."""
    return [
        (
            c.patient_control_number,
            c.total_charge,
            c.facility_code,
            c.facility_qualifier,
            c.frequency_code,
            tuple(d.code for d in c.diagnoses),
            tuple(
                (
                    line.number,
                    line.procedure,
                    line.modifiers,
                    line.charge,
                    line.units,
                    line.diagnosis_pointers,
                    str(line.dos),
                    line.line_control,
                )
                for line in c.lines
            ),
        )
        for c in claims
    ]
