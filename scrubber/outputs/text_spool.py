"""Text held until what must precede it is known, in bounded memory.

A 277CA states a transaction's totals before its claims, so the claims'
text is written ahead and held. :class:`TextSpool` keeps it in memory up to
``limit`` characters, then in an anonymous temporary file: memory stays
bounded however many claims one transaction holds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

LIMIT = 1 << 22  # characters held in memory before the spool moves to a file
_CHUNK = 1 << 20


class TextSpool:
    """Append text, count segments, then :meth:`drain` it once, in order."""

    def __init__(self, limit: int | None = None) -> None:
        self.segments = 0
        self._limit = LIMIT if limit is None else limit
        self._parts: list[str] = []
        self._size = 0
        self._file: IO[str] | None = None

    def add(self, segment: str) -> None:
        """One segment's text."""
        self.segments += 1
        self._parts.append(segment)
        self._size += len(segment)
        if self._size > self._limit:
            self._spill()

    def add_all(self, segments: list[str]) -> None:
        """Several segments' text, in order."""
        self.segments += len(segments)
        text = "".join(segments)
        self._parts.append(text)
        self._size += len(text)
        if self._size > self._limit:
            self._spill()

    def extend(self, other: TextSpool) -> None:
        """Take ``other``'s text and segments (``other`` is drained)."""
        self.segments += other.segments
        other.segments = 0
        other.drain(self._append)

    def drain(self, write: Callable[[str], object]) -> None:
        """Write everything held to ``write`` and empty the spool."""
        if self._file is not None:
            self._spill()
            self._file.seek(0)
            while chunk := self._file.read(_CHUNK):
                write(chunk)
            self._file.close()
            self._file = None
        elif self._parts:
            write("".join(self._parts))
        self._parts = []
        self._size = 0

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size > self._limit:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(  # noqa: SIM115 (closed by drain)
                "w+", encoding="utf-8", errors="surrogatepass", newline=""
            )
        self._file.write("".join(self._parts))
        self._parts = []
        self._size = 0
