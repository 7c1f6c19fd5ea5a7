"""The claims of a transaction the text scan took (:mod:`scrubber.x12.plain_text`),
as the outputs write them: :class:`~scrubber.model.PlainClaim`.

Each field is what :func:`~scrubber.x12.reader.build_claim` gives the
:class:`~scrubber.model.Claim`, got by the same functions
(:func:`~scrubber.x12.fields.person`, :func:`~scrubber.x12.fields.entity_id`,
:func:`~scrubber.x12.fields.period`) from the only segments they read: the
scan found the transaction canonical, so its segments are where its text
says, and one regular expression finds the few that matter (HL, NM1, DMG,
CLM, DTP, LX and the segments that open a nested loop, after which a DTP is
no longer the claim's or the line's own). The billing provider loops are
made whole, as :class:`~scrubber.model.HierarchyLevel` objects the claims
of a loop share (the 277CA opens a 2000C loop when the object changes).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from decimal import Decimal

from scrubber.model import (
    ClaimKind,
    CopiedClaim,
    DateRange,
    Delimiters,
    HierarchyLevel,
    PlainClaim,
    Segment,
    Transaction,
)
from scrubber.x12.fields import (
    NESTED_LOOP_STARTS,
    entity_id,
    entity_id_of,
    own_segments,
    period,
    person_of,
)
from scrubber.x12.tokenizer import segments_of


def plain_claims(
    text: str,
    start: int,
    end: int,
    position: int,
    kind: ClaimKind,
    delimiters: Delimiters,
    newline: str,
    first_ordinal: int,
) -> tuple[PlainClaim, ...]:
    """The claims of the taken transaction whose body is ``text[start:end]``
    (``position``: the ST's segment number), numbered from ``first_ordinal``.

    One pass over the segments that matter, in order (one loop with its
    state in local names: this runs for every claim of a clearinghouse
    batch)."""
    element = delimiters.element
    billings = iter(_billing_levels(text, start, end, position, delimiters, newline))
    made = _Maker(kind, delimiters, first_ordinal)
    billing: tuple[HierarchyLevel, str] | None = None  # the open billing loop and its NPI
    subscriber: list[list[str]] = []  # NM1 and DMG (elements) of the open subscriber loop
    patient: list[list[str]] | None = None  # ... and of the open patient loop
    level = ""  # the open HL loop's level code, "" once its first claim opens
    clm: list[str] | None = None  # "", CLM01, CLM02, ... of the open claim
    own = False  # the segments are still the open claim's (or line's) own
    statement: DateRange | None = None  # the claim's first own DTP*434
    statement_seen = False
    dos: list[DateRange | None] = []  # the lines' dates (DTP*472, else the statement)
    line_dated = True  # the open line has its first own DTP*472
    for dated_line, segment_id, rest in _pattern(delimiters, newline).findall(text, start - 1, end):
        if dated_line:  # LX, SV1/SV2, DTP*472: a line and its first own DTP*472, at once
            dos.append(_dtp(dated_line, element)[1])
            own = line_dated = True
        elif segment_id == "DTP":
            if clm is None or not own:
                continue
            qualifier, dates = _dtp(rest, element)
            if not dos and not statement_seen and qualifier == "434" and line_dated:
                statement, statement_seen = dates, True
            elif not line_dated and qualifier == "472":
                dos[-1], line_dated = dates, True
        elif segment_id == "LX":
            dos.append(statement)
            own, line_dated = True, False
        elif clm is not None and segment_id in NESTED_LOOP_STARTS:
            own = False
        elif segment_id == "NM1" or segment_id == "DMG":
            if level == "22" or level == "23":
                values = rest.split(element)  # "", NM101, ...: the id goes first
                values[0] = segment_id
                (subscriber if patient is None else patient).append(values)
        elif segment_id == "CLM" or segment_id == "HL":
            if clm is not None:
                assert billing is not None
                made.claim(clm, billing, subscriber, patient, statement, dos)
                clm = None
            if segment_id == "CLM":
                clm, own, statement, statement_seen = rest.split(element), True, None, False
                dos, line_dated, level = [], True, ""
                continue
            level = rest.split(element)[3]
            if level == "20":
                billing = next(billings)
            elif level == "22":
                subscriber, patient = [], None
            else:
                patient = []
    if clm is not None:
        assert billing is not None
        made.claim(clm, billing, subscriber, patient, statement, dos)
    return tuple(made.claims)


def copied_claim(
    transaction: Transaction,
    billing: HierarchyLevel,
    subscriber: HierarchyLevel,
    patient: HierarchyLevel | None,
    segments: tuple[Segment, ...],
    lines: Sequence[tuple[Segment, ...]],
    ordinal: int,
    passed: bool,
) -> CopiedClaim:
    """The claim of these grouped segments as pass 2 copies it (claim
    ``ordinal``; ``passed``: told plain by the fast path). Its fields are
    what :func:`~scrubber.x12.reader.build_claim` gives, read from the few
    segments they come from; the claim must be one whose model builds
    without a warning (pass 1 built it so), so no check is made here."""
    made = _Maker(transaction.kind, transaction.group.interchange.delimiters, ordinal)
    statement = _first_dates(own_segments(segments), "434", None)
    dos = [_first_dates(own_segments(line)[2:], "472", statement) for line in lines]
    made.claim(
        segments[0].elements,
        (billing, entity_id(billing.segments, "85")),
        [segment.elements for segment in subscriber.segments],
        [segment.elements for segment in patient.segments] if patient is not None else None,
        statement,
        dos,
    )
    return CopiedClaim(
        transaction, subscriber, patient, segments, tuple(lines), made.claims[0], passed
    )


def _first_dates(
    segments: Sequence[Segment], qualifier: str, otherwise: DateRange | None
) -> DateRange | None:
    """The dates of the first DTP with ``qualifier`` among ``segments``, else ``otherwise``."""
    for segment in segments:
        if segment.elements[0] == "DTP" and segment.get(1) == qualifier:
            return period(segment.get(2), segment.get(3))
    return otherwise


@functools.lru_cache(maxsize=4096)
def _dtp(rest: str, element: str) -> tuple[str, DateRange | None]:
    """A DTP's qualifier and dates, from its elements after the id (cached:
    a batch repeats a few hundred)."""
    values = rest.split(element)  # "", DTP01, DTP02, DTP03
    return values[1], period(values[2], values[3]) if len(values) > 3 else None


@functools.lru_cache(maxsize=16)
def _pattern(delimiters: Delimiters, newline: str) -> re.Pattern[str]:
    """The segments that matter, each with the terminator before it: a line
    whose DTP*472 follows its SV1/SV2 as one match (the DTP's elements after
    its id), else one segment (its id and its elements after the id)."""
    t, e, w = (re.escape(x) for x in (delimiters.segment, delimiters.element, newline))
    ids = "HL|NM1|DMG|CLM|DTP|LX|SBR|LIN|SVD|LQ"
    dated_line = f"LX{e}[0-9]+{t}{w}SV[12]{e}[^{t}]*{t}{w}DTP(?={e}472(?:{e}|{t}))({e}[^{t}]*)"
    return re.compile(f"{t}{w}(?:{dated_line}|({ids})((?:{e}[^{t}]*)?))(?={t})")


@functools.lru_cache(maxsize=16)
def _billing_pattern(delimiters: Delimiters, newline: str) -> re.Pattern[str]:
    """A billing provider HL (``HL*n**20*1``, the scan's shape) and the next HL."""
    t, e, w = (re.escape(x) for x in (delimiters.segment, delimiters.element, newline))
    return re.compile(f"{t}{w}HL{e}[0-9]+{e}{e}20{e}")


def _billing_levels(
    text: str, start: int, end: int, position: int, delimiters: Delimiters, newline: str
) -> list[tuple[HierarchyLevel, str]]:
    """The billing provider loops, whole, in order, each with its NPI (NM1*85
    NM109): each loop up to the next HL (its first subscriber loop, in the
    scan's shape)."""
    levels = []
    terminator = delimiters.segment
    next_hl = terminator + newline + "HL" + delimiters.element
    for match in _billing_pattern(delimiters, newline).finditer(text, start - 1, end):
        at = match.start() + 1
        stop = text.index(next_hl, at + 1) + 1
        first = position + 1 + text.count(terminator, start, at)
        segments = segments_of(text[at:stop], delimiters, first)
        hl = segments[0]
        level = HierarchyLevel(tuple(segments), hl.get(1), hl.get(2), hl.get(3))
        levels.append((level, entity_id(segments, "85")))
    return levels


class _Maker:
    """Makes the :class:`PlainClaim` of each claim, numbered in order."""

    def __init__(self, kind: ClaimKind, delimiters: Delimiters, first_ordinal: int) -> None:
        self.institutional = kind is ClaimKind.INSTITUTIONAL
        self.component = delimiters.component
        self.ordinal = first_ordinal
        self.claims: list[PlainClaim] = []

    def claim(
        self,
        clm: Sequence[str],
        billing: tuple[HierarchyLevel, str],
        subscriber_loop: Sequence[Sequence[str]],
        patient_loop: Sequence[Sequence[str]] | None,
        statement: DateRange | None,
        dos: list[DateRange | None],
    ) -> None:
        """The claim of these values: CLM's elements ("", CLM01, ...), its
        loops' NM1 and DMG segments, its statement dates and its lines' dates."""
        # (no DMG the reader warns of: the scan took none)
        subscriber = person_of(subscriber_loop, "IL")[0]
        patient = person_of(patient_loop, "QC")[0] if patient_loop is not None else None
        bill_type = ""
        if self.institutional:  # Claim.bill_type: CLM05-1 + CLM05-3
            facility = (clm[5] if len(clm) > 5 else "").split(self.component)
            bill_type = facility[0] + (facility[2] if len(facility) > 2 else "")
        self.claims.append(
            PlainClaim(  # (positional, in the fields' order: made for every claim)
                self.ordinal,  # ordinal
                clm[1],  # claim_id
                Decimal(clm[2]),  # charge
                len(dos),  # lines
                billing[0],  # billing
                billing[1],  # billing_npi
                entity_id_of(subscriber_loop, "PR"),  # payer_id
                patient or subscriber,  # person
                subscriber.member_id,  # member_id
                bill_type,  # bill_type
                _claim_dates(statement, dos),  # dates
            )
        )
        self.ordinal += 1


def _claim_dates(statement: DateRange | None, dos: list[DateRange | None]) -> DateRange | None:
    """The 277CA's claim dates: the statement period, else the lines' span."""
    if statement is not None:
        return statement
    first = dos[0] if dos else None
    if dos.count(first) == len(dos):  # (most claims: one date; equal ranges span themselves)
        return first
    dates = [d for d in dos if d is not None]
    if not dates:
        return None
    return DateRange(min(d.start for d in dates), max(d.end for d in dates))
