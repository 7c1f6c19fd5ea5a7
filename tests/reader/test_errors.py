"""Refused and malformed input: X12InputError (or a warning) naming the position."""

from __future__ import annotations

import pytest

from scrubber.errors import X12InputError
from scrubber.x12.reader import SUPPORTED_TEXT
from tests.reader.helpers import base_837i, base_837p, join, lines_of, position, read, read_error

BASE = base_837p()
SEGMENTS = lines_of(BASE)


def without(prefix: str, nth: int = 0) -> str:
    index = position(BASE, prefix, nth) - 1
    return join(SEGMENTS[:index] + SEGMENTS[index + 1 :])


def replaced(prefix: str, new: str, nth: int = 0) -> str:
    index = position(BASE, prefix, nth) - 1
    return join([*SEGMENTS[:index], new, *SEGMENTS[index + 1 :]])


def assert_error(error: X12InputError, where: int, *words: str) -> None:
    assert error.position == where
    message = str(error)
    assert message.startswith(f"segment {where}")
    assert "\n" not in message
    for word in words:
        assert word in message, message


# Refused transaction types and versions ------------------------------------


def test_4010_is_refused_at_the_isa() -> None:
    text = BASE.replace("*^*00501*", "*U*00401*", 1).replace("005010X222A1", "004010X098A1")
    error = read_error(text)
    assert_error(error, 1, "ISA12='00401'", "5010", SUPPORTED_TEXT)
    assert error.segment_id == "ISA"


@pytest.mark.parametrize(
    ("gs01", "version", "st01", "name"),
    [
        ("HN", "005010X214", "277", "277"),
        ("FA", "005010X231A1", "999", "999"),
        ("HS", "005010X279A1", "270", "270"),
        ("HC", "004010X098A1", "837", "837"),
        ("HC", "005010X222", "837", "837"),
    ],
)
def test_other_transactions_are_refused_at_the_gs(
    gs01: str, version: str, st01: str, name: str
) -> None:
    text = BASE.replace("GS*HC*", f"GS*{gs01}*").replace("005010X222A1", version)
    text = text.replace("ST*837*", f"ST*{st01}*")
    error = read_error(text)
    assert_error(error, 2, f"GS08={version!r}", name, SUPPORTED_TEXT)
    assert error.segment_id == "GS"


def test_non_837_transaction_in_an_837_group_is_refused_at_the_st() -> None:
    error = read_error(BASE.replace("ST*837*", "ST*277*"))
    assert_error(error, 3, "ST01='277'", SUPPORTED_TEXT)


def test_refusal_in_a_later_interchange_names_its_position() -> None:
    second = BASE.replace("GS*HC*", "GS*HN*").replace("005010X222A1", "005010X214")
    reader_error = read_error(BASE + second)
    assert_error(reader_error, len(SEGMENTS) + 2, "277")


# Envelope defects ---------------------------------------------------------------


def test_missing_se_is_fatal_at_the_ge() -> None:
    error = read_error(without("SE"))
    assert_error(error, position(BASE, "SE"), "GE inside the transaction set", "no SE")


def test_missing_ge_is_fatal_at_the_iea() -> None:
    error = read_error(without("GE"))
    assert_error(error, position(BASE, "GE"), "IEA inside the functional group", "no GE")


def test_missing_iea_means_truncated() -> None:
    error = read_error(without("IEA"))
    assert_error(error, position(BASE, "GE"), "no IEA", "truncated")


def test_truncated_in_the_middle_of_a_claim() -> None:
    cut = BASE.index("LX*3~")
    error = read_error(BASE[:cut])
    assert_error(
        error, position(BASE, "LX*3") - 1, "transaction set opened at segment 3", "truncated"
    )


def test_truncated_inside_a_segment() -> None:
    cut = BASE.index("SV1*HC:77387:26") + 9
    error = read_error(BASE[:cut])
    # The partial segment is read (with a warning), then the missing SE is fatal.
    assert_error(error, position(BASE, "SV1*HC:77387:26"), "truncated")


def test_st_inside_an_open_transaction() -> None:
    text = replaced("SE", "ST*837*0002*005010X222A1")
    error = read_error(text)
    assert_error(error, position(BASE, "SE"), "ST inside the transaction set opened at segment 3")


def test_gs_inside_an_open_group() -> None:
    index = position(BASE, "GE") - 1
    text = join([*SEGMENTS[:index], SEGMENTS[1], *SEGMENTS[index:]])
    error = read_error(text)
    assert_error(error, index + 1, "GS inside the functional group opened at segment 2")


def test_segment_between_envelopes() -> None:
    index = position(BASE, "GE") - 1
    text = join([*SEGMENTS[:index], "NM1*41*2*X", *SEGMENTS[index:]])
    error = read_error(text)
    assert_error(error, index + 1, "expected an ST transaction set header, found NM1")


def test_empty_segment_is_skipped_with_a_warning() -> None:
    text = BASE.replace("LX*2~", "~LX*2~", 1)
    claims, reader = read(text)
    assert [len(c.lines) for c in claims] == [4, 2]
    [warning] = reader.warnings
    assert warning.position == position(BASE, "LX*2")
    assert "empty segment" in warning.problem


@pytest.mark.parametrize(
    ("prefix", "wrong", "what"),
    [
        ("SE", "SE*99*0001", "SE01 declares '99' segments, the input has 57"),
        ("GE", "GE*3*1", "GE01 declares '3' transactions, the input has 1"),
        ("IEA", "IEA*2*000000001", "IEA01 declares '2' groups, the input has 1"),
        ("SE", "SE*57*0009", "SE02 '0009' does not match ST02 '0001'"),
        ("GE", "GE*1*7", "GE02 '7' does not match GS06 '1'"),
        ("IEA", "IEA*1*000000002", "IEA02 '000000002' does not match ISA13 '000000001'"),
    ],
)
def test_wrong_trailer_counts_are_warnings(prefix: str, wrong: str, what: str) -> None:
    claims, reader = read(replaced(prefix, wrong))
    assert len(claims) == 2
    [warning] = reader.warnings
    assert warning.position == position(BASE, prefix)
    assert warning.segment_id == prefix
    assert warning.problem == what


# The ISA itself ---------------------------------------------------------------------


def test_isa_not_106_characters() -> None:
    text = BASE.replace("*00*          *00*", "*00*         *00*", 1)
    error = read_error(text)
    assert_error(error, 1, "ISA02 has 9 characters, must have 10", "106")


def test_isa_with_padding_collapsed() -> None:
    text = BASE.replace("*SUBMITTER01    *", "*SUBMITTER01*", 1)
    error = read_error(text)
    assert_error(error, 1, "ISA06 has 11 characters, must have 15")


def test_isa_truncated() -> None:
    error = read_error(BASE[:60])
    assert_error(error, 1, "ISA is truncated: 60 characters")


def test_isa_only() -> None:
    error = read_error(SEGMENTS[0] + "~")
    assert_error(error, 1, "no IEA", "truncated")
    # Without its terminator the ISA is one character short.
    error = read_error(SEGMENTS[0])
    assert_error(error, 1, "ISA is truncated: 105 characters")


def test_no_isa() -> None:
    error = read_error(join(SEGMENTS[1:]) + " " * 200)
    assert_error(error, 1, "expected an ISA interchange header, found 'GS*'")


@pytest.mark.parametrize("text", ["", "   \r\n\n", "\ufeff"])
def test_empty_input(text: str) -> None:
    error = read_error(text.encode())
    assert error.position is None
    assert str(error) == "input is empty: no ISA interchange header"


def test_isa_declaring_the_same_element_and_segment_separator() -> None:
    isa = SEGMENTS[0][:-1] + "*"
    text = join([isa, *SEGMENTS[1:]])
    error = read_error(text)
    assert_error(error, 1, "unusable delimiters")


# Segments where the 837 structure does not allow them -------------------------


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        # LX*2 missing: the second SV1 would silently merge two lines.
        (without("LX*2"), position(BASE, "LX*2"), "second SV1 in one service line"),
        (
            replaced("SV1*HC:77385", "DTP*472*D8*20260105"),
            position(BASE, "SV1*HC:77385"),
            "SV1 must follow LX",
        ),
        (without("CLM*PCN100"), position(BASE, "LX*1") - 1, "LX outside a claim"),
        (
            without("HL*2"),
            position(BASE, "CLM*PCN100") - 1,
            "CLM before any subscriber (HL*22) loop",
        ),
        (
            without("HL*1"),
            position(BASE, "HL*2") - 1,
            "subscriber HL*22 before any billing provider HL*20",
        ),
        (without("BHT"), 3, "BHT must follow ST"),
        (replaced("HL*1", "HL*1**21*1"), position(BASE, "HL*1"), "HL03 level code '21'"),
        (
            replaced("NM1*40", "SV1*HC:77385*1*UN*1"),
            position(BASE, "NM1*40"),
            "SV1 in the transaction header",
        ),
        (
            replaced("PRV*BI", "SV1*HC:77385*1*UN*1"),
            position(BASE, "PRV*BI"),
            "SV1 outside a claim",
        ),
        (
            replaced("PRV*PE", "SV1*HC:77385*1*UN*1"),
            position(BASE, "PRV*PE"),
            "SV1 outside a service line",
        ),
    ],
    ids=[
        "second-sv1-without-lx",
        "lx-without-sv1",
        "lx-without-clm",
        "clm-without-subscriber",
        "subscriber-without-billing",
        "st-without-bht",
        "bad-hl-level",
        "sv1-in-header",
        "sv1-in-hl-loop",
        "sv1-in-claim",
    ],
)
def test_segments_out_of_place(text: str, where: int, problem: str) -> None:
    error = read_error(text)
    assert_error(error, where, problem)


def test_sv2_on_a_professional_claim_outside_lines() -> None:
    text = base_837i().replace("LX*1~\n", "", 1)
    error = read_error(text)
    assert "SV2 outside a service line" in str(error)
    assert error.position == position(base_837i(), "SV2") - 1


@pytest.mark.parametrize(
    ("bad", "shown"),
    [("nm1*85*2*X", "nm1"), ("*IC*NAME", ""), ("N 3*100 MAIN", "N 3"), ("NM12*85", "NM12")],
)
def test_bad_segment_identifier(bad: str, shown: str) -> None:
    error = read_error(replaced("N3*100 MAIN ST", bad))
    assert_error(error, position(BASE, "N3*100 MAIN ST"), "bad segment identifier")
    assert repr(bad[:24]) in str(error)


def test_charge_that_is_not_a_number() -> None:
    error = read_error(BASE.replace("SV1*HC:77385*100.00*", "SV1*HC:77385*1OO.00*"))
    assert_error(error, position(BASE, "SV1*HC:77385"), "line charge (SV102) is '1OO.00'")
    error = read_error(BASE.replace("CLM*PCN100*653.00*", "CLM*PCN100**"))
    assert_error(error, position(BASE, "CLM*PCN100"), "total claim charge (CLM02) is ''")


def test_line_number_that_is_not_a_number() -> None:
    error = read_error(BASE.replace("LX*2~", "LX*B~"))
    assert_error(error, position(BASE, "LX*2"), "LX01 is 'B'")


def test_bad_values_that_are_warnings() -> None:
    text = BASE.replace("DTP*472*D8*20260105~", "DTP*472*D8*20261305~", 1)
    text = text.replace("SV1*HC:77300*560.00*UN*4*", "SV1*HC:77300*560.00*UN*X*")
    text = text.replace("DMG*D8*19600115", "DMG*D8*19600230")
    claims, reader = read(text)
    assert claims[0].lines[0].dos is None
    assert claims[1].lines[1].units == 1
    assert claims[0].subscriber.birth_date is None
    positions = sorted((w.position, w.segment_id) for w in reader.warnings)
    assert positions == [
        (position(BASE, "DMG*D8*19600115"), "DMG"),
        (position(BASE, "DTP*472*D8*20260105"), "DTP"),
        (position(BASE, "SV1*HC:77300"), "SV1"),
    ]


def test_hl_parent_mismatch_and_repeat_are_warnings() -> None:
    text = replaced("HL*3", "HL*2*7*22*1")
    claims, reader = read(text)
    assert len(claims) == 2
    problems = sorted(w.problem for w in reader.warnings)
    assert problems == [
        "HL01 id '2' repeats",
        "HL02 parent '3' is not the enclosing HL '2'",
        "HL02 parent '7' is not the enclosing HL '1'",
    ]
    assert {w.position for w in reader.warnings} == {position(BASE, "HL*3"), position(BASE, "HL*4")}


def test_nothing_is_yielded_after_an_error() -> None:
    from scrubber.x12.reader import X12Reader

    reader = X12Reader(without("IEA"))
    claims = reader.claims()
    assert next(claims).patient_control_number == "PCN100"
    with pytest.raises(X12InputError):
        list(claims)
