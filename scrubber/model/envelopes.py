"""The envelopes around claims: ISA-IEA (:class:`Interchange`), GS-GE
(:class:`Group`) and ST-SE (:class:`Transaction`).

The claims read from one envelope share its object: two claims are in the
same transaction exactly when ``a.transaction is b.transaction``.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrubber.model.kind import ClaimKind
from scrubber.model.segment import Delimiters, Segment
from scrubber.pickling import by_fields


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


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Interchange, Group, Transaction)
