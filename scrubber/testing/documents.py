"""X12 text as a list of segments that mutations can edit, and back.

:func:`parse_document` splits an interchange file into :class:`Seg` values
(each keeps its interchange's delimiters, so files whose interchanges use
different delimiters survive), :meth:`Document.render` joins them again. The
parser is deliberately independent of :mod:`scrubber.x12` (the code under
test): it only knows the ISA header's fixed layout, so that counting claims
in a mutated file does not trust the reader being tested.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

BOM = "\ufeff"
ISA_ELEMENTS = 16


@dataclass(frozen=True, slots=True)
class Seg:
    """One segment's text (no terminator) and its interchange's delimiters."""

    text: str
    element: str
    component: str
    terminator: str

    @property
    def tag(self) -> str:
        """The segment id (``CLM``, ``LX``...); leading whitespace ignored."""
        return self.text.lstrip().split(self.element, 1)[0]

    def elements(self) -> list[str]:
        return self.text.split(self.element)

    def with_elements(self, elements: list[str]) -> Seg:
        return replace(self, text=self.element.join(elements))


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed interchange file: ``prefix`` (a BOM), segments, ``newline``
    after each terminator, and ``tail`` (anything after the last IEA)."""

    prefix: str
    segments: tuple[Seg, ...]
    newline: str
    tail: str = ""

    def render(self) -> str:
        body = "".join(seg.text + seg.terminator + self.newline for seg in self.segments)
        return self.prefix + body + self.tail

    def count(self, tag: str) -> int:
        return sum(1 for seg in self.segments if seg.tag == tag)


def parse_document(text: str) -> Document | None:
    """``text`` as a :class:`Document`; ``None`` when it does not start with
    a readable ISA header (such seeds get text-level mutations only)."""
    prefix = BOM if text.startswith(BOM) else ""
    pos = len(prefix)
    segments: list[Seg] = []
    newline = ""
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if not text.startswith("ISA", pos):
            break
        header = _isa_header(text, pos)
        if header is None:
            return None
        element, component, terminator = header
        pos, interchange, seen_newline = _interchange(text, pos, element, component, terminator)
        newline = newline or seen_newline
        segments.extend(interchange)
    if not segments:
        return None
    return Document(prefix, tuple(segments), newline, text[pos:])


def _isa_header(text: str, pos: int) -> tuple[str, str, str] | None:
    """Element separator, component separator and terminator of the ISA at ``pos``."""
    if len(text) < pos + 4:
        return None
    element = text[pos + 3]
    at = pos + 3
    for _ in range(ISA_ELEMENTS - 1):
        at = text.find(element, at + 1)
        if at < 0:
            return None
    if len(text) < at + 3:
        return None
    component, terminator = text[at + 1], text[at + 2]
    if terminator.isalnum() or len({element, component, terminator}) < 3:
        return None
    return element, component, terminator


def _interchange(
    text: str, pos: int, element: str, component: str, terminator: str
) -> tuple[int, list[Seg], str]:
    """Segments from the ISA at ``pos`` to its IEA (or the end of ``text``)."""
    segments: list[Seg] = []
    newline = ""
    while pos < len(text):
        end = text.find(terminator, pos)
        if end < 0:
            end = len(text)
        body = text[pos:end].lstrip(" \t\r\n")
        segments.append(Seg(body, element, component, terminator))
        pos = end + 1
        for candidate in ("\r\n", "\n", "\r"):
            if text.startswith(candidate, pos):
                newline = newline or candidate
                pos += len(candidate)
                break
        if body.split(element, 1)[0] == "IEA":
            break
    return min(pos, len(text)), segments, newline


def count_segments(text: str, tag: str) -> int | None:
    """How many ``tag`` segments ``text`` holds, by the delimiters its ISA
    headers declare; ``None`` when it has no readable ISA header."""
    document = parse_document(text)
    return None if document is None else document.count(tag)
