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
from dataclasses import dataclass, field
from decimal import Decimal

from scrubber.errors import InputWarning
from scrubber.model import ClaimKind, DateRange, Delimiters, HierarchyLevel, PlainClaim, Segment
from scrubber.x12.fields import entity_id, period, person

_NESTED = frozenset({"NM1", "SBR", "LIN", "SVD", "LQ"})  # as fields.own_segments


@dataclass
class _Open:
    """What is open while walking one transaction's segments."""

    billing: HierarchyLevel | None = None
    billing_at: tuple[int, int] = (0, 0)  # where the open billing HL starts, its position
    level: str = ""  # the open HL's level code
    subscriber: list[Segment] = field(default_factory=list)  # its NM1 and DMG segments
    patient: list[Segment] | None = None  # the same of the open patient loop
    claim: list[str] | None = None  # "", CLM01, CLM02, ...
    own: bool = False  # the segments are still the claim's (or line's) own
    statement: DateRange | None = None  # the claim's first own DTP*434
    statement_seen: bool = False
    lines: int = 0
    dos: list[DateRange | None] = field(default_factory=list)  # the lines' dates
    line_dos_seen: bool = True


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
    (``position``: the ST's segment number), numbered from ``first_ordinal``."""
    walk = _Walk(text, start, position, kind, delimiters, first_ordinal)
    for match in _pattern(delimiters, newline).finditer(text, start - 1, end):
        walk.segment(match.start() + 1, match[1], match[2])
    walk.end_claim()
    return tuple(walk.claims)


@functools.lru_cache(maxsize=16)
def _pattern(delimiters: Delimiters, newline: str) -> re.Pattern[str]:
    """The segments that matter, each with the terminator before it."""
    t, e = re.escape(delimiters.segment), re.escape(delimiters.element)
    ids = "HL|NM1|DMG|CLM|DTP|LX|SBR|LIN|SVD|LQ"
    return re.compile(f"{t}{re.escape(newline)}({ids})((?:{e}[^{t}]*)?)(?={t})")


class _Walk:
    """The claims of one transaction, from the segments that matter, in order."""

    def __init__(
        self,
        text: str,
        start: int,
        position: int,
        kind: ClaimKind,
        delimiters: Delimiters,
        first_ordinal: int,
    ) -> None:
        self.text = text
        self.start = start
        self.position = position  # the ST's
        self.institutional = kind is ClaimKind.INSTITUTIONAL
        self.delimiters = delimiters
        self.ordinal = first_ordinal
        self.claims: list[PlainClaim] = []
        self.open = _Open()

    def segment(self, at: int, segment_id: str, rest: str) -> None:
        """One segment that matters, starting at ``text[at]`` (its whitespace);
        ``rest``: its elements after the id, each after its separator."""
        open_ = self.open
        if segment_id == "HL":
            self.end_claim()
            self._level(at, rest.split(self.delimiters.element)[3])
        elif segment_id == "CLM":
            self.end_claim()
            open_.claim = rest.split(self.delimiters.element)
            open_.own, open_.statement, open_.statement_seen = True, None, False
            open_.lines, open_.dos = 0, []
        elif segment_id == "LX":
            self._end_line()
            open_.lines += 1
            open_.own, open_.line_dos_seen = True, False
        elif segment_id == "DTP":
            if open_.claim is not None and open_.own:
                self._date(rest.split(self.delimiters.element))
        elif open_.claim is not None:
            if segment_id in _NESTED:
                open_.own = False
        elif segment_id in ("NM1", "DMG") and open_.level != "20":
            people = open_.patient if open_.patient is not None else open_.subscriber
            people.append(Segment((segment_id, *rest.split(self.delimiters.element)[1:]), "", 0))

    def _level(self, at: int, level: str) -> None:
        open_ = self.open
        if open_.level == "20":  # its first subscriber loop closes a billing loop
            open_.billing = self._billing(at)
        open_.level = level
        if level == "20":
            open_.billing_at = (at, self._position(at))
        elif level == "22":
            open_.subscriber, open_.patient = [], None
        else:
            open_.patient = []

    def _position(self, at: int) -> int:
        """The segment number of the segment starting at ``text[at]``."""
        return self.position + 1 + self.text.count(self.delimiters.segment, self.start, at)

    def _billing(self, end: int) -> HierarchyLevel:
        """The open billing provider loop, whole: its segments up to ``end``."""
        at, position = self.open.billing_at
        terminator, element = self.delimiters.segment, self.delimiters.element
        segments = []
        for index, piece in enumerate(self.text[at:end].split(terminator)[:-1]):
            elements = tuple(piece.lstrip(_WHITESPACE).split(element))
            segments.append(Segment(elements, piece + terminator, position + index))
        hl = segments[0]
        return HierarchyLevel(tuple(segments), hl.get(1), hl.get(2), hl.get(3))

    def _date(self, values: list[str]) -> None:
        """A DTP of the open claim or line (its own): "", DTP01, DTP02, DTP03."""
        open_ = self.open
        qualifier = values[1]
        if not open_.lines and qualifier == "434" and not open_.statement_seen:
            open_.statement = period(values[2], values[3])
            open_.statement_seen = True
        elif open_.lines and qualifier == "472" and not open_.line_dos_seen:
            open_.dos.append(period(values[2], values[3]))
            open_.line_dos_seen = True

    def _end_line(self) -> None:
        """A line with no DTP*472 of its own has the statement dates."""
        open_ = self.open
        if not open_.line_dos_seen:
            open_.dos.append(open_.statement)
            open_.line_dos_seen = True

    def end_claim(self) -> None:
        open_ = self.open
        if open_.claim is None:
            return
        self._end_line()
        self.claims.append(self._plain_claim(open_.claim))
        open_.claim = None
        self.ordinal += 1

    def _plain_claim(self, values: list[str]) -> PlainClaim:
        open_ = self.open
        assert open_.billing is not None
        warnings: list[InputWarning] = []  # none: the scan took no text the reader warns of
        subscriber = person(open_.subscriber, "IL", warnings)
        patient = person(open_.patient, "QC", warnings) if open_.patient is not None else None
        facility = values[5].split(self.delimiters.component)
        frequency = facility[2] if len(facility) > 2 else ""
        return PlainClaim(
            ordinal=self.ordinal,
            claim_id=values[1],
            charge=Decimal(values[2]),
            lines=open_.lines,
            billing=open_.billing,
            billing_npi=entity_id(open_.billing.segments, "85"),
            payer_id=entity_id(open_.subscriber, "PR"),
            person=patient or subscriber,
            member_id=subscriber.member_id,
            bill_type=facility[0] + frequency if self.institutional else "",
            dates=_claim_dates(open_.statement, open_.dos),
        )


_WHITESPACE = " \t\r\n"


def _claim_dates(statement: DateRange | None, dos: list[DateRange | None]) -> DateRange | None:
    """The 277CA's claim dates: the statement period, else the lines' span."""
    if statement is not None:
        return statement
    dates = [d for d in dos if d is not None]
    if not dates:
        return None
    return DateRange(min(d.start for d in dates), max(d.end for d in dates))
