"""Typed fields from 837 segments: claims, service lines, people, dates.

Functions here turn already-grouped segments into model objects. Values that
cannot be typed are either fatal (a charge that is not a number: the claim's
money would be unknown) or recorded as warnings (a date of service that is
not a date: the rules report what they cannot evaluate).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from scrubber.errors import InputWarning, X12InputError
from scrubber.model import (
    Attachment,
    ClaimKind,
    DateRange,
    Delimiters,
    Diagnosis,
    Person,
    Segment,
    ServiceLine,
)

# HI qualifiers that carry ICD diagnosis codes (837P ABK/ABF, 837I BK/BF and friends).
DIAGNOSIS_QUALIFIERS = frozenset(
    {"ABK", "ABF", "ABJ", "ABN", "APR", "BK", "BF", "BJ", "BN", "PR", "DR"}
)
# Segments that open a nested loop inside 2300 (2310x, 2320, 2330x) or 2400
# (2410, 2420x, 2430, 2440): REF/PWK/DTP after them belong to that loop.
NESTED_LOOP_STARTS = frozenset({"NM1", "SBR", "LIN", "SVD", "LQ"})


# An X12 ``R`` (decimal) value as the 5010 guides allow it: an optional minus sign,
# ASCII digits and at most one decimal point; no exponent, no NaN or Infinity.
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Most digits an amount (data element 782, R 1/18) or a quantity (380, R 1/15) may carry.
AMOUNT_DIGITS = 18
QUANTITY_DIGITS = 15


def x12_decimal(value: str, max_digits: int) -> Decimal | None:
    """``value`` as a Decimal when it is an X12 decimal of at most ``max_digits``
    digits, else ``None`` (``1E+27``, ``NaN``, ``\u00b2``, 30 digits...)."""
    if len(value) > max_digits + 2:  # more than the digits, a minus sign and a point
        return None  # (and no long text is kept in the cache)
    return _x12_decimal(value, max_digits)


@functools.lru_cache(maxsize=4096)
def _x12_decimal(value: str, max_digits: int) -> Decimal | None:
    """:func:`x12_decimal` of a short value, cached (a Decimal is immutable,
    and a batch repeats its charges and units)."""
    if _DECIMAL.fullmatch(value) is None:
        return None
    # The pattern allows ASCII digits, one leading minus sign and one point.
    if len(value) - value.startswith("-") - ("." in value) > max_digits:
        return None
    return Decimal(value)


def money(segment: Segment, index: int, label: str) -> Decimal:
    """A required monetary amount; fatal when it is not an X12 decimal amount.

    Exponents (``1E+27``), NaN/Infinity, non-ASCII digits and more than 18
    digits are refused: such a value cannot be written back as an X12 amount,
    so no output could account for the claim's money."""
    value = segment.get(index)
    amount = x12_decimal(value, AMOUNT_DIGITS)
    if amount is None:
        raise X12InputError(
            f"{label} ({segment.id}{index:02d}) is {_shown(value)}, not an amount "
            f"(digits with at most one decimal point, no exponent, at most {AMOUNT_DIGITS} digits)",
            segment.position,
            segment.id,
        )
    return amount


def quantity(segment: Segment, index: int, warnings: list[InputWarning]) -> Decimal:
    """Service units. A missing value, or one that is no number at all, reads
    as 1 with a warning; a number that is not an X12 decimal quantity (an
    exponent as in ``1E+5000``, non-ASCII digits, more than 15 digits) is fatal,
    as it could not be written back (277CA SVC07, repaired SV104)."""
    value = segment.get(index)
    units = x12_decimal(value, QUANTITY_DIGITS)
    if units is not None:
        return units
    if _is_number(value):
        raise X12InputError(
            f"units ({segment.id}{index:02d}) is {_shown(value)}, not a quantity "
            f"(digits with at most one decimal point, no exponent, at most {QUANTITY_DIGITS} "
            "digits)",
            segment.position,
            segment.id,
        )
    warnings.append(
        InputWarning(
            f"units ({segment.id}{index:02d}) {_shown(value)} is not a quantity; read as 1",
            segment.position,
            segment.id,
        )
    )
    return Decimal(1)


def _is_number(value: str) -> bool:
    """``Decimal`` reads ``value`` as a number (finite or not)."""
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True


def _shown(value: str, limit: int = 40) -> str:
    """``value`` quoted for a one-line message: control characters escaped, cut
    to ``limit`` characters."""
    shown = repr(value[:limit])
    return shown if len(value) <= limit else shown + "..."


def parse_date(text: str) -> dt.date | None:
    """A CCYYMMDD date, or ``None``."""
    if len(text) != 8:
        return None  # (and no long text is kept in the cache)
    return _parse_date(text)


@functools.lru_cache(maxsize=4096)
def _parse_date(text: str) -> dt.date | None:
    """:func:`parse_date` of 8 characters. Cached: a batch repeats a few hundred dates."""
    if not is_ascii_digits(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def period(qualifier: str, value: str) -> DateRange | None:
    """A D8 or RD8 date value (DTP02, DTP03), or ``None`` when it is not one."""
    if len(value) > 17 or (qualifier != "D8" and qualifier != "RD8"):  # (RD8: 17 characters)
        return None  # (and no long text is kept in the cache)
    return _period(qualifier, value)


@functools.lru_cache(maxsize=4096)
def _period(qualifier: str, value: str) -> DateRange | None:
    """:func:`period` of a value short enough. Cached: a DateRange is
    immutable, and a batch repeats its dates."""
    if qualifier == "D8":
        day = parse_date(value)
        return DateRange(day, day) if day is not None else None
    if qualifier == "RD8":
        start_text, _, end_text = value.partition("-")
        start, end = parse_date(start_text), parse_date(end_text)
        if start is not None and end is not None and start <= end:
            return DateRange(start, end)
    return None


def date_range(dtp: Segment, warnings: list[InputWarning]) -> DateRange | None:
    """A DTP's D8 or RD8 value; a bad value gives ``None`` and a warning."""
    qualifier, value = dtp.get(2), dtp.get(3)
    dates = period(qualifier, value)
    if dates is not None:
        return dates
    warnings.append(
        InputWarning(
            f"DTP*{dtp.get(1)} date {qualifier}:{value!r} is not a valid date; "
            "rules that need it report not-evaluated",
            dtp.position,
            "DTP",
        )
    )
    return None


def own_segments(segments: Sequence[Segment]) -> Sequence[Segment]:
    """The leading segments of a loop, before its first nested loop."""
    for index, segment in enumerate(segments):
        if index and segment.elements[0] in NESTED_LOOP_STARTS:
            return segments[:index]
    return segments


def references(segments: Sequence[Segment], qualifier: str) -> tuple[str, ...]:
    return tuple(s.get(2) for s in segments if s.id == "REF" and s.get(1) == qualifier)


def attachments(segments: Sequence[Segment]) -> tuple[Attachment, ...]:
    return tuple(Attachment(s.get(1), s.get(2), s.get(6)) for s in segments if s.id == "PWK")


def diagnoses(segments: Sequence[Segment], component: str) -> tuple[Diagnosis, ...]:
    found: list[Diagnosis] = []
    for segment in segments:
        if segment.id != "HI":
            continue
        for composite in segment.elements[1:]:
            qualifier, _, rest = composite.partition(component)
            code = rest.partition(component)[0]
            if qualifier in DIAGNOSIS_QUALIFIERS and code:
                found.append(Diagnosis(qualifier, code))
    return tuple(found)


def person(segments: Sequence[Segment], entity: str, warnings: list[InputWarning]) -> Person:
    """The NM1 with entity code ``entity`` and the DMG that follows it."""
    found, bad = person_of([segment.elements for segment in segments], entity)
    for index in bad:
        warnings.append(
            InputWarning("DMG date of birth is not a valid date", segments[index].position, "DMG")
        )
    return found


def person_of(loop: Sequence[Sequence[str]], entity: str) -> tuple[Person, list[int]]:
    """:func:`person` of a loop's segments given as their elements: the
    person, and where (indexes into ``loop``) a DMG's date of birth is not a
    valid date. (Elements are indexed with their length checked in place,
    not through :func:`_at`: this runs for every claim of a batch.)"""
    name: Sequence[str] | None = None
    birth: dt.date | None = None
    bad: list[int] = []
    for index, elements in enumerate(loop):
        segment_id = elements[0]
        if segment_id == "NM1":
            if name is not None:
                break
            if len(elements) > 1 and elements[1] == entity:
                name = elements
        elif segment_id == "DMG" and name is not None:
            value = elements[2] if len(elements) > 2 else ""  # ("" is no date: not bad)
            birth = parse_date(value) if value and elements[1] == "D8" else None
            if birth is None and value:
                bad.append(index)
    if name is None:
        return _NOBODY, bad
    size = len(name)
    last, first = name[3] if size > 3 else "", name[4] if size > 4 else ""
    return Person(last, first, birth, name[9] if size > 9 else ""), bad


_NOBODY = Person("", "", None, "")  # (frozen: one object serves every loop without the NM1)


def entity_id(segments: Sequence[Segment], entity: str) -> str:
    return entity_id_of([segment.elements for segment in segments], entity)


def entity_id_of(loop: Sequence[Sequence[str]], entity: str) -> str:
    """NM109 of the first NM1 with entity code ``entity`` among a loop's
    segments given as their elements (``""``: none)."""
    for elements in loop:
        if elements[0] == "NM1" and _at(elements, 1) == entity:
            return _at(elements, 9)
    return ""


def _at(elements: Sequence[str], index: int) -> str:
    """Element ``index`` (``""`` past the last), as :meth:`Segment.get`."""
    return elements[index] if index < len(elements) else ""


def service_line(
    segments: tuple[Segment, ...],
    kind: ClaimKind,
    delimiters: Delimiters,
    statement_period: DateRange | None,
    warnings: list[InputWarning],
) -> ServiceLine:
    """Build a 2400 loop; ``segments[0]`` is LX and ``segments[1]`` SV1/SV2."""
    lx, service = segments[0], segments[1]
    own = own_segments(segments)
    component = delimiters.component
    if kind is ClaimKind.PROFESSIONAL:
        procedure_at, charge_at, basis_at, units_at = 1, 2, 3, 4
        revenue_code, place = "", service.get(5)
        pointers = _pointers(service.get(7), component, service, warnings)
    else:
        procedure_at, charge_at, basis_at, units_at = 2, 3, 4, 5
        revenue_code, place, pointers = service.get(1), "", ()
    procedure = service.get(procedure_at).split(component)
    # One pass over the line's own segments (this is the reader's hot path).
    dos = statement_period
    dtp_seen = False
    controls: list[str] = []
    authorizations: list[str] = []
    line_attachments: list[Attachment] = []
    for segment in own[2:]:
        elements = segment.elements
        segment_id = elements[0]
        if segment_id == "DTP" and not dtp_seen and segment.get(1) == "472":
            dos = date_range(segment, warnings)
            dtp_seen = True
        elif segment_id == "REF":
            qualifier = segment.get(1)
            if qualifier == "6R":
                controls.append(segment.get(2))
            elif qualifier == "G1":
                authorizations.append(segment.get(2))
        elif segment_id == "PWK":
            line_attachments.append(Attachment(segment.get(1), segment.get(2), segment.get(6)))
    return ServiceLine(
        segments=segments,
        number=_line_number(lx),
        qualifier=procedure[0],
        procedure=procedure[1] if len(procedure) > 1 else "",
        modifiers=tuple(m for m in procedure[2:6] if m),
        charge=money(service, charge_at, "line charge"),
        unit_basis=service.get(basis_at),
        units=quantity(service, units_at, warnings),
        revenue_code=revenue_code,
        place_of_service=place,
        diagnosis_pointers=pointers,
        dos=dos,
        line_control=controls[0] if controls else "",
        prior_authorizations=tuple(authorizations),
        attachments=tuple(line_attachments),
    )


def is_ascii_digits(value: str) -> bool:
    """Only ASCII ``0-9`` (``str.isdigit`` also accepts ``\u00b2`` and other digits
    that ``int`` refuses)."""
    return value.isascii() and value.isdigit()


def is_line_number(value: str) -> bool:
    """An LX01 the reader takes: 1 to 6 ASCII digits."""
    return is_ascii_digits(value) and len(value) <= 6


def is_pointer(value: str) -> bool:
    """An SV107 diagnosis pointer the reader takes: 1 or 2 ASCII digits."""
    return is_ascii_digits(value) and len(value) <= 2


def _line_number(lx: Segment) -> int:
    value = lx.get(1)
    if not is_line_number(value):
        raise X12InputError(
            f"LX01 is {_shown(value)}, not a line number (1 to 6 digits)", lx.position, "LX"
        )
    return int(value)


def _pointers(
    value: str, component: str, service: Segment, warnings: list[InputWarning]
) -> tuple[int, ...]:
    parts = [p for p in value.split(component) if p]
    numbers = tuple(int(p) for p in parts if is_pointer(p))
    if len(numbers) != len(parts):
        warnings.append(
            InputWarning(
                f"SV107 diagnosis pointers {_shown(value)} are not numbers",
                service.position,
                "SV1",
            )
        )
    return numbers
