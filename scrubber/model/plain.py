"""What the fast path hands the outputs instead of a :class:`~scrubber.model.Claim`
(issue 15): a :class:`PlainClaim` (what the outputs write of an accepted
claim), a :class:`CopiedClaim` (a claim copied as it came) and a
:class:`PlainTransaction` (a whole ST-SE of plain claims)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from scrubber.model.envelopes import Transaction
from scrubber.model.parts import DateRange, HierarchyLevel, Person
from scrubber.model.segment import Segment
from scrubber.pickling import by_fields


class PlainClaim(NamedTuple):
    """An accepted plain claim of a :class:`PlainTransaction`: what the
    outputs write of it (each field as the reader's :class:`Claim` has it).

    A named tuple, not a frozen dataclass like its neighbours: one is made
    for every claim of a clearinghouse batch, and a tuple is made in a fifth
    of the time (0.6 against 3 microseconds here, eleven fields)."""

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
by_fields(CopiedClaim, PlainTransaction)
