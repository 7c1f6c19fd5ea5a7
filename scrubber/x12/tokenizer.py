"""Split decoded X12 text into :class:`~scrubber.model.Segment` objects.

Delimiters are read from each ISA (a file may hold several interchanges with
different delimiters). Whitespace between segments (newlines, CRLF, blank
lines, indentation) is tolerated and kept in ``Segment.raw`` so that the
input can be reproduced exactly; empty segments (``~~``) are skipped with a
warning. Anything that makes the segment boundaries themselves uncertain (no
ISA, an ISA that is not 106 characters, a bad segment identifier) raises
:class:`~scrubber.errors.X12InputError`.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator

from scrubber.errors import InputWarning, X12InputError
from scrubber.model import Delimiters, Segment

ISA_LENGTH = 106
# Widths of ISA01..ISA16 in a conforming interchange header.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_WHITESPACE = " \t\r\n"
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")


class Tokenizer:
    """Iterates over the segments of a stream of text chunks.

    After iteration, ``trailer`` holds any whitespace after the last segment
    and ``warnings`` the defects that did not stop reading.
    """

    def __init__(
        self, chunks: Iterator[str], warnings: list[InputWarning], first_position: int = 0
    ) -> None:
        self._chunks = chunks
        self.warnings = warnings
        self.delimiters = Delimiters()
        self.trailer = ""
        self.count = first_position  # segments before the first one read
        self._known_ids: set[str] = set()

    def segments(self) -> Iterator[Segment]:
        buffer = ""
        eof = False
        while True:
            buffer, eof = self._fill_to_isa(buffer, eof)
            if not buffer.strip():  # only (Unicode) whitespace is left
                self.trailer = buffer
                return
            self.delimiters = self._read_isa_delimiters(buffer)
            buffer, eof = yield from self._split_interchange(buffer, eof)

    def _fill_to_isa(self, buffer: str, eof: bool) -> tuple[str, bool]:
        """Read until the buffer holds a whole ISA after leading whitespace (or EOF)."""
        while not eof and len(buffer.lstrip(_WHITESPACE)) < ISA_LENGTH:
            chunk = next(self._chunks, None)
            if chunk is None:
                eof = True
            else:
                buffer += chunk
        return buffer, eof

    def _read_isa_delimiters(self, buffer: str) -> Delimiters:
        position = self.count + 1
        start = buffer.lstrip(_WHITESPACE)
        if not start.startswith("ISA"):
            found = start[:3].split("\n")[0]
            raise X12InputError(
                f"expected an ISA interchange header, found {found!r}: an 837 file starts with ISA",
                position,
                found if _SEGMENT_ID.match(found) else "",
            )
        if len(start) < ISA_LENGTH:
            raise X12InputError(
                f"ISA is truncated: {len(start)} characters, an ISA has {ISA_LENGTH}",
                position,
                "ISA",
            )
        element = start[3]
        isa = start[:ISA_LENGTH]
        fields = isa[4:].split(element)
        for index, width in enumerate(ISA_WIDTHS[:15], start=1):
            if index > len(fields) or len(fields[index - 1]) != width:
                got = len(fields[index - 1]) if index <= len(fields) else 0
                raise X12InputError(
                    f"ISA is not {ISA_LENGTH} characters wide: ISA{index:02d} has {got} "
                    f"characters, must have {width}; delimiters cannot be read from it",
                    position,
                    "ISA",
                )
        component, terminator = isa[104], isa[105]
        repetition = fields[10] if fields[11] >= "00501" else ""
        if terminator.isalnum() or len({element, component, terminator}) < 3:
            raise X12InputError(
                f"ISA declares unusable delimiters (element {element!r}, "
                f"component {component!r}, segment {terminator!r})",
                position,
                "ISA",
            )
        return Delimiters(element, component, repetition, terminator)

    def _split_interchange(
        self, buffer: str, eof: bool
    ) -> Generator[Segment, None, tuple[str, bool]]:
        """Yield segments up to and including IEA; return the unread text."""
        terminator = self.delimiters.segment
        element = self.delimiters.element
        strip_trailing = terminator not in "\r\n"
        known_ids = self._known_ids
        pending = ""
        while True:
            pieces = buffer.split(terminator)
            rest = pieces.pop()
            for index, piece in enumerate(pieces):
                content = piece.lstrip(_WHITESPACE)
                if strip_trailing:
                    content = content.rstrip("\r\n")
                if not content:
                    self._warn_empty()
                    pending += piece + terminator
                    continue
                self.count += 1
                elements = tuple(content.split(element))
                segment_id = elements[0]
                if segment_id not in known_ids:  # the regex only once per distinct id
                    if not _SEGMENT_ID.match(segment_id):
                        raise _bad_identifier(content, self.count)
                    known_ids.add(segment_id)
                yield Segment(elements, pending + piece + terminator, self.count)
                pending = ""
                if segment_id == "IEA":
                    if self._next_isa_alike(pieces, index + 1, terminator):
                        continue  # no re-join and re-split of the buffer per interchange
                    return terminator.join([*pieces[index + 1 :], rest]), eof
            buffer = rest
            chunk = None if eof else next(self._chunks, None)
            if chunk is None:
                break
            buffer += chunk
        return (yield from self._finish(pending + buffer))

    def _next_isa_alike(self, pieces: list[str], index: int, terminator: str) -> bool:
        """Whether ``pieces[index]`` is a whole ISA declaring the delimiters in use.

        A batch of many small interchanges would otherwise re-join and
        re-split the rest of the buffer at every IEA (quadratic in the
        interchanges per chunk); when the next interchange keeps the
        delimiters, splitting simply goes on. Anything else (other
        delimiters, a bad ISA, the end of the buffer) takes the general path.
        """
        if index >= len(pieces):
            return False
        head = pieces[index].lstrip(_WHITESPACE)
        if len(head) != ISA_LENGTH - 1 or not head.startswith("ISA"):
            return False
        try:
            delimiters = self._read_isa_delimiters(head + terminator)
        except X12InputError:
            return False
        return delimiters == self.delimiters

    def _finish(self, rest: str) -> Generator[Segment, None, tuple[str, bool]]:
        """At end of input: keep trailing whitespace, or read an unterminated last segment.

        Any Unicode whitespace counts here (some editors leave a no-break
        space, U+00A0, at the end of a file).
        """
        content = rest.strip(_WHITESPACE)
        if not content.strip():
            return rest, True  # whitespace only: the caller keeps it as trailer
        self.count += 1
        elements = tuple(content.split(self.delimiters.element))
        if not _SEGMENT_ID.match(elements[0]):
            raise _bad_identifier(content, self.count)
        self.warnings.append(
            InputWarning("last segment has no segment terminator", self.count, elements[0])
        )
        yield Segment(elements, rest, self.count)
        return "", True

    def _warn_empty(self) -> None:
        self.warnings.append(
            InputWarning(
                "empty segment (two segment terminators in a row) skipped",
                self.count + 1,
            )
        )


def _bad_identifier(content: str, position: int) -> X12InputError:
    shown = content if len(content) <= 24 else content[:24] + "..."
    return X12InputError(
        f"bad segment identifier in {shown!r}: a segment starts with an id of "
        "2-3 upper-case letters or digits",
        position,
    )
