"""Where to cut a file into shards: byte ranges of whole interchanges (see
:mod:`scrubber.pipeline.shards`)."""

from __future__ import annotations

import codecs
import itertools
import mmap
import os
import re
from dataclasses import dataclass

#: Below this many bytes a shard's process start and merge cost more than
#: splitting saves.
MIN_SHARD_BYTES = 2 << 20
_WHITESPACE = b" \t\r\n"
_ISA_LENGTH = 106


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int


def plan_shards(path: str, count: int, min_bytes: int | None = None) -> list[ByteRange]:
    """Up to ``count`` byte ranges of whole interchanges covering the file
    ``path``, each about the same size and at least ``min_bytes`` (default
    :data:`MIN_SHARD_BYTES`; fewer ranges when cuts cannot be found); an
    empty list when the file should not be split (see the module docstring)."""
    size = os.path.getsize(path)
    count = min(count, size // max(MIN_SHARD_BYTES if min_bytes is None else min_bytes, 1))
    if count < 2:
        return []
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        delimiters = _first_isa_delimiters(data)
        if delimiters is None:
            return []
        cuts = _cuts(data, size, count, *delimiters)
    bounds = [0, *cuts, size]
    if len(bounds) < 3:
        return []
    return [ByteRange(a, b) for a, b in itertools.pairwise(bounds)]


def interchange_separator(head: bytes) -> bytes | None:
    """The bytes that stand between two interchanges of a file whose first
    bytes are ``head`` (4 KB is plenty): the segment terminator, the
    whitespace that follows the first ISA segment, ``ISA`` and the element
    separator, e.g. ``b"~\\nISA*"``; ``None`` when the file is not one to split
    (as :func:`plan_shards`) or the separator is not ASCII. A file is the
    concatenation of its pieces split at this separator, and each piece but
    the first starts an interchange: what Spark's record reader splits a
    file at (:mod:`scrubber.spark.units`)."""
    delimiters = _first_isa_delimiters(head)
    if delimiters is None:
        return None
    element, terminator = delimiters
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    after = head.lstrip(_WHITESPACE)[_ISA_LENGTH:]
    spaces = after[: len(after) - len(after.lstrip(_WHITESPACE))]
    separator = terminator + spaces + b"ISA" + element
    return separator if separator.isascii() and len(after) > len(spaces) else None


def _first_isa_delimiters(data: mmap.mmap | bytes) -> tuple[bytes, bytes] | None:
    """The element separator and segment terminator of the file's first ISA,
    or ``None`` when the file is not one to split (UTF-16, no ISA at the
    start, a whitespace or alphanumeric terminator)."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in head[:64]:
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    head = head.lstrip(_WHITESPACE)
    if len(head) < _ISA_LENGTH or not head.startswith(b"ISA"):
        return None
    element, terminator = head[3:4], head[105:106]
    if terminator in _WHITESPACE or terminator.isalnum() or element == terminator:
        return None
    return element, terminator


def _cuts(data: mmap.mmap, size: int, count: int, element: bytes, terminator: bytes) -> list[int]:
    """Offsets just after an IEA's terminator where the next interchange
    starts, each the nearest such offset to ``size * i / count`` (before or
    after it: a file of equal interchanges is cut into equal shards)."""
    next_isa = re.compile(re.escape(terminator) + rb"[ \t\r\n]*ISA" + re.escape(element))
    iea = b"IEA" + element
    cuts: list[int] = []
    for index in range(1, count):
        low = cuts[-1] if cuts else 0
        ideal = max(size * index // count, low)
        found = [
            cut
            for cut in (
                _cut_after(data, ideal, iea, terminator, next_isa),
                _cut_before(data, low, ideal, iea, terminator, next_isa),
            )
            if cut is not None and cut > low
        ]
        if found:
            cuts.append(min(found, key=lambda cut: abs(cut - ideal)))
    return cuts


def _cut_after(
    data: mmap.mmap, at: int, iea: bytes, terminator: bytes, next_isa: re.Pattern[bytes]
) -> int | None:
    """The first interchange start (just after an IEA's terminator) after ``at``."""
    match = next_isa.search(data, at)
    while match is not None:
        if _between_interchanges(data, match, iea, terminator):
            return match.start() + 1
        match = next_isa.search(data, match.end())
    return None


def _cut_before(
    data: mmap.mmap, low: int, at: int, iea: bytes, terminator: bytes, next_isa: re.Pattern[bytes]
) -> int | None:
    """The last interchange start after ``low`` whose IEA begins before ``at``."""
    while True:
        start = data.rfind(iea, low, at)
        if start < 0:
            return None
        end = data.find(terminator, start)
        match = next_isa.match(data, end) if end >= 0 else None
        if match is not None and _between_interchanges(data, match, iea, terminator):
            return end + 1
        at = start


def _between_interchanges(
    data: mmap.mmap, match: re.Match[bytes], iea: bytes, terminator: bytes
) -> bool:
    """Whether ``match`` (a terminator, whitespace, ``ISA`` and the element
    separator) ends an IEA and starts an ISA that declares the same segment
    terminator: a cut between two interchanges of the first one's delimiters."""
    end = match.start()
    previous = data.rfind(terminator, 0, end)
    if not data[previous + 1 : end].lstrip(_WHITESPACE).startswith(iea):
        return False
    isa = match.end() - 4
    return data[isa + _ISA_LENGTH - 1 : isa + _ISA_LENGTH] == terminator
