"""Every model field, checked on files whose content is known."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scrubber.model import Attachment, Claim, ClaimKind, DateRange, Delimiters, Diagnosis, Person
from scrubber.testing import ClaimSpec, EnvelopeSpec, LineSpec, PatientSpec, build_837
from tests.corpus import require_corpus
from tests.reader.helpers import read

FULL_LINES = [
    LineSpec(
        "77387",
        ("26", "GC", "59", "XU"),
        dos=date(2026, 1, 6),
        charge=Decimal("63.25"),
        units=Decimal("2"),
        pointers=(2, 1, 3),
        place_of_service="22",
        line_control="LC-1",
        prior_authorization="LINEAUTH9",
        attachment=True,
        revenue_code="0333",
    ),
    LineSpec(
        "77427",
        dos=date(2025, 12, 29),
        dos_end=date(2026, 1, 2),
        charge=Decimal("390"),
        revenue_code="0330",
    ),
]
FULL_CLAIM = ClaimSpec(
    "PCN-77",
    FULL_LINES,
    member_id="XYZ123456",
    last_name="PUBLIC",
    first_name="JOHN",
    birth_date=date(1950, 12, 31),
    payer_id="87726",
    billing_npi="1497758544",
    facility_code="22",
    frequency_code="7",
    diagnoses=("C3411", "C7931", "Z51"),
    prior_authorization="AUTH-42",
    attachment=True,
    payer_claim_number="ORIG-CLAIM-9",
    patient=PatientSpec("PUBLIC", "JUNIOR", date(2012, 2, 29)),
)


@pytest.fixture(params=[ClaimKind.PROFESSIONAL, ClaimKind.INSTITUTIONAL])
def full(request: pytest.FixtureRequest) -> tuple[ClaimKind, Claim]:
    kind = request.param
    delimiters = Delimiters("|", ">", "!", "~")
    text = build_837([FULL_CLAIM], kind, EnvelopeSpec(delimiters=delimiters, newline=""))
    claims, reader = read(text)
    assert reader.warnings == []
    [claim] = claims
    return kind, claim


def test_claim_fields(full: tuple[ClaimKind, Claim]) -> None:
    kind, claim = full
    professional = kind is ClaimKind.PROFESSIONAL
    assert claim.kind is kind
    assert claim.patient_control_number == "PCN-77"
    assert claim.total_charge == Decimal("453.25")
    assert isinstance(claim.total_charge, Decimal)
    assert claim.facility_code == "22"
    assert claim.facility_qualifier == ("B" if professional else "A")
    assert claim.frequency_code == "7"
    assert claim.bill_type == "227"
    assert claim.statement_period == (
        None if professional else DateRange(date(2025, 12, 29), date(2026, 1, 6))
    )
    assert claim.prior_authorizations == ("AUTH-42",)
    assert claim.attachments == (Attachment("09", "BM", "DOCPCN-77"),)
    assert claim.payer_claim_number == "ORIG-CLAIM-9"
    assert claim.diagnoses == (
        Diagnosis("ABK", "C3411"),
        Diagnosis("ABF", "C7931"),
        Diagnosis("ABF", "Z51"),
    )
    assert claim.principal_diagnosis == "C3411"
    assert claim.diagnosis_for_pointer(2) == "C7931"
    assert claim.diagnosis_for_pointer(4) == ""
    assert claim.billing_npi == "1497758544"
    assert claim.payer_id == "87726"
    assert claim.subscriber == Person("PUBLIC", "JOHN", None, "XYZ123456")
    assert claim.patient == Person("PUBLIC", "JUNIOR", date(2012, 2, 29), "")
    assert claim.patient_level is not None and claim.patient_level.level_code == "23"
    assert claim.subscriber_level.level_code == "22"
    assert claim.billing.level_code == "20"
    assert claim.clm.id == "CLM"
    assert claim.ordinal == 1
    assert claim.transaction.reference == "BATCH0001"
    assert claim.transaction.created == "20260105"
    assert claim.transaction.group.interchange.sender_id == "SUBMITTER01"
    assert claim.transaction.group.interchange.usage == "T"


def test_line_fields(full: tuple[ClaimKind, Claim]) -> None:
    kind, claim = full
    professional = kind is ClaimKind.PROFESSIONAL
    first, second = claim.lines
    assert first.lx.id == "LX" and first.number == 1
    assert first.service.id == ("SV1" if professional else "SV2")
    assert first.revenue_code == ("" if professional else "0333")
    assert second.revenue_code == ("" if professional else "0330")
    assert first.qualifier == "HC"
    assert first.procedure == "77387"
    assert first.modifiers == ("26", "GC", "59", "XU")
    assert first.has_modifier("59") and not first.has_modifier("TC")
    assert first.charge == Decimal("63.25")
    assert first.unit_basis == "UN"
    assert first.units == Decimal(2)
    assert first.place_of_service == ("22" if professional else "")
    assert first.diagnosis_pointers == ((2, 1, 3) if professional else ())
    assert first.dos == DateRange(date(2026, 1, 6), date(2026, 1, 6))
    assert first.dos.is_single_day
    assert first.line_control == "LC-1"
    # 837I has no line-level prior authorization (REF*G1) in 2400.
    assert first.prior_authorizations == (("LINEAUTH9",) if professional else ())
    assert first.attachments == (Attachment("09", "BM", "DOCL1"),)
    assert second.number == 2
    assert second.modifiers == ()
    assert second.charge == Decimal("390.00")
    assert second.dos == DateRange(date(2025, 12, 29), date(2026, 1, 2))
    assert not second.dos.is_single_day
    assert str(second.dos) == "2025-12-29..2026-01-02"
    assert second.line_control == ""
    assert second.attachments == ()
    assert second.place_of_service == ""


def test_837i_line_without_dtp_uses_the_statement_period() -> None:
    text = build_837([FULL_CLAIM], ClaimKind.INSTITUTIONAL)
    text = text.replace("DTP*472*D8*20260106~\n", "")
    [claim], _ = read(text)
    assert claim.lines[0].dos == claim.statement_period
    assert claim.lines[1].dos == DateRange(date(2025, 12, 29), date(2026, 1, 2))


def test_nested_loop_segments_are_not_the_lines_own() -> None:
    # A REF*6R / DTP*472 inside a 2420 loop (after NM1) is not the line's.
    text = build_837([FULL_CLAIM])
    text = text.replace(
        "REF*6R*LC-1~\n", "NM1*DK*1*ORDERING*DOC~\nREF*6R*NESTED~\nDTP*472*D8*20200101~\n"
    )
    [claim], _ = read(text)
    assert claim.lines[0].line_control == ""
    assert claim.lines[0].dos == DateRange(date(2026, 1, 6), date(2026, 1, 6))
    assert claim.lines[0].segments[-1].get(3) == "20200101"  # still kept in the loop


def test_corpus_uhin_837p() -> None:
    [claim], reader = read(require_corpus() / "x12-parser-library__837.edi")
    assert reader.warnings == []
    assert claim.patient_control_number == "1606"
    assert claim.total_charge == Decimal(2)
    assert (claim.facility_code, claim.facility_qualifier, claim.frequency_code) == ("11", "B", "1")
    assert claim.diagnoses == (Diagnosis("ABK", "R69"),)
    assert claim.billing_npi == "1245319599"
    assert claim.payer_id == "FLHIN"
    assert claim.subscriber == Person("MARQUARDT", "RALPH", date(1946, 11, 11), "601239742")
    assert claim.patient is None
    [line] = claim.lines
    assert (line.number, line.qualifier, line.procedure, line.modifiers) == (1, "HC", "90834", ())
    assert (line.charge, line.units, line.diagnosis_pointers) == (Decimal(2), Decimal(1), (1,))
    assert line.dos == DateRange(date(2024, 8, 15), date(2024, 8, 20))
    assert claim.transaction.control_number == "800000372"
    assert claim.transaction.group.interchange.control_number == "800000372"


def test_corpus_institutional() -> None:
    path = require_corpus() / "synthetic" / "derived__x12__institutional-claim_fixed.837i"
    [claim], reader = read(path)
    assert reader.warnings == []
    assert claim.kind is ClaimKind.INSTITUTIONAL
    assert claim.patient_control_number == "756048Q"
    assert claim.total_charge == Decimal("89.93")
    assert claim.bill_type == "141"
    assert claim.statement_period == DateRange(date(1996, 9, 11), date(1996, 9, 11))
    # BH/BE/BG composites (occurrence, value, condition codes) are not diagnoses.
    assert claim.diagnoses == (
        Diagnosis("BK", "3669"),
        Diagnosis("BF", "4019"),
        Diagnosis("BF", "79431"),
    )
    assert claim.billing_npi == "9876540809"
    assert claim.payer_id == "00435"
    # The other subscriber in 2320/2330A (after SBR*S) is not the claim's subscriber.
    assert claim.subscriber == Person("DOE", "JON", date(1926, 11, 11), "030005074A")
    assert [(li.revenue_code, li.procedure, li.charge, li.units) for li in claim.lines] == [
        ("0305", "85025", Decimal("13.39"), Decimal("1.00")),
        ("0730", "93005", Decimal("76.54"), Decimal("3.00")),
    ]
    assert all(li.dos == DateRange(date(1996, 9, 11), date(1996, 9, 11)) for li in claim.lines)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        ("123.45", 18, Decimal("123.45")),
        ("-.5", 18, Decimal("-0.5")),
        ("1" * 18, 18, Decimal("1" * 18)),
        ("-" + "1" * 17 + ".", 18, Decimal("-" + "1" * 17)),
        ("1" * 19, 18, None),
        ("1" * 16 + ".1", 15, None),
        ("1E+27", 18, None),
        ("9" * 70_000, 18, None),
    ],
)
def test_x12_decimal_counts_digits_and_keeps_no_long_text(
    value: str, digits: int, expected: Decimal | None
) -> None:
    """Values are cached (a batch repeats its amounts), but only short ones:
    a hostile 70,000-digit element is refused without being kept."""
    from scrubber.x12 import fields

    assert fields.x12_decimal(value, digits) == expected
    assert fields.x12_decimal(value, digits) == expected  # (cached, or not)
    cached = fields._x12_decimal.cache_parameters()["maxsize"]
    assert cached == 4096
    keys = fields._x12_decimal.cache_info().currsize
    periods = fields._period.cache_info().currsize
    assert fields.x12_decimal("8" * 70_000, 18) is None
    assert fields.period("D8", "2" * 70_000) is None
    assert fields.period("X" * 70_000, "20260101") is None
    assert fields._x12_decimal.cache_info().currsize == keys
    assert fields._period.cache_info().currsize == periods
    assert fields.period("RD8", "20260101-20260102") == DateRange(
        date(2026, 1, 1), date(2026, 1, 2)
    )
