"""The claim model: plain frozen data, no I/O.

A :class:`Claim` carries every field the rules need, already typed (money as
``Decimal``, dates as ``datetime.date``), plus the raw :class:`Segment` objects
it was read from, so that a writer can reproduce an untouched claim
byte-for-byte and rebuild a changed one.

Envelope and hierarchy objects (:class:`Interchange`, :class:`Group`,
:class:`Transaction`, :class:`HierarchyLevel`) are shared by identity between
the claims read from the same envelope or HL loop: two claims are in the same
transaction exactly when ``a.transaction is b.transaction``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from scrubber.pickling import by_fields


class ClaimKind(StrEnum):
    """Which implementation guide a claim was read under."""

    PROFESSIONAL = "professional"  # 837P, 005010X222A1
    INSTITUTIONAL = "institutional"  # 837I, 005010X223A2


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators an ISA declares."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


class Segment(NamedTuple):
    """One X12 segment as read (a named tuple: the reader makes one per
    segment, twice per scrub, and a tuple is the cheapest immutable record).

    ``elements[0]`` is the segment id, so ``elements[1]`` is the X12 "01"
    element (``CLM01``). ``raw`` is the exact input text of the segment:
    any whitespace before it, its content and its terminator. Joining the
    ``raw`` of consecutive segments reproduces the input exactly.
    ``position`` is the 1-based ordinal of the segment in the input file.
    """

    elements: tuple[str, ...]
    raw: str
    position: int

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int) -> str:
        """Element ``index`` (1-based, as in ``CLM01``), or ``""`` when absent."""
        elements = self.elements
        return elements[index] if index < len(elements) else ""


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
class Interchange:
    """An ISA-IEA envelope."""

    isa: Segment
    delimiters: Delimiters
    control_number: str  # ISA13
    sender_id: str  # ISA06, stripped
    receiver_id: str  # ISA08, stripped
    usage: str  # ISA15, T or P


@dataclass(frozen=True, slots=True)
class Group:
    """A GS-GE functional group."""

    gs: Segment
    interchange: Interchange
    control_number: str  # GS06
    version: str  # GS08, e.g. 005010X222A1
    kind: ClaimKind


@dataclass(frozen=True, slots=True)
class Transaction:
    """An ST-SE transaction set, with the header segments before the first HL.

    ``header`` holds ST, BHT and the 1000A/1000B loops, in input order.
    """

    group: Group
    header: tuple[Segment, ...]
    control_number: str  # ST02
    reference: str  # BHT03, echoed by the 277CA in 2200B TRN02
    created: str  # BHT04 (CCYYMMDD)
    ordinal: int  # 1-based ordinal of this ST in the input file

    @property
    def kind(self) -> ClaimKind:
        return self.group.kind

    @property
    def st(self) -> Segment:
        return self.header[0]


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


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One 2400 loop (LX and what follows it up to the next LX or claim)."""

    segments: tuple[Segment, ...]
    number: int  # LX01
    qualifier: str  # HC, HP, ... (SV101-1 / SV202-1)
    procedure: str  # SV101-2 / SV202-2
    modifiers: tuple[str, ...]  # up to four
    charge: Decimal  # SV102 / SV203
    unit_basis: str  # SV103 / SV204 (UN, MJ, DA)
    units: Decimal  # SV104 / SV205
    revenue_code: str  # SV201 (837I), "" on 837P
    place_of_service: str  # SV105 (837P override), "" when absent
    diagnosis_pointers: tuple[int, ...]  # SV107 (837P), () on 837I
    dos: DateRange | None  # DTP*472 (837I falls back to the claim's statement dates)
    line_control: str  # REF*6R, "" when absent
    prior_authorizations: tuple[str, ...]  # line REF*G1
    attachments: tuple[Attachment, ...]  # line PWK

    @property
    def lx(self) -> Segment:
        return self.segments[0]

    @property
    def service(self) -> Segment:
        """The SV1 (837P) or SV2 (837I) segment."""
        return self.segments[1]

    def has_modifier(self, *codes: str) -> bool:
        return any(code in self.modifiers for code in codes)


@dataclass(frozen=True, slots=True)
class Claim:
    """One 2300 loop with its envelope and hierarchy context.

    ``segments`` holds the claim's own segments, CLM up to (not including) the
    first LX; ``lines`` holds the 2400 loops. ``ordinal`` is the 1-based
    position of the claim in the input file.
    """

    transaction: Transaction
    billing: HierarchyLevel
    subscriber_level: HierarchyLevel
    patient_level: HierarchyLevel | None
    segments: tuple[Segment, ...]
    lines: tuple[ServiceLine, ...]
    ordinal: int
    patient_control_number: str  # CLM01
    total_charge: Decimal  # CLM02
    facility_code: str  # CLM05-1: place of service (837P) or facility type (837I)
    facility_qualifier: str  # CLM05-2: B (837P) or A (837I)
    frequency_code: str  # CLM05-3: 1 original, 7 replacement, 8 void
    statement_period: DateRange | None  # DTP*434 (837I)
    prior_authorizations: tuple[str, ...]  # claim REF*G1
    attachments: tuple[Attachment, ...]  # claim PWK
    payer_claim_number: str  # REF*F8, "" when absent
    diagnoses: tuple[Diagnosis, ...]  # HI composites in order
    billing_npi: str  # 2010AA NM109
    payer_id: str  # 2010BB NM109
    subscriber: Person  # 2010BA
    patient: Person | None  # 2010CA, when a 2000C loop exists

    @property
    def kind(self) -> ClaimKind:
        return self.transaction.group.kind

    @property
    def clm(self) -> Segment:
        return self.segments[0]

    @property
    def bill_type(self) -> str:
        """837I type of bill: facility type code + frequency code (e.g. 131)."""
        return self.facility_code + self.frequency_code

    @property
    def principal_diagnosis(self) -> str:
        for diagnosis in self.diagnoses:
            if diagnosis.is_principal:
                return diagnosis.code
        return ""

    def diagnosis_for_pointer(self, pointer: int) -> str:
        """The ICD-10 code a 1-based SV107 pointer names, or ``""``."""
        codes = [d.code for d in self.diagnoses if d.qualifier in _POINTABLE_QUALIFIERS]
        return codes[pointer - 1] if 0 < pointer <= len(codes) else ""

    def all_segments(self) -> tuple[Segment, ...]:
        """The claim's segments (2300 and every 2400) in input order."""
        segments = list(self.segments)
        for line in self.lines:
            segments.extend(line.segments)
        return tuple(segments)


# HI qualifiers whose codes SV107 pointers count (principal and other diagnoses).
_POINTABLE_QUALIFIERS = frozenset({"ABK", "ABF", "BK", "BF"})


@dataclass(frozen=True, slots=True)
class PlainClaim:
    """An accepted plain claim of a :class:`PlainTransaction`: what the
    outputs write of it (each field as the reader's :class:`Claim` has it)."""

    ordinal: int  # 1-based position in the input, as Claim.ordinal
    claim_id: str  # CLM01 (Claim.patient_control_number)
    charge: Decimal  # CLM02 (Claim.total_charge; equals the sum of its line charges)
    lines: int  # number of service lines
    billing: HierarchyLevel  # its 2000A loop (claims of one billing loop share the object)
    billing_npi: str  # Claim.billing_npi
    payer_id: str  # Claim.payer_id
    person: Person  # Claim.patient or Claim.subscriber (whom the 277CA's NM1*QC names)
    member_id: str  # Claim.subscriber.member_id
    bill_type: str  # Claim.bill_type for 837I, "" for 837P
    dates: DateRange | None  # what ack277.claim_dates(claim) gives (statement period or lines)


@dataclass(frozen=True, slots=True)
class CopiedClaim:
    """A claim pass 2 copies as it came (issue 15, goal 2): accepted with no
    finding, either a plain claim (the fast path) or one deciding accepted
    with no finding, whose model pass 1 built without a warning and whose
    CLM02 is the sum of its lines. Pass 2 builds no claim model for it.

    The outputs take it (``Sink.add_copied``) instead of its outcome and write
    what they write for that outcome, byte for byte: its segments as they
    came (:attr:`segments` and :attr:`lines`, under renumbered HL loops) and,
    for the acknowledgment and the report, :attr:`plain`."""

    transaction: Transaction
    subscriber_level: HierarchyLevel
    patient_level: HierarchyLevel | None
    segments: tuple[Segment, ...]  # the 2300 segments, CLM first (Claim.segments)
    lines: tuple[tuple[Segment, ...], ...]  # each 2400 loop's segments, LX first
    plain: PlainClaim  # what the 277CA and the report write of it
    passed: bool  # told plain by the fast path (else decided accepted, no finding)

    def all_segments(self) -> list[Segment]:
        """The claim's segments (2300 and every 2400) in input order."""
        segments = list(self.segments)
        for line in self.lines:
            segments.extend(line)
        return segments


@dataclass(frozen=True, slots=True)
class PlainTransaction:
    """A whole ST-SE whose claims are all plain (issue 15's text path): every
    claim accepted with no finding, read without a warning, and the cleaned
    837 of the transaction (every claim kept) exactly :attr:`text`.

    The outputs take it whole (``Sink.add_plain``) instead of one outcome per
    claim; they write what those outcomes would give, byte for byte."""

    transaction: Transaction  # as the reader makes it (envelope, header segments)
    text: str  # the input's text from ST through SE's terminator, exactly
    segments: int  # segments from ST through SE
    claims: tuple[PlainClaim, ...]


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(
    Delimiters,
    DateRange,
    Interchange,
    Group,
    Transaction,
    HierarchyLevel,
    Person,
    Diagnosis,
    Attachment,
    ServiceLine,
    Claim,
    PlainClaim,
    CopiedClaim,
    PlainTransaction,
)
