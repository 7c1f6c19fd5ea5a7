"""The unit of X12 text: a :class:`Segment` as read, and the
:class:`Delimiters` an ISA declares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from scrubber.pickling import by_fields


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


# Pickled by field values in both builds (sharded runs, Spark): see scrubber.pickling.
by_fields(Delimiters)
