"""A claim as the rules see it: a :class:`Claim` (the 2300 loop with its
envelope and hierarchy context) and its :class:`ServiceLine` objects (the
2400 loops), every field typed and the raw segments kept."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scrubber.model.envelopes import Transaction
from scrubber.model.kind import ClaimKind
from scrubber.model.parts import Attachment, DateRange, Diagnosis, HierarchyLevel, Person
from scrubber.model.segment import Segment
from scrubber.pickling import by_fields


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


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(ServiceLine, Claim)
