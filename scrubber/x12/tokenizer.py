"""Split decoded X12 text into :class:`~scrubber.model.Segment` objects.

Delimiters are read from each ISA (a file may hold several interchanges with
different delimiters). Whitespace between segments (newlines, CRLF, blank
lines, indentation) is tolerated and kept in ``Segment.raw`` so that the
input can be reproduced exactly; empty segments (``~~``) are skipped with one
warning per interchange (counting them). A segment longer than
:data:`MAX_SEGMENT_CHARS` (with the whitespace and empty segments before it)
is refused. Anything that makes the segment boundaries themselves uncertain (no
ISA, an ISA that is not 106 characters, a bad segment identifier) raises
:class:`~scrubber.errors.X12InputError`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Generator, Iterator
from typing import Protocol, TypeVar

from scrubber.errors import InputWarning, X12InputError
from scrubber.model import Delimiters, Segment

ISA_LENGTH = 106
# Widths of ISA01..ISA16 in a conforming interchange header.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_WHITESPACE = " \t\r\n"
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
#: ``_new(Segment, (elements, raw, position))`` is ``Segment(elements, raw,
#: position)`` without the named tuple's Python-level ``__new__`` (the
#: splitting loop makes one per segment, twice per scrub).
_new: Callable[[type[Segment], tuple[tuple[str, ...], str, int]], Segment] = tuple.__new__
# The longest segment (with the whitespace before it) read; longer is refused.
# 5010 837 segments are under 1,000 characters (the longest element, MSG01,
# has 264), so this bound only stops input that is not an 837 (a missing
# terminator, a file of binary data) before it is held in memory.
MAX_SEGMENT_CHARS = 65_536
#: The most text :meth:`Tokenizer.take` reads ahead to find a transaction's
#: SE (a 5,000-claim ST-SE, the guide's limit, has about 4 M characters).
MAX_TAKEN_CHARS = 8 << 20
_FIRST_WINDOW = 1_024  # characters split at a time at the start of an interchange
_LAST_WINDOW = 1 << 20  # ... doubling up to this


class Tokenizer:
    """Iterates over the segments of a stream of text chunks.

    After iteration, ``trailer`` holds any whitespace after the last segment
    and ``warnings`` the defects that did not stop reading; ``scanned``
    counts the characters split (the cost of reading, for the linearity tests).

    Cost is linear in the input and memory bounded by one chunk plus one
    segment: text is split in windows that start small at each interchange
    (so a file of many small interchanges with changing delimiters does not
    re-split the rest of a chunk at every ISA) and double up to a chunk; a
    segment, a run of empty segments or whitespace longer than
    :data:`MAX_SEGMENT_CHARS` is refused rather than held. A reader that
    takes whole transactions from their text (:meth:`take`) also holds the
    transaction it offers, up to :data:`MAX_TAKEN_CHARS` read ahead.
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
        self._empty_warning: InputWarning | None = None
        self._empty_count = 0
        self.scanned = 0  # characters split so far (each at most a few times: linear)
        # take(): the text and where the last ST's body starts; where to go on.
        self._at: tuple[str, int, bool] = ("", 0, False)
        self._jump = -1

    def segments(self) -> Iterator[Segment]:
        buffer, pos, eof = "", 0, False
        while True:
            buffer, pos, eof = self._fill_to_isa(buffer, pos, eof)
            start = _skip_whitespace(buffer, pos)
            rest_is_blank = start == len(buffer) or buffer[start].isspace()  # (cheap test first)
            if eof and rest_is_blank and not buffer[start:].strip():
                self.trailer = buffer[pos:]  # only (Unicode) whitespace is left
                return
            self.delimiters = self._read_isa_delimiters(buffer[start : start + ISA_LENGTH])
            buffer, pos, eof = yield from self._split_interchange(buffer, pos, eof)

    def take(self, scan: Callable[[str, int], T | None]) -> tuple[str, int, T] | None:
        """Offer the transaction whose ST was just yielded to ``scan`` (its
        text, and where the ST's body starts in it: just after the ST's
        terminator); when ``scan`` takes it, the segments it counts are
        skipped and the next segment yielded is the one at ``taken.end``.

        The text holds at least up to the next SE (more chunks are read for
        it, up to :data:`MAX_TAKEN_CHARS`); the text, the start and what
        ``scan`` returned when it took the transaction."""
        text, start, eof = self._at
        trailer = _trailer_pattern(self.delimiters)
        at = start - 1
        while not eof:
            found = trailer.search(text, at)
            if found is not None and text.find(self.delimiters.segment, found.end()) >= 0:
                break
            if len(text) - start > MAX_TAKEN_CHARS:
                break  # (scan sees no SE: the text read so far is kept)
            at = found.start() if found is not None else max(at, len(text) - _TRAILER_OVERLAP)
            chunk = next(self._chunks, None)
            if chunk is None:
                eof = True
            else:
                text += chunk
        self._at = (text, start, eof)
        taken = scan(text, start)
        if taken is None:
            return None
        self.count += taken.segments
        self._jump = taken.end
        return text, start, taken

    def _fill_to_isa(self, buffer: str, pos: int, eof: bool) -> tuple[str, int, bool]:
        """Read until ``buffer[pos:]`` holds a whole ISA after leading whitespace (or EOF)."""
        while not eof:
            start = _skip_whitespace(buffer, pos)
            if len(buffer) - start >= ISA_LENGTH:
                break
            if start - pos > MAX_SEGMENT_CHARS:
                raise X12InputError(
                    f"more than {MAX_SEGMENT_CHARS:,} characters of whitespace after "
                    f"segment {self.count}: refused (limit {MAX_SEGMENT_CHARS:,})",
                    self.count + 1,
                )
            chunk = next(self._chunks, None)
            if chunk is None:
                eof = True
            else:
                buffer, pos = buffer[pos:] + chunk, 0
        return buffer, pos, eof

    def _read_isa_delimiters(self, start: str) -> Delimiters:
        """Delimiters of the ISA that ``start`` begins with (leading whitespace skipped)."""
        position = self.count + 1
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
        self, buffer: str, pos: int, eof: bool
    ) -> Generator[Segment, None, tuple[str, int, bool]]:
        """Yield segments up to and including IEA; return the buffer and where
        its unread text starts."""
        terminator = self.delimiters.segment
        element = self.delimiters.element
        strip_trailing = terminator not in "\r\n"
        known_ids = self._known_ids
        pending = ""
        window = _FIRST_WINDOW
        while True:
            end = min(len(buffer), pos + window)
            self.scanned += end - pos
            pieces = buffer[pos:end].split(terminator)
            rest = pieces.pop()
            marked = marked_at = 0  # a piece's index and where it starts (for take())
            jump = -1
            for index, piece in enumerate(pieces):
                if len(piece) > MAX_SEGMENT_CHARS:
                    raise _too_long(piece, self.count + 1, terminator)
                content = piece.lstrip(_WHITESPACE)
                if strip_trailing:
                    content = content.rstrip("\r\n")
                if not content:
                    pending += piece + terminator
                    self._note_empty(len(pending))
                    continue
                self.count += 1
                elements = tuple(content.split(element))
                segment_id = elements[0]
                if segment_id not in known_ids:  # the regex only once per distinct id
                    if not _SEGMENT_ID.match(segment_id):
                        raise _bad_identifier(content, self.count)
                    known_ids.add(segment_id)
                if segment_id == "ST":
                    marked_at += sum(map(len, pieces[marked:index])) + index - marked
                    marked = index
                    self._at = (buffer, pos + marked_at + len(piece) + 1, eof)
                    yield _new(Segment, (elements, pending + piece + terminator, self.count))
                    pending = ""
                    buffer, _, eof = self._at
                    if self._jump >= 0:
                        jump, self._jump = self._jump, -1
                        break
                    continue
                yield _new(Segment, (elements, pending + piece + terminator, self.count))
                pending = ""
                if segment_id == "IEA":
                    self._close_empty_run()
                    if self._next_isa_alike(pieces, index + 1, terminator):
                        continue  # no re-split of the window per interchange
                    after = pos + sum(len(p) for p in pieces[: index + 1]) + index + 1
                    return buffer, after, eof
            if jump >= 0:  # take() took a transaction whole: go on from its SE
                pos = jump
                continue
            pos = end - len(rest)
            if len(rest) > MAX_SEGMENT_CHARS:
                raise _too_long(rest, self.count + 1, terminator)
            if end < len(buffer):
                window = min(window * 2, _LAST_WINDOW)
                continue
            chunk = None if eof else next(self._chunks, None)
            if chunk is None:
                break
            buffer, pos = buffer[pos:] + chunk, 0
        self._close_empty_run()
        return (yield from self._finish(pending + buffer[pos:]))

    def _next_isa_alike(self, pieces: list[str], index: int, terminator: str) -> bool:
        """Whether ``pieces[index]`` is a whole ISA declaring the delimiters in use.

        When the next interchange keeps the delimiters, splitting simply goes
        on; anything else (other delimiters, a bad ISA, the end of the
        window) takes the general path.
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

    def _finish(self, rest: str) -> Generator[Segment, None, tuple[str, int, bool]]:
        """At end of input: keep trailing whitespace, or read an unterminated last segment.

        Any Unicode whitespace counts here (some editors leave a no-break
        space, U+00A0, at the end of a file).
        """
        content = rest.strip(_WHITESPACE)
        if not content.strip():
            return rest, 0, True  # whitespace only: the caller keeps it as trailer
        self.count += 1
        elements = tuple(content.split(self.delimiters.element))
        if not _SEGMENT_ID.match(elements[0]):
            raise _bad_identifier(content, self.count)
        self.warnings.append(
            InputWarning("last segment has no segment terminator", self.count, elements[0])
        )
        yield Segment(elements, rest, self.count)
        return "", 0, True

    def _note_empty(self, pending: int) -> None:
        """One more empty segment: the first of an interchange is a warning, the
        others are counted into it (one warning, not one a segment)."""
        if pending > MAX_SEGMENT_CHARS:
            raise X12InputError(
                f"more than {MAX_SEGMENT_CHARS:,} characters of empty segments and "
                f"whitespace in a row after segment {self.count}: refused "
                f"(limit {MAX_SEGMENT_CHARS:,})",
                self.count + 1,
            )
        if self._empty_warning is None:
            self._empty_warning = InputWarning(_EMPTY_SEGMENT, self.count + 1)
            self.warnings.append(self._empty_warning)
        self._empty_count += 1

    def _close_empty_run(self) -> None:
        """At the end of an interchange, say how many empty segments it held."""
        if self._empty_warning is not None and self._empty_count > 1:
            self._empty_warning.problem = (
                f"{self._empty_count:,} empty segments (two segment terminators in a row) "
                "skipped in this interchange, the first here"
            )
        self._empty_warning = None
        self._empty_count = 0


class Taken(Protocol):
    """What a scan given to :meth:`Tokenizer.take` returns when it takes a
    transaction."""

    @property
    def end(self) -> int:
        """Where the SE segment (its leading whitespace) starts in the text."""
        ...

    @property
    def segments(self) -> int:
        """The segments between the ST and the SE."""
        ...


T = TypeVar("T", bound=Taken)


def segments_of(text: str, delimiters: Delimiters, first: int) -> list[Segment]:
    """The segments of ``text``, whole segments each ending with its
    terminator (no empty segment, none too long: text the tokenizer would
    split the same way), numbered from ``first``."""
    terminator, element = delimiters.segment, delimiters.element
    return [
        Segment(tuple(piece.lstrip(_WHITESPACE).split(element)), piece + terminator, first + index)
        for index, piece in enumerate(text.split(terminator)[:-1])
    ]


_TRAILER_OVERLAP = 64  # characters searched again after more text is read


@functools.lru_cache(maxsize=16)
def _trailer_pattern(delimiters: Delimiters) -> re.Pattern[str]:
    """A segment terminator, whitespace, and the start of an SE segment."""
    terminator, element = re.escape(delimiters.segment), re.escape(delimiters.element)
    return re.compile(f"{terminator}[{re.escape(_WHITESPACE)}]*SE{element}")


_EMPTY_SEGMENT = "empty segment (two segment terminators in a row) skipped"
_WHITESPACE_RUN = re.compile(f"[{re.escape(_WHITESPACE)}]*")


def _skip_whitespace(text: str, pos: int) -> int:
    """Where the first character at or after ``pos`` that is not ``_WHITESPACE`` is."""
    match = _WHITESPACE_RUN.match(text, pos)
    assert match is not None  # "*" always matches
    return match.end()


def _too_long(piece: str, position: int, terminator: str) -> X12InputError:
    content = piece.lstrip(_WHITESPACE)
    segment_id = content[:3].split(terminator)[0] if content else ""
    if not _SEGMENT_ID.match(segment_id):
        segment_id = segment_id[:2] if _SEGMENT_ID.match(segment_id[:2]) else ""
    shown = segment_id or repr(content[:10])
    return X12InputError(
        f"segment {shown} is longer than the limit of {MAX_SEGMENT_CHARS:,} characters: "
        f"refused (an 837 segment is under 1,000; is the segment terminator {terminator!r} "
        "missing?)",
        position,
        segment_id,
    )


def _bad_identifier(content: str, position: int) -> X12InputError:
    shown = content if len(content) <= 24 else content[:24] + "..."
    return X12InputError(
        f"bad segment identifier in {shown!r}: a segment starts with an id of "
        "2-3 upper-case letters or digits",
        position,
    )
