"""Hostile 837 text the reader must refuse in one line (X12InputError), never crash on.

Issue 16: each case was a traceback on main (IndexError, ValueError,
decimal.InvalidOperation). Inputs are real 837 text from the builders,
mutated one segment at a time.
"""

from __future__ import annotations

import pytest

from scrubber.errors import X12InputError
from scrubber.rules.radonc.registry import RegistryError, parse_registry
from tests.reader.helpers import base_837i, base_837p, join, lines_of, position, read, read_error

BASE = base_837p()
SEGMENTS = lines_of(BASE)


def replaced(text: str, prefix: str, new: str, nth: int = 0) -> str:
    segments = lines_of(text)
    index = position(text, prefix, nth) - 1
    return join([*segments[:index], new, *segments[index + 1 :]])


def inserted_after(text: str, prefix: str, new: str, nth: int = 0) -> str:
    segments = lines_of(text)
    index = position(text, prefix, nth)
    return join([*segments[:index], new, *segments[index:]])


def assert_one_line(error: X12InputError, where: int, segment_id: str, *words: str) -> None:
    message = str(error)
    assert error.position == where, message
    assert error.segment_id == segment_id
    assert message.startswith(f"segment {where} ({segment_id})")
    assert "\n" not in message and "\r" not in message
    for word in words:
        assert word in message, message


# LX without its SV1/SV2 ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["837p", "837i"])
def test_lx_directly_followed_by_lx_is_refused(kind: str) -> None:
    text = base_837p() if kind == "837p" else base_837i()
    text = inserted_after(text, "LX*1", "LX*9")
    where = position(text, "LX*1")
    service = "SV1" if kind == "837p" else "SV2"
    assert_one_line(read_error(text), where, "LX", f"{service} must follow LX")


def test_lx_at_the_end_of_a_claim_is_refused() -> None:
    # The first claim's last line is LX*4; a bare LX after it, then the next HL.
    last_dtp_of_first_claim = position(BASE, "HL*", 2) - 1
    segments = list(SEGMENTS)
    segments.insert(last_dtp_of_first_claim, "LX*5")
    error = read_error(join(segments))
    assert_one_line(error, last_dtp_of_first_claim + 1, "LX", "SV1 must follow LX")


def test_lx_at_the_end_of_the_transaction_is_refused() -> None:
    text = inserted_after(BASE, "DTP*472", "LX*3", nth=-1)
    where = position(text, "LX*3", nth=-1)
    assert_one_line(read_error(text), where, "LX", "SV1 must follow LX")


# Non-ASCII digits -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["\u00b2", "1\u00b2", "\u0663", "\uff11", "1234567"])
def test_lx01_not_ascii_digits_is_refused(value: str) -> None:
    text = replaced(BASE, "LX*2", f"LX*{value}")
    error = read_error(text)
    assert_one_line(error, position(BASE, "LX*2"), "LX", "LX01", "not a line number")


@pytest.mark.parametrize("value", ["\u00b2", "1:\u00b2", "\u0663", "123"])
def test_sv107_pointer_not_ascii_digits_is_a_warning(value: str) -> None:
    sv1 = SEGMENTS[position(BASE, "SV1") - 1]
    elements = sv1.split("*")
    elements[7] = value
    claims, reader = read(replaced(BASE, "SV1", "*".join(elements)))
    line = claims[0].lines[0]
    assert all(0 < pointer < 100 for pointer in line.diagnosis_pointers)
    assert line.diagnosis_pointers == ((1,) if value.startswith("1:") else ())
    assert any("SV107" in str(w) for w in reader.warnings)


def test_date_with_non_ascii_digits_is_a_warning_not_a_crash() -> None:
    text = replaced(BASE, "DTP*472", "DTP*472*D8*2025010\u00b2")
    claims, reader = read(text)
    assert claims[0].lines[0].dos is None
    assert any("not a valid date" in str(w) for w in reader.warnings)


# Amounts and quantities that are not X12 decimals ------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["1E+27", "1e3", "NaN", "Infinity", "-Inf", "\u0661\u0660\u0660", "1" * 19, "1.2.3", "0x10"],
)
def test_claim_charge_that_is_not_an_x12_amount_is_refused(value: str) -> None:
    clm = SEGMENTS[position(BASE, "CLM") - 1].split("*")
    clm[2] = value
    error = read_error(replaced(BASE, "CLM", "*".join(clm)))
    assert_one_line(error, position(BASE, "CLM"), "CLM", "CLM02", "not an amount")


@pytest.mark.parametrize("value", ["1E+5", "117.005E0", "NaN", "9" * 30])
def test_line_charge_that_is_not_an_x12_amount_is_refused(value: str) -> None:
    sv1 = SEGMENTS[position(BASE, "SV1") - 1].split("*")
    sv1[2] = value
    error = read_error(replaced(BASE, "SV1", "*".join(sv1)))
    assert_one_line(error, position(BASE, "SV1"), "SV1", "SV102", "not an amount")


@pytest.mark.parametrize("value", ["1E+5000", "NaN", "Infinity", "1" * 16, "\u0663"])
def test_units_in_exponent_or_too_long_are_refused(value: str) -> None:
    sv1 = SEGMENTS[position(BASE, "SV1") - 1].split("*")
    sv1[4] = value
    error = read_error(replaced(BASE, "SV1", "*".join(sv1)))
    assert_one_line(error, position(BASE, "SV1"), "SV1", "SV104", "not a quantity")


def test_units_that_are_no_number_still_read_as_one_with_a_warning() -> None:
    sv1 = SEGMENTS[position(BASE, "SV1") - 1].split("*")
    sv1[4] = "ABC"
    claims, reader = read(replaced(BASE, "SV1", "*".join(sv1)))
    assert claims[0].lines[0].units == 1
    assert any("SV104" in str(w) and "read as 1" in str(w) for w in reader.warnings)


def test_long_hostile_value_is_cut_in_the_message() -> None:
    clm = SEGMENTS[position(BASE, "CLM") - 1].split("*")
    clm[2] = "1E" + "9" * 5000
    message = str(read_error(replaced(BASE, "CLM", "*".join(clm))))
    assert len(message) < 300
    assert "..." in message


# The course registry CSV (--courses) ------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("A,1,C61,2025-03-03,\u00b2\n", "planned_fractions"),
        ("A,1,C61,2025-03-03,1234567\n", "planned_fractions"),
        ("A,1,C61,2025030\u00b2,5\n", "first_dos"),
    ],
)
def test_registry_non_ascii_digits_are_refused_in_one_line(row: str, problem: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(row)
    assert problem in str(caught.value) and "\n" not in str(caught.value)
